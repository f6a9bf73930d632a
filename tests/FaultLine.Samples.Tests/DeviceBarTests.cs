using FaultLine;
using FaultLine.Samples.DeviceBar;
using Xunit;
using static FaultLine.Samples.Tests.SampleKit;
using BuggyOps = FaultLine.Samples.DeviceBar.Buggy.VfioPciMmapOps;
using FixedOps = FaultLine.Samples.DeviceBar.Fixed.VfioPciMmapOps;

namespace FaultLine.Samples.Tests;

/// <summary>
/// A vfio-pci BAR fault handler that needs memory_lock, faulted while a reset holds it for write, from
/// the three kinds of caller rule 34 distinguishes: RETRY_NOWAIT (no sleep, keep the lock), ALLOW_RETRY
/// (fixup_user_fault with <c>unlocked</c>, KVM's hva_to_pfn_remapped) and neither (fixup_user_fault
/// without it, like hmm_range_fault).
/// </summary>
public sealed class DeviceBarTests
{
    private const ulong BarAddress = 0x7f1000000000;
    private const int BarPages = 4;
    private const ulong Pgoff = 2;
    private const ulong Address = BarAddress + (Pgoff << Page.Shift);

    private static VmOperations NewOps(string variant, VfioPciDevice device) =>
        variant == "buggy" ? new BuggyOps(device) : new FixedOps(device);

    /// <summary>QEMU's address space with BAR0 of <paramref name="device"/> mapped at <see cref="BarAddress"/>.</summary>
    private static MmStruct MapBar(VfioPciDevice device, VmOperations ops)
    {
        var mm = new MmStruct();
        device.MmapBar(mm, BarAddress, ops);
        return mm;
    }

    /// <summary>A reset in its own task, holding memory_lock for write until <paramref name="gate"/> opens.</summary>
    private static KernelTask StartReset(VfioPciDevice device, ModelGate gate)
    {
        var reset = KernelTask.Start("vfio-reset", null, () => device.Reset(gate.WaitOpen));
        WaitUntil(() => gate.HasWaiter, "the reset holding memory_lock");
        return reset;
    }

    /// <summary>
    /// A fault raised with RETRY_NOWAIT, as GUP raises it for FOLL_NOWAIT (KVM's async page fault probe).
    /// By rule 30 the mmap lock is still held afterwards whatever the handler returned, so the caller
    /// unlocks it.
    /// </summary>
    private static VmFaultResult FaultNowait(MmStruct mm, ulong address)
    {
        mm.MmapReadLock();
        var vma = mm.VmaLookup(address) ?? throw new InvalidOperationException("no BAR mapping");
        var ret = MmFault.HandleMmFault(vma, address, FaultFlags.AllowRetry | FaultFlags.RetryNowait);
        mm.MmapReadUnlock();
        return ret;
    }

    /// <summary>KVM's hva_to_pfn_remapped: fixup_user_fault with <c>unlocked</c>, so the fault may retry.</summary>
    private static int FixupRetryable(MmStruct mm, ulong address, out bool unlocked)
    {
        unlocked = false;
        mm.MmapReadLock();
        var ret = Gup.FixupUserFault(mm, address, FaultFlags.Write, ref unlocked);
        mm.MmapReadUnlock();
        return ret;
    }

    /// <summary>fixup_user_fault without <c>unlocked</c>: no ALLOW_RETRY, like hmm_range_fault's faults.</summary>
    private static int FixupUnretryable(MmStruct mm, ulong address)
    {
        mm.MmapReadLock();
        var ret = Gup.FixupUserFault(mm, address, FaultFlags.Write);
        mm.MmapReadUnlock();
        return ret;
    }

    [Theory]
    [InlineData("buggy")]
    [InlineData("fixed")]
    public void BarPageIsMappedWhenNoResetRuns(string variant)
    {
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, NewOps(variant, device));
        var ret = int.MinValue;
        var seen = new byte[Page.Size];
        RunTask("kvm-vcpu", mm, () =>
        {
            ret = FixupRetryable(mm, Address, out _);
            Assert.Equal(0, Uaccess.CopyFromUser(seen, Address, Page.Size));
        });

        Assert.Equal(0, ret);
        Assert.Equal(device.BarPage(Pgoff).Data, seen);
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_NowaitFaultDuringAResetReturnsRetryWithoutSleeping()
    {
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, new FixedOps(device));
        var gate = new ModelGate();
        var reset = StartReset(device, gate);
        try
        {
            var ret = VmFaultResult.None;
            // It finishes while the reset still holds memory_lock: it never slept on it.
            RunTask("kvm-apf", mm, () => ret = FaultNowait(mm, Address));
            Assert.Equal(VmFaultResult.Retry, ret);
            Assert.True(gate.HasWaiter, "the reset is still running");
        }
        finally
        {
            gate.Open();
            JoinOrFail(reset);
        }

        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_NowaitFaultDuringAResetSleepsAndDropsTheCallersLock()
    {
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, new BuggyOps(device));
        var gate = new ModelGate();
        var reset = StartReset(device, gate);
        var ret = VmFaultResult.None;
        var fault = KernelTask.Start("kvm-apf", mm, () => ret = FaultNowait(mm, Address));
        try
        {
            // Asleep on memory_lock inside a fault whose caller asked for no sleep: FL2001.
            WaitUntilSleeping(fault, TaskState.Uninterruptible);
            Assert.Equal(new[] { "FL2001" }, WarningIds());
        }
        finally
        {
            gate.Open();
            JoinOrFail(reset);
        }

