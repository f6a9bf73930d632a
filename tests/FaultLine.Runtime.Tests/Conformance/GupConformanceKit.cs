using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>One call of a <see cref="ScriptedOps"/> handler: which page, with which flags, and whether the mmap lock was held.</summary>
public readonly record struct FaultCall(ulong Pgoff, FaultFlags Flags, bool LockHeld)
{
    /// <summary>Whether the fault was raised with every flag in <paramref name="f"/>.</summary>
    public bool Has(FaultFlags f) => (Flags & f) == f;
}

/// <summary>
/// A ->fault handler for the GUP conformance tests: it records every call (page offset, vmf.Flags,
/// whether the mmap lock was held on entry) and then does what its script says for that page and
/// attempt. The default script gives a fresh page.
/// </summary>
public sealed class ScriptedOps : VmOperations
{
    private readonly List<FaultCall> calls = new();
    private readonly Dictionary<ulong, int> attempts = new();
    private readonly Func<VmFault, int, VmFaultResult> script;

    /// <summary>A handler whose answer for a page's attempt n (0 = first call for that page) is <paramref name="script"/>.</summary>
    public ScriptedOps(Func<VmFault, int, VmFaultResult>? script = null)
    {
        this.script = script ?? ((vmf, _) => Fill(vmf));
    }

    /// <summary>Every call so far, in order.</summary>
    public IReadOnlyList<FaultCall> Calls
    {
        get
        {
            lock (calls)
            {
                return calls.ToArray();
            }
        }
    }

    /// <summary>Forgets the calls made so far (after populating).</summary>
    public void ClearCalls()
    {
        lock (calls)
        {
            calls.Clear();
            attempts.Clear();
        }
    }

    /// <inheritdoc />
    public override VmFaultResult Fault(VmFault vmf)
    {
        int attempt;
        lock (calls)
        {
            calls.Add(new FaultCall(vmf.Pgoff, vmf.Flags, vmf.Vma.Mm.MmapLock.IsHeldByCurrent));
            attempt = attempts.GetValueOrDefault(vmf.Pgoff);
            attempts[vmf.Pgoff] = attempt + 1;
        }

        return script(vmf, attempt);
    }

    /// <summary>The plain answer: a fresh page, VM_FAULT_NONE.</summary>
    public static VmFaultResult Fill(VmFault vmf)
    {
        vmf.Page = new Page();
        return VmFaultResult.None;
    }

    /// <summary>
    /// A handler that blocks on its first attempt, the polite way (rule 34): with AllowRetry and not
    /// Tried it drops the mmap lock and returns Retry (without touching the vma afterwards); under
    /// RetryNowait it returns Retry with the lock held and without sleeping; otherwise it gives the page.
    /// </summary>
    public static VmFaultResult PoliteRetry(VmFault vmf)
    {
        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
        {
            return VmFaultResult.Retry;
        }

        if (MmFault.FaultFlagAllowRetryFirst(vmf.Flags))
        {
            return DropLockAndRetry(vmf);
        }

        return Fill(vmf);
    }

    /// <summary>Releases the mmap lock and returns Retry (legal only with AllowRetry and without RetryNowait).</summary>
    public static VmFaultResult DropLockAndRetry(VmFault vmf)
    {
        var mm = vmf.Vma.Mm;
        mm.MmapReadUnlock();
        return VmFaultResult.Retry;
    }
}

/// <summary>Helpers shared by the rule 1-24 conformance tests and the GUP bad-input tests.</summary>
public static class GupConformanceKit
{
    /// <summary>An mm whose <paramref name="pages"/> pages at <see cref="TestKit.Base"/> are served by <paramref name="ops"/>.</summary>
    public static MmStruct OpsMm(int pages, VmOperations ops, VmFlags flags = VmFlags.Read | VmFlags.Write)
    {
        var mm = new MmStruct();
        mm.Mmap(Base, (ulong)pages * Page.Size, flags, ops);
        return mm;
    }

    /// <summary>
    /// Waits (watchdog only) until a fault is queued on <paramref name="uffd"/> and reads it without
    /// blocking, so that a test whose task never faults fails instead of hanging.
    /// </summary>
    public static UffdMsg AwaitFault(Userfaultfd uffd)
    {
        var msg = default(UffdMsg);
        WaitUntil(() => uffd.TryRead(out msg), "a userfaultfd message");
        Assert.Equal(UffdEvent.Pagefault, msg.Event);
        return msg;
    }

    /// <summary>Drops the FOLL_GET references on pages[0..count).</summary>
    public static void PutPages(Page[] pages, long count)
    {
        for (var i = 0; i < count; i++)
        {
            Gup.PutPage(pages[i]);
        }
    }

    /// <summary>Starts <paramref name="comm"/> as a task of <paramref name="mm"/> and waits for it (watchdog).</summary>
    public static void Run(MmStruct? mm, Action body, string comm = "gup") => RunTask(comm, mm, body);

    /// <summary>
    /// A task that takes the mmap lock for write and keeps it until <see cref="WriterTask.Release"/>:
    /// it makes every killable read lock sleep (contention), as in the kernel, where the rwsem fast path
    /// succeeds whenever the lock is free.
    /// </summary>
    public sealed class WriterTask
    {
        private readonly WaitQueueHead wq = new() { Name = "writer" };
        private volatile bool holding;
        private volatile bool release;

        private WriterTask(MmStruct mm)
        {
            Task = KernelTask.Start("writer", mm, () =>
            {
                mm.MmapWriteLock();
                holding = true;
                wq.WakeUpAll();
                Wait.Event(wq, () => release);
                mm.MmapWriteUnlock();
            });
        }

        /// <summary>The writer task.</summary>
        public KernelTask Task { get; }

        /// <summary>Whether it holds the lock now.</summary>
        public bool Holding => holding;

        /// <summary>Starts the writer and waits (watchdog only) until it holds the lock.</summary>
        public static WriterTask Start(MmStruct mm)
        {
            var w = new WriterTask(mm);
            WaitUntil(() => w.holding, "the writer holding the mmap lock");
            return w;
        }

        /// <summary>Starts the writer from inside a task and sleeps on a wait queue until it holds the lock.</summary>
        public static WriterTask StartAndWait(MmStruct mm)
        {
            var w = new WriterTask(mm);
            Wait.Event(w.wq, () => w.holding);
            return w;
        }

        /// <summary>Lets the writer drop the lock and waits for it to end.</summary>
        public void Release()
        {
            release = true;
            wq.WakeUpAll();
            JoinOrFail(Task);
        }
    }
}
