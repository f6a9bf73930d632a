using FaultLine;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests;

/// <summary>
/// A ->fault handler made of a lambda, for the fault-path tests (rules 27-39, the debug checks and
/// injection): it records the flags of every call and whether the caller held the mmap lock, then
/// answers with <c>handler</c>.
/// </summary>
public sealed class HandlerOps : VmOperations
{
    private readonly Func<VmFault, VmFaultResult> handler;
    private readonly List<FaultFlags> flags = new();
    private readonly List<bool> lockHeld = new();

    /// <summary>A handler that answers every fault with <paramref name="handler"/>.</summary>
    public HandlerOps(Func<VmFault, VmFaultResult> handler)
    {
        this.handler = handler;
    }

    /// <summary>The vmf.Flags of every call, in order.</summary>
    public FaultFlags[] Flags
    {
        get
        {
            lock (flags)
            {
                return flags.ToArray();
            }
        }
    }

    /// <summary>Whether the mmap lock was held on entry, for every call.</summary>
    public bool[] LockHeldOnEntry
    {
        get
        {
            lock (flags)
            {
                return lockHeld.ToArray();
            }
        }
    }

    /// <summary>How many times the handler ran.</summary>
    public int CallCount
    {
        get
        {
            lock (flags)
            {
                return flags.Count;
            }
        }
    }

    /// <inheritdoc />
    public override VmFaultResult Fault(VmFault vmf)
    {
        lock (flags)
        {
            flags.Add(vmf.Flags);
            lockHeld.Add(vmf.Vma.Mm.MmapLock.IsHeldByCurrent);
        }

        return handler(vmf);
    }

    /// <summary>An mm with <paramref name="pages"/> pages at <see cref="TestKit.Base"/> served by <paramref name="ops"/>.</summary>
    public static MmStruct Map(HandlerOps ops, int pages, out VmAreaStruct vma, VmFlags vmFlags = VmFlags.Read | VmFlags.Write)
    {
        var mm = new MmStruct();
        vma = mm.Mmap(Base, (ulong)pages * Page.Size, vmFlags, ops);
        return mm;
    }

    /// <summary>The plain answer: a fresh page filled with <paramref name="fill"/>.</summary>
    public static VmFaultResult Supply(VmFault vmf, byte fill = 0)
    {
        var page = new Page();
        Array.Fill(page.Data, fill);
        vmf.Page = page;
        return VmFaultResult.None;
    }

    /// <summary>Releases the mmap lock and returns Retry, as a handler that blocked politely does.</summary>
    public static VmFaultResult DropAndRetry(VmFault vmf)
    {
        vmf.Vma.Mm.MmapReadUnlock();
        return VmFaultResult.Retry;
    }

    /// <summary>
    /// Inside a task: takes the mmap read lock, calls handle_mm_fault, notes whether the lock is still
    /// held, and releases it if so (a caller that follows rule 30).
    /// </summary>
    public static (VmFaultResult Result, bool LockHeld) FaultOnce(VmAreaStruct vma, ulong address, FaultFlags faultFlags)
    {
        var mm = vma.Mm;
        mm.MmapReadLock();
        var ret = MmFault.HandleMmFault(vma, address, faultFlags);
        var held = mm.MmapLock.IsHeldByCurrent;
        if (held)
        {
            mm.MmapReadUnlock();
        }

        return (ret, held);
    }
}

/// <summary>Userfaultfd helpers for the fault-path tests.</summary>
public static class UffdTestKit
{
    /// <summary>
    /// read(2) of the next fault message from the test thread, under the watchdog: a fault that never
    /// comes fails the test instead of hanging the run (a blocking <see cref="Userfaultfd.Read"/> has no
    /// watchdog).
    /// </summary>
    public static UffdMsg ReadFault(Userfaultfd uffd)
    {
        var msg = default(UffdMsg);
        WaitUntil(() => uffd.TryRead(out msg), "a userfaultfd fault message");
        Xunit.Assert.Equal(UffdEvent.Pagefault, msg.Event);
        return msg;
    }
}