        JoinOrFail(fault);
        Assert.Equal(VmFaultResult.Retry, ret);

        // FL2004: the handler released the mmap lock under RETRY_NOWAIT; FL4007: so the caller's
        // unlock, right by rule 30, is now a second unlock.
        Assert.Equal(new[] { "FL2001", "FL2004", "FL4007" }, WarningIds());
    }

    [Fact]
    public void Fixed_UnretryableFaultDuringAResetFailsWithoutWaiting()
    {
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, new FixedOps(device));
        var gate = new ModelGate();
        var reset = StartReset(device, gate);
        try
        {
            var ret = int.MinValue;
            RunTask("hmm", mm, () => ret = FixupUnretryable(mm, Address));
            Assert.Equal(-Errno.EFAULT, ret); // VM_FAULT_SIGBUS
            Assert.True(gate.HasWaiter, "the reset is still running");
        }
        finally
        {
            gate.Open();
            JoinOrFail(reset);
        }

        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_UnretryableFaultDuringAResetReturnsRetryAnyway()
    {
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, new BuggyOps(device));
        var gate = new ModelGate();
        var reset = StartReset(device, gate);
        var ret = int.MinValue;
        var fault = KernelTask.Start("hmm", mm, () => ret = FixupUnretryable(mm, Address));
        try
        {
            WaitUntilSleeping(fault, TaskState.Uninterruptible);
        }
        finally
        {
            gate.Open();
            JoinOrFail(reset);
        }

        JoinOrFail(fault);

        // FL2002: VM_FAULT_RETRY to a caller that did not allow it. (The runtime's fixup_user_fault then
        // re-faults with TRIED but no ALLOW_RETRY, which handle_mm_fault WARNs about without a rule id.)
        Assert.Equal("FL2002", WarningIds()[0]);
        Assert.Equal(new[] { "FL2002" }, WarningIds().Where(id => id is not null));
        Assert.Equal(0, ret);
    }

    [Fact]
    public void Fixed_RetryableFaultWaitsOutTheResetWithoutTheMmapLockThenMaps()
    {
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, new FixedOps(device));
        var gate = new ModelGate();
        var reset = StartReset(device, gate);
        var ret = int.MinValue;
        var unlocked = false;
        var seen = new byte[Page.Size];
        var fault = KernelTask.Start("kvm-vcpu", mm, () =>
        {
            ret = FixupRetryable(mm, Address, out unlocked);
            Assert.Equal(0, Uaccess.CopyFromUser(seen, Address, Page.Size));
        });
        try
        {
            // Waiting killably for the reset, with the mmap lock released (nobody else holds it).
            WaitUntilSleeping(fault, TaskState.Killable);
            Assert.False(mm.MmapLock.IsLocked);
        }
        finally
        {
            gate.Open();
            JoinOrFail(reset);
        }

        JoinOrFail(fault);
        Assert.Equal(0, ret);
        Assert.True(unlocked, "fixup_user_fault reports that the mmap lock was dropped on the way");
        Assert.Equal(device.BarPage(Pgoff).Data, seen);
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_SigkillEndsTheWaitForAReset()
    {
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, new FixedOps(device));
        var gate = new ModelGate();
        var reset = StartReset(device, gate);
        try
        {
            var ret = int.MinValue;
            var fault = KernelTask.Start("kvm-vcpu", mm, () => ret = FixupRetryable(mm, Address, out _));
            WaitUntilSleeping(fault, TaskState.Killable);
            fault.SendSignal(Signal.SIGKILL);
            JoinOrFail(fault);
            Assert.Equal(-Errno.EINTR, ret);
            Assert.True(gate.HasWaiter, "the reset is still running");
        }
        finally
        {
            gate.Open();
            JoinOrFail(reset);
        }

        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_SigkillCannotEndTheWaitForAReset()
    {
        // FL2005's point at run time: an uninterruptible sleep in a fault handler outlives SIGKILL.
        Reset();
        var device = new VfioPciDevice(BarPages);
        var mm = MapBar(device, new BuggyOps(device));
        var gate = new ModelGate();
        var reset = StartReset(device, gate);
        var ret = int.MinValue;
        var fault = KernelTask.Start("kvm-vcpu", mm, () => ret = FixupRetryable(mm, Address, out _));
        try
        {
            WaitUntilSleeping(fault, TaskState.Uninterruptible);
            fault.SendSignal(Signal.SIGKILL);
            AssertHung(fault, TaskState.Uninterruptible);
        }
        finally
        {
            gate.Open();
            JoinOrFail(reset);
        }

        // Once the reset ends, the retried fault sees SIGKILL and gives up.
        JoinOrFail(fault);
        Assert.Equal(-Errno.EINTR, ret);
        AssertNoWarnings();
    }
}
