using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.DebugChecks;

/// <summary>
/// might_sleep in atomic context (FL3006), schedule() while Running (FL3003), the task-exit checks for
/// held locks (FL4007) and outstanding pins or references (FL4005), and panic_on_warn.
/// </summary>
public class SleepAndExitChecks
{
    [Fact]
    public void Fl3006_MutexLockWithASpinlockHeld()
    {
        ResetWarnings();
        var spin = new KSpinLock("ptl");
        var mutex = new KMutex();
        RunTask("atomic", null, () =>
        {
            spin.Lock();
            mutex.Lock();
            mutex.Unlock();
            spin.Unlock();
        });
        Assert.Equal(new[] { "FL3006" }, WarningIds());
        Assert.Contains("invalid context", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Fl3006_ScheduleWithASpinlockHeld()
    {
        ResetWarnings();
        var spin = new KSpinLock("ptl");
        RunTask("atomic", null, () =>
        {
            spin.Lock();
            Sched.SetCurrentState(TaskState.Interruptible);
            KernelTask.Current.SendSignal(Signal.SIGUSR1); // so the schedule() returns at once
            Sched.Schedule();
            KernelTask.Current.FlushSignals();
            spin.Unlock();
        });
        Assert.Equal(new[] { "FL3006" }, WarningIds());
        Assert.Contains("scheduling while atomic", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Fl3006_PageLockInAFaultHandlerHoldingASpinlock()
    {
        ResetWarnings();
        var spin = new KSpinLock("driver_spinlock");
        var page = new Page();
        var ops = new HandlerOps(v =>
        {
            spin.Lock();
            page.Lock();
            page.Unlock();
            spin.Unlock();
            return HandlerOps.Supply(v);
        });
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () => Assert.Equal((VmFaultResult.None, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry)));
        Assert.Equal(new[] { "FL3006" }, WarningIds());
    }

    [Fact]
    public void Fl3006_IsSilentWhenTheSpinlockIsReleasedFirstOrOnlyTrylocksRun()
    {
        ResetWarnings();
        var spin = new KSpinLock("ptl");
        var mutex = new KMutex();
        var page = new Page();
        RunTask("atomic", null, () =>
        {
            spin.Lock();
            Assert.True(mutex.TryLock());
            Assert.True(page.TryLock());
            page.Unlock();
            mutex.Unlock();
            spin.Unlock();
            mutex.Lock();
            mutex.Unlock();
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Fl3003_ScheduleWhileRunning()
    {
        ResetWarnings();
        RunTask("runner", null, () =>
        {
            Sched.Schedule(); // returns at once: a Running task does not sleep
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
        });
        Assert.Equal(new[] { "FL3003" }, WarningIds());
        Assert.Contains("TASK_RUNNING", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Fl3003_IsSilentWhenTheStateWasSetEvenIfAWakeupAlreadyMadeItRunning()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        RunTask("waiter", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
            wq.WakeUp(); // the wakeup lands between the condition test and schedule()
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
            Sched.Schedule();
            Wait.FinishWait(wq, entry);
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Fl4007_ATaskThatEndsHoldingAMutex()
    {
        ResetWarnings();
        var mutex = new KMutex("config_lock");
        RunTask("leaker", null, () => mutex.Lock());
        var w = Assert.Single(KernelDebug.Warnings);
        Assert.Equal("FL4007", w.RuleId);
        Assert.Equal("leaker", w.TaskComm);
        Assert.Contains("config_lock", w.Message);
    }

    [Fact]
    public void Fl4007_ATaskThatEndsHoldingTheMmapLock()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        RunTask("leaker", mm, () =>
        {
            mm.MmapReadLock();
            var locked = true;
            Assert.Equal(1, Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Write, null, ref locked));
            // forgot: if (locked) mmap_read_unlock(mm);
        });
        Assert.Equal(new[] { "FL4007" }, WarningIds());
        Assert.Contains("mmap_lock", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Fl4007_ReleasingTheMmapLockTwice()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        RunTask("twice", mm, () =>
        {
            mm.MmapReadLock();
            mm.MmapReadUnlock();
            mm.MmapReadUnlock();
            Assert.False(mm.MmapLock.IsLocked);
        });
        Assert.Equal(new[] { "FL4007" }, WarningIds());
    }

    [Fact]
    public void Fl4007_IsSilentWhenEveryLockIsReleased()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        var mutex = new KMutex();
        RunTask("tidy", mm, () =>
        {
            mutex.Lock();
            mm.MmapReadLock();
            var locked = true;
            Assert.Equal(1, Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Write, null, ref locked));
            if (locked)
            {
                mm.MmapReadUnlock();
            }

            mutex.Unlock();
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Fl4005_ATaskThatEndsWithAPinOutstanding()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        RunTask("leaker", mm, () =>
        {
            var pages = new Page[2];
            mm.MmapReadLock();
            Assert.Equal(2, Gup.PinUserPages(mm, Base, 2, FollFlags.Write, pages));
            mm.MmapReadUnlock();
            Gup.UnpinUserPage(pages[0]); // the second pin is leaked
        });
        var w = Assert.Single(KernelDebug.Warnings);
        Assert.Equal("FL4005", w.RuleId);
        Assert.Contains("1 pinned page", w.Message);
    }

    [Fact]
    public void Fl4005_ATaskThatEndsHoldingAGupReference()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        RunTask("leaker", mm, () =>
        {
            var pages = new Page[1];
            Assert.Equal(1, Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages));
        });
        Assert.Equal(new[] { "FL4005" }, WarningIds());
    }

    [Fact]
    public void Fl4005_IsSilentWhenAShortCountIsReleasedInFull()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        RunTask("tidy", mm, () =>
        {
            var pages = new Page[4];
            var got = Gup.PinUserPagesUnlocked(mm, Base, 4, FollFlags.Write, pages); // 2 mapped of 4
            Assert.Equal(2, got);
            Gup.UnpinUserPages(pages, got);
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void PanicOnWarn_TurnsAWarningIntoAKernelBugException()
    {
        ResetWarnings();
        try
        {
            KernelDebug.PanicOnWarn = true;
            var reachedAfter = false;
            var task = KernelTask.Start("runner", null, () =>
            {
                Sched.Schedule(); // FL3003
                reachedAfter = true;
            });
            var e = Assert.Throws<KernelBugException>(() => JoinOrFail(task));
            Assert.Contains("panic_on_warn", e.Message);
            Assert.Contains("FL3003", e.Message);
            Assert.False(reachedAfter);
        }
        finally
        {
            KernelDebug.PanicOnWarn = false;
        }

        Assert.Equal(new[] { "FL3003" }, WarningIds()); // still logged, like the WARN before the panic
    }

    [Fact]
    public void PanicOnWarn_AWarningAtTaskExitSurfacesFromJoin()
    {
        ResetWarnings();
        var mutex = new KMutex("exit_lock");
        try
        {
            KernelDebug.PanicOnWarn = true;
            var task = KernelTask.Start("leaker", null, () => mutex.Lock());
            var e = Assert.Throws<KernelBugException>(() => JoinOrFail(task));
            Assert.Contains("FL4007", e.Message);
            Assert.True(task.HasExited);
        }
        finally
        {
            KernelDebug.PanicOnWarn = false;
        }
    }

    [Fact]
    public void PanicOnWarn_IsSilentOnCorrectCode()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        try
        {
            KernelDebug.PanicOnWarn = true;
            RunTask("tidy", mm, () =>
            {
                var pages = new Page[1];
                Assert.Equal(1, Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages));
                Gup.PutPage(pages[0]);
            });
        }
        finally
        {
            KernelDebug.PanicOnWarn = false;
        }

        Assert.Empty(KernelDebug.Warnings);
    }
}
