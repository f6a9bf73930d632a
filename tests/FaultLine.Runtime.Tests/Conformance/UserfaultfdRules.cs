using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;
using static FaultLine.Runtime.Tests.UffdTestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>SEMANTICS.md rules 35-39: handle_userfault and userfaultfd wakeups.</summary>
public class UserfaultfdRules
{
    [Fact]
    public void Rule35_WithoutAllowRetryAUserfaultIsSigbusWithoutWaiting()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        RunTask("fault", mm, () =>
        {
            Assert.Equal((VmFaultResult.Sigbus, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.Write | FaultFlags.Killable));

            // So plain get_user_pages() on an unfilled range gets -EFAULT.
            mm.MmapReadLock();
            Assert.Equal(-Errno.EFAULT, Gup.GetUserPages(mm, Base, 1, FollFlags.Write | FollFlags.Interruptible, new Page[1]));
            mm.MmapReadUnlock();
        });
        Assert.False(uffd.TryRead(out _)); // nothing was queued for the resolver
        Assert.False(uffd.HasWaiters);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule35_RetryNowaitWithoutAllowRetryIsWarnedAndSigbus()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        RunTask("fault", mm, () =>
            Assert.Equal((VmFaultResult.Sigbus, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.RetryNowait)));
        Assert.False(uffd.TryRead(out _));
        var warning = Assert.Single(KernelDebug.Warnings);
        Assert.Contains("ALLOW_RETRY", warning.Message);
    }

    [Fact]
    public void Rule35_FeatureSigbusFailsFaultsWithoutWaiting()
    {
        ResetWarnings();
        var mm = AnonMm(1, out var vma);
        var uffd = Userfaultfd.Create(mm, UffdFeatures.Sigbus);
        Assert.Equal(0, uffd.Register(Base, Page.Size, UffdRegisterMode.Missing));
        RunTask("fault", mm, () =>
        {
            Assert.Equal((VmFaultResult.Sigbus, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable));
            Assert.Equal(-Errno.EFAULT, Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, new Page[1]));
        });
        Assert.False(uffd.TryRead(out _));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule36_RetryNowaitReturnsRetryAtOnceWithTheLockHeld()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        RunTask("kvm", mm, () =>
        {
            Assert.Equal((VmFaultResult.Retry, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.RetryNowait));

            // FOLL_NOWAIT relies on it: no page, no sleep, the lock never dropped.
            mm.MmapReadLock();
            var locked = true;
            Assert.Equal(0, Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Write | FollFlags.Nowait, new Page[1], ref locked));
            Assert.True(locked);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.False(uffd.TryRead(out _)); // no message: it never queued
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule36_ReleasingTheContextWakesTheWaiterAndItsRetryFindsOrdinaryMemory()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        long got = 0;
        var task = KernelTask.Start("vcpu", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages);
            if (got == 1)
            {
                Gup.PutPage(pages[0]);
            }
        });
        ReadFault(uffd);
        WaitUntilSleeping(task, TaskState.Killable);
        RunTask("closer", null, uffd.Release); // takes the mmap write lock: the waiter must not hold it
        JoinOrFail(task);
        Assert.Equal(1, got);
        Assert.True(uffd.Released);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Theory]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible, TaskState.Interruptible)]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Interruptible, TaskState.Interruptible)]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Killable, TaskState.Killable)]
    [InlineData(FaultFlags.AllowRetry, TaskState.Uninterruptible)]
    public void Rule37_TheSleepStateFollowsTheFaultFlags(FaultFlags flags, TaskState expected)
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        (VmFaultResult, bool) outcome = default;
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, flags));
        ReadFault(uffd);
        WaitUntilSleeping(task, expected);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(3)));
        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule37_GupUnlockedSleepsKillableSoSigusr1DoesNotWakeIt()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        long got = 0;
        var task = KernelTask.Start("vcpu", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages);
            if (got == 1)
            {
                Gup.PutPage(pages[0]);
            }

            KernelTask.Current.FlushSignals();
        });
        ReadFault(uffd);
        WaitUntilSleeping(task, TaskState.Killable);
        task.SendSignal(Signal.SIGUSR1);
        Assert.Equal(TaskState.Killable, task.State);
        Assert.False(task.HasExited);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(3)));
        JoinOrFail(task);
        Assert.Equal(1, got);
    }

    [Fact]
    public void Rule38_WhileItSleepsTheFaultIsQueuedAndTheLockReleased()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        (VmFaultResult, bool) outcome = default;
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable));
        var msg = ReadFault(uffd);
        Assert.Equal(Base, msg.Address);
        WaitUntilSleeping(task, TaskState.Killable);
        Assert.True(uffd.HasWaiters);
        Assert.False(mm.MmapLock.IsLocked);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(3)));
        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
        Assert.False(uffd.HasWaiters);
    }

    [Fact]
    public void Rule38_APageCopiedBeforeTheFaultSleepsMeansNoSleep()
    {
        // The resolver's UFFDIO_COPY lands after the fault found no PTE but before handle_userfault
        // queued itself (case 11): the recheck after queueing must see the page and not sleep. The
        // model's fault path looks at the PTE first, so the test calls handle_userfault directly, as
        // handle_mm_fault would have a moment earlier.
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(8), UffdCopyMode.DontWake));
        VmFaultResult ret = default;
        bool held = true;
        TaskState after = TaskState.Interruptible;
        RunTask("fault", mm, () =>
        {
            mm.MmapReadLock();
            ret = Userfaultfd.HandleUserfault(new VmFault(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable), UffdReason.Missing);
            held = mm.MmapLock.IsHeldByCurrent;
            after = KernelTask.Current.State;
        });

        // Had it slept, nobody would ever wake it: the watchdog would fail the test.
        Assert.Equal(VmFaultResult.Retry, ret);
        Assert.False(held);
        Assert.Equal(TaskState.Running, after);
        Assert.False(uffd.TryRead(out _)); // dequeued again; the resolver was never bothered
        Assert.False(uffd.HasWaiters);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule38_OneSleepThenRetryEvenWhenWokenWithoutThePage()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        (VmFaultResult, bool) outcome = default;
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable));
        ReadFault(uffd);
        WaitUntilSleeping(task, TaskState.Killable);
        uffd.Wake(Base, Page.Size); // UFFDIO_WAKE with nothing copied
        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome); // no loop inside: the caller re-faults
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(1), UffdCopyMode.DontWake)); // the page was still missing
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule38_ASignalWakeupOnlyReturnsRetry()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        (VmFaultResult, bool) outcome = default;
        var task = KernelTask.Start("fault", mm, () =>
        {
            outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible);
            KernelTask.Current.FlushSignals();
        });
        ReadFault(uffd);
        WaitUntilSleeping(task, TaskState.Interruptible);
        task.SendSignal(Signal.SIGUSR1);
        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
        Assert.False(uffd.HasWaiters);
    }

    [Fact]
    public void Rule38_AfterAWakeupWithoutThePageGupFaultsAgain()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        long got = 0;
        var task = KernelTask.Start("vcpu", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages);
            if (got == 1)
            {
                Gup.PutPage(pages[0]);
            }
        });
        Assert.Equal(Base, ReadFault(uffd).Address);
        WaitUntilSleeping(task, TaskState.Killable);
        uffd.Wake(Base, Page.Size);

        // The retry re-faults, finds the page still missing, and queues a second message.
        Assert.Equal(Base, ReadFault(uffd).Address);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(2)));
        JoinOrFail(task);
        Assert.Equal(1, got);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule39_WakeupsAreFilteredByAddressRange()
    {
        ResetWarnings();
        var mm = UffdMm(3, out var uffd);
        var vma = mm.Vmas[0];
        var outcomes = new (VmFaultResult, bool)[3];
        var tasks = Enumerable.Range(0, 3).Select(i => KernelTask.Start($"fault{i}", mm,
            () => outcomes[i] = HandlerOps.FaultOnce(vma, PageAddress(i), FaultFlags.AllowRetry))).ToArray();
        for (var i = 0; i < 3; i++)
        {
            ReadFault(uffd);
        }

        foreach (var t in tasks)
        {
            WaitUntilSleeping(t, TaskState.Uninterruptible);
        }

        // Wake the middle page only: the others stay asleep (wakeups are synchronous).
        uffd.Wake(PageAddress(1), Page.Size);
        JoinOrFail(tasks[1]);
        Assert.Equal(TaskState.Uninterruptible, tasks[0].State);
        Assert.Equal(TaskState.Uninterruptible, tasks[2].State);
        Assert.False(tasks[0].HasExited);
        Assert.False(tasks[2].HasExited);
        Assert.True(uffd.HasWaiters);

        // A copy wakes exactly the range it filled.
        Assert.Equal(Page.Size, uffd.Copy(PageAddress(2), PageOf(2)));
        JoinOrFail(tasks[2]);
        Assert.Equal(TaskState.Uninterruptible, tasks[0].State);
        Assert.False(tasks[0].HasExited);

        uffd.Wake(Base, 3 * Page.Size);
        JoinOrFail(tasks[0]);
        Assert.All(outcomes, o => Assert.Equal((VmFaultResult.Retry, false), o));
        Assert.False(uffd.HasWaiters); // a successful wake dequeues the entry
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule39_CopyWithDontWakeWakesNobodyUntilUffdioWake()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        (VmFaultResult, bool) outcome = default;
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry));
        ReadFault(uffd);
        WaitUntilSleeping(task, TaskState.Uninterruptible);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(4), UffdCopyMode.DontWake));
        Assert.Equal(TaskState.Uninterruptible, task.State);
        Assert.False(task.HasExited);
        uffd.Wake(Base, Page.Size);
        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
    }
}
