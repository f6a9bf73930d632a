using FaultLine;
using FaultLine.Samples.Postcopy;
using Xunit;
using static FaultLine.Samples.Tests.SampleKit;
using BuggyVcpu = FaultLine.Samples.Postcopy.Buggy.Vcpu;
using FixedVcpu = FaultLine.Samples.Postcopy.Fixed.Vcpu;

namespace FaultLine.Samples.Tests;

/// <summary>
/// Postcopy migration: a vCPU faults on guest RAM that userfaultfd serves, the fault thread asks the
/// source for the page, and QEMU's vm_stop kicks the vCPU with SIGUSR1. The buggy vCPU's
/// FOLL_INTERRUPTIBLE sits on a GUP form with no <c>locked</c> (FL1001), so the kick is ignored.
/// </summary>
public sealed class PostcopyTests
{
    private const ulong GuestHva = 0x7f0000000000;
    private const int GuestPages = 16;
    private const ulong Gpa = 3 * Page.Size;

    /// <summary>Either variant's vCPU behind one shape.</summary>
    private sealed record VcpuUnderTest(
        Func<ulong, bool, int> PageFault,
        Func<KvmExitReason> ExitReason,
        Func<long> SignalExits,
        Func<IReadOnlyDictionary<ulong, long>> Stage2);

    private static VcpuUnderTest NewVcpu(string variant, GuestRam ram)
    {
        if (variant == "buggy")
        {
            var b = new BuggyVcpu(0, ram);
            return new VcpuUnderTest(b.PageFault, () => b.ExitReason, () => b.SignalExits, () => b.Stage2);
        }

        var f = new FixedVcpu(0, ram);
        return new VcpuUnderTest(f.PageFault, () => f.ExitReason, () => f.SignalExits, () => f.Stage2);
    }

    [Theory]
    [InlineData("buggy")]
    [InlineData("fixed")]
    public void PageFromTheSourceIsMappedWhileTheNetworkIsUp(string variant)
    {
        // The buggy vCPU is fine as long as pages arrive: the bug only shows when one does not.
        Reset();
        using var migration = new Migration(networkUp: true);
        var served = new System.Collections.Concurrent.ConcurrentQueue<PageRequest>();
        migration.FaultThread.PageRequested += served.Enqueue;
        var vcpu = NewVcpu(variant, migration.Ram);
        var hva = migration.Ram.GpaToHva(Gpa);
        var result = int.MinValue;
        var seen = new byte[Page.Size];
        RunTask("vcpu0", migration.Ram.Mm, () =>
        {
            result = vcpu.PageFault(Gpa, true);
            // What the guest now reads at gpa, through the same memory.
            Assert.Equal(0, Uaccess.CopyFromUser(seen, hva, Page.Size));
        });

        Assert.Equal(0, result);
        Assert.Equal(SourceHost.ContentsOf(hva), seen);
        Assert.Equal(KvmExitReason.None, vcpu.ExitReason());
        Assert.Equal(new[] { Gpa >> Page.Shift }, vcpu.Stage2().Keys);
        Assert.Equal(new[] { hva }, migration.Source.Requested);
        Assert.Equal(1, migration.FaultThread.Faults);

        // The fault thread reports each request once it has been served: here, a page placed.
        WaitUntil(() => !served.IsEmpty, "the fault thread reporting its page request");
        var request = Assert.Single(served);
        Assert.Equal(new PageRequest(hva, true, Page.Size), request);
        Assert.False(request.Lost);
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_VmStopKickGetsTheVcpuOutWithEintr()
    {
        Reset();
        using var migration = new Migration(networkUp: false);
        var vcpu = new FixedVcpu(0, migration.Ram);
        var result = int.MinValue;
        var task = KernelTask.Start("vcpu0", migration.Ram.Mm, () => result = vcpu.PageFault(Gpa, true));

        // The fault thread asked the source (the request was lost) and the vCPU sleeps in
        // handle_userfault, interruptibly because the fault carries FAULT_FLAG_INTERRUPTIBLE.
        WaitUntil(() => migration.Source.Requested.Count == 1 && task.State == TaskState.Interruptible,
            "the vCPU asleep in handle_userfault with its page requested");
        task.SendSignal(Signal.SIGUSR1);
        JoinOrFail(task);

        Assert.Equal(-Errno.EINTR, result);
        Assert.Equal(KvmExitReason.Intr, vcpu.ExitReason);
        Assert.Equal(1, vcpu.SignalExits);
        Assert.Empty(vcpu.Stage2);
        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_VmStopKickIsIgnoredUntilSigkill()
    {
        Reset();
        using var migration = new Migration(networkUp: false);
        var vcpu = new BuggyVcpu(0, migration.Ram);
        var result = int.MinValue;
        var task = KernelTask.Start("vcpu0", migration.Ram.Mm, () => result = vcpu.PageFault(Gpa, true));

        // The slow path's fault waits in handle_userfault, but Killable: FOLL_INTERRUPTIBLE went to
        // the get_user_pages call under the lock, where it does nothing (FL1001).
        WaitUntil(() => migration.Source.Requested.Count == 1 && task.State == TaskState.Killable,
            "the vCPU asleep in handle_userfault with its page requested");
        task.SendSignal(Signal.SIGUSR1);

        // SIGUSR1 wakes TASK_INTERRUPTIBLE sleepers only; the page will never come: hung.
        AssertHung(task, TaskState.Killable);
        Assert.Contains(Signal.SIGUSR1, task.PendingSignals);

        // Only SIGKILL gets the vCPU out (and takes the whole VM with it).
        task.SendSignal(Signal.SIGKILL);
        JoinOrFail(task);
        Assert.Equal(-Errno.EINTR, result);
        Assert.Equal(KvmExitReason.Intr, vcpu.ExitReason);

        // The flagged call never even queued a userfault: without `locked` it cannot wait, so it
        // failed with -EFAULT at once (rule 16); the one fault the thread saw is the slow path's.
        Assert.Equal(1, migration.FaultThread.Faults);
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_SigkillWhileTheMmapLockIsContendedIsASignalExitNotEfault()
    {
        // Case 3: get_user_pages_unlocked returns -EAGAIN when its first mmap_read_lock_killable fails;
        // the fixed hva_to_pfn treats it as a signal, so KVM_RUN says -EINTR, not -EFAULT. (The buggy
        // vCPU cannot be driven into this path: its first mmap_read_lock is uninterruptible, and after it
        // the walker's own SIGKILL check answers -EINTR.)
        Reset();
        using var migration = new Migration(networkUp: false);
        var mm = migration.Ram.Mm;
        var gate = new ModelGate();
        var mprotect = KernelTask.Start("mprotect", mm, () =>
        {
            mm.MmapWriteLock();
            gate.WaitOpen();
            mm.MmapWriteUnlock();
        });
        try
        {
            WaitUntil(() => gate.HasWaiter, "mprotect holding mmap_lock for write");
            var vcpu = new FixedVcpu(0, migration.Ram);
            var result = int.MinValue;
            var task = KernelTask.Start("vcpu0", mm, () => result = vcpu.PageFault(Gpa, true));
            WaitUntilSleeping(task, TaskState.Killable); // in mmap_read_lock_killable
            task.SendSignal(Signal.SIGKILL);
            JoinOrFail(task);

            Assert.Equal(-Errno.EINTR, result);
            Assert.Equal(KvmExitReason.Intr, vcpu.ExitReason);
            Assert.Empty(migration.Source.Requested);
        }
        finally
        {
            gate.Open();
            JoinOrFail(mprotect);
        }

        AssertNoWarnings();
    }

    /// <summary>The sample's <see cref="IncomingMigration"/>, ended by Dispose within the watchdog (closing the userfaultfd ends the fault thread).</summary>
    private sealed class Migration : IDisposable
    {
        private readonly IncomingMigration incoming;

        public Migration(bool networkUp) => incoming = new IncomingMigration(GuestHva, GuestPages, networkUp);

        public GuestRam Ram => incoming.Ram;

        public SourceHost Source => incoming.Source;

        public PostcopyFaultThread FaultThread => incoming.FaultThread;

        public void Dispose()
        {
            if (!incoming.Finish(Watchdog))
            {
                Assert.Fail($"watchdog: the fault thread is stuck in state {incoming.FaultTask.State} after the userfaultfd was closed");
            }
        }
    }
}
