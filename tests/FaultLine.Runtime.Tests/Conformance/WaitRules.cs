using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>
/// SEMANTICS.md rules 40-46: wait_event, prepare_to_wait_event, the wait return values, the
/// set-state-then-test order, why a wait must loop, schedule() with a signal pending, and sleeping
/// locks taken after the state is set.
/// </summary>
public class WaitRules
{
    /// <summary>
    /// A point where a task stops until the test lets it go: a plain .NET handshake, used to force an
    /// interleaving (as if the task were preempted there), never to wait for time to pass.
    /// </summary>
    private sealed class Handshake
    {
        private readonly ManualResetEventSlim reached = new();
        private readonly ManualResetEventSlim released = new();

        /// <summary>Called by the task: signals the test and waits to be released.</summary>
        public void Arrive()
        {
            reached.Set();
            Assert.True(released.Wait(Watchdog), "watchdog: the test never released the handshake");
        }

        /// <summary>Called by the test: waits for the task to arrive.</summary>
        public void AwaitArrival() => Assert.True(reached.Wait(Watchdog), "watchdog: the task never reached the handshake");

        /// <summary>Called by the test: lets the task go on.</summary>
        public void Release() => released.Set();
    }

    [Fact]
    public void Rule40_WaitEventTestsTheConditionBeforeQueueing()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var evaluations = 0;
        RunTask("waiter", null, () => Wait.Event(wq, () => ++evaluations > 0));
        Assert.Equal(1, evaluations);
        Assert.False(wq.HasSleepers);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule40_WaitEventRechecksAfterEveryWakeupAndSleepsAgain()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var evaluations = 0;
        var done = false;
        var task = KernelTask.Start("waiter", null, () => Wait.Event(wq, () =>
        {
            Interlocked.Increment(ref evaluations);
            return Volatile.Read(ref done);
        }));
        // wait_event tests once before queueing and once after setting the state; then it sleeps.
        WaitUntil(() => Volatile.Read(ref evaluations) == 2 && task.State == TaskState.Uninterruptible, "the waiter asleep");
        var before = Volatile.Read(ref evaluations);

        wq.WakeUp(); // the condition is still false
        WaitUntil(() => Volatile.Read(ref evaluations) > before && task.State == TaskState.Uninterruptible && wq.HasSleepers,
            "the waiter rechecking and going back to sleep");
        Assert.False(task.HasExited);

        Volatile.Write(ref done, true);
        wq.WakeUp();
        JoinOrFail(task);
        Assert.False(wq.HasSleepers);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule40_AnInterruptedWaitReturnsWithTheEntryAlreadyRemoved()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var ret = 0;
        var stateAfter = TaskState.Interruptible;
        var task = KernelTask.Start("waiter", null, () =>
        {
            ret = Wait.EventInterruptible(wq, () => false);
            stateAfter = KernelTask.Current.State;
            KernelTask.Current.FlushSignals();
        });
        WaitUntilSleeping(task, TaskState.Interruptible);
        task.SendSignal(Signal.SIGUSR1);
        JoinOrFail(task);
        Assert.Equal(-Errno.ERESTARTSYS, ret);
        Assert.Equal(TaskState.Running, stateAfter);
        Assert.False(wq.HasSleepers);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule41_APendingSignalDequeuesAndReturnsErestartsysWithoutSleeping()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var ret = 0;
        RunTask("waiter", null, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            ret = Wait.EventInterruptible(wq, () => false); // would hang if it slept: nobody wakes wq
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
            KernelTask.Current.FlushSignals();
        });
        Assert.Equal(-Errno.ERESTARTSYS, ret);
        Assert.False(wq.HasSleepers);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule41_PrepareToWaitQueuesOnceAndSetsTheStateAndFinishWaitUndoesBoth()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        RunTask("waiter", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.PrepareToWait(wq, entry, TaskState.Killable);
            Assert.Equal(TaskState.Killable, KernelTask.Current.State);
            Assert.True(entry.Queued);
            Wait.PrepareToWait(wq, entry, TaskState.Interruptible); // the loop's second pass: not queued twice
            Assert.Equal(TaskState.Interruptible, KernelTask.Current.State);
            Wait.FinishWait(wq, entry);
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
            Assert.False(entry.Queued);
            Assert.False(wq.HasSleepers);
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule41_WakeUpWakesOneExclusiveWaiter()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var tokens = 0;
        KernelTask Waiter(string comm) => KernelTask.Start(comm, null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            for (;;)
            {
                Wait.PrepareToWaitExclusive(wq, entry, TaskState.Uninterruptible);
                if (Interlocked.Decrement(ref tokens) >= 0)
                {
                    break;
                }

                Interlocked.Increment(ref tokens);
                Sched.Schedule();
            }

            Wait.FinishWait(wq, entry);
        });
        var a = Waiter("a");
        var b = Waiter("b");
        WaitUntilSleeping(a, TaskState.Uninterruptible);
        WaitUntilSleeping(b, TaskState.Uninterruptible);

        Interlocked.Increment(ref tokens);
        wq.WakeUp();
        WaitUntil(() => a.HasExited || b.HasExited, "one exclusive waiter taking the token");
        var (woken, other) = a.HasExited ? (a, b) : (b, a);
        JoinOrFail(woken);
        Assert.Equal(TaskState.Uninterruptible, other.State); // the second one was never woken
        Assert.False(other.HasExited);

        Interlocked.Increment(ref tokens);
        wq.WakeUp();
        JoinOrFail(other);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule42_WaitEventIsUninterruptibleAndReturnsOnlyOnTheCondition()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var done = false;
        var task = KernelTask.Start("waiter", null, () =>
        {
            Wait.Event(wq, () => Volatile.Read(ref done));
            Assert.True(Volatile.Read(ref done));
            KernelTask.Current.FlushSignals();
        });
        WaitUntilSleeping(task, TaskState.Uninterruptible);
        task.SendSignal(Signal.SIGKILL);
        Assert.Equal(TaskState.Uninterruptible, task.State);
        Volatile.Write(ref done, true);
        wq.WakeUp();
        JoinOrFail(task);
    }

    [Fact]
    public void Rule42_EventInterruptibleReturnsZeroOnTheCondition()
    {
        var wq = new WaitQueueHead();
        var done = false;
        var ret = -1;
        var task = KernelTask.Start("waiter", null, () => ret = Wait.EventInterruptible(wq, () => Volatile.Read(ref done)));
        WaitUntilSleeping(task, TaskState.Interruptible);
        Volatile.Write(ref done, true);
        wq.WakeUp();
        JoinOrFail(task);
        Assert.Equal(0, ret);
    }

    [Theory]
    [InlineData(Signal.SIGUSR1)]
    [InlineData(Signal.SIGKILL)]
    public void Rule42_EventInterruptibleReturnsErestartsysOnAnySignal(Signal sig)
    {
        var wq = new WaitQueueHead();
        var ret = 0;
        var task = KernelTask.Start("waiter", null, () =>
        {
            ret = Wait.EventInterruptible(wq, () => false);
            KernelTask.Current.FlushSignals();
        });
        WaitUntilSleeping(task, TaskState.Interruptible);
        task.SendSignal(sig);
        JoinOrFail(task);
        Assert.Equal(-Errno.ERESTARTSYS, ret);
    }

    [Fact]
    public void Rule42_EventKillableReturnsErestartsysOnlyOnAFatalSignal()
    {
        var wq = new WaitQueueHead();
        var ret = 0;
        var task = KernelTask.Start("waiter", null, () =>
        {
            ret = Wait.EventKillable(wq, () => false);
            KernelTask.Current.FlushSignals();
        });
        WaitUntilSleeping(task, TaskState.Killable);
        task.SendSignal(Signal.SIGUSR1);
        Assert.Equal(TaskState.Killable, task.State);
        Assert.False(task.HasExited);
        task.SendSignal(Signal.SIGKILL);
        JoinOrFail(task);
        Assert.Equal(-Errno.ERESTARTSYS, ret);

        var done = false;
        var ok = -1;
        var second = KernelTask.Start("waiter2", null, () => ok = Wait.EventKillable(wq, () => Volatile.Read(ref done)));
        WaitUntilSleeping(second, TaskState.Killable);
        Volatile.Write(ref done, true);
        wq.WakeUp();
        JoinOrFail(second);
        Assert.Equal(0, ok);
    }

    [Fact]
    public void Rule42_EventTimeoutReturnsZeroWhenTheConditionIsStillFalse()
    {
        var wq = new WaitQueueHead();
        long ret = -1;
        RunTask("waiter", null, () => ret = Wait.EventTimeout(wq, () => false, 1));
        Assert.Equal(0, ret);
        Assert.False(wq.HasSleepers);
    }

    [Fact]
    public void Rule42_EventTimeoutReturnsOneWhenTheConditionBecameTrueAsTheTimeoutEnded()
    {
        var wq = new WaitQueueHead();
        long atZero = -1, atEnd = -1;
        RunTask("waiter", null, () =>
        {
            // Already true with no time left.
            atZero = Wait.EventTimeout(wq, () => true, 0);

            // False until the timer has run out (nobody wakes the queue), then true.
            var evaluations = 0;
            atEnd = Wait.EventTimeout(wq, () => ++evaluations > 2, 1);
            Assert.Equal(3, evaluations);
        });
        Assert.Equal(1, atZero);
        Assert.Equal(1, atEnd);
    }

    [Fact]
    public void Rule42_EventTimeoutReturnsTheTicksLeftWhenTheConditionIsTrueEarlier()
    {
        const long timeout = 100_000_000;
        var wq = new WaitQueueHead();
        var done = false;
        long initiallyTrue = -1, woken = -1;
        var task = KernelTask.Start("waiter", null, () =>
        {
            initiallyTrue = Wait.EventTimeout(wq, () => true, timeout);
            woken = Wait.EventTimeout(wq, () => Volatile.Read(ref done), timeout);
        });
        WaitUntilSleeping(task, TaskState.Uninterruptible);
        Volatile.Write(ref done, true);
        wq.WakeUp();
        JoinOrFail(task);
        Assert.Equal(timeout, initiallyTrue);
        Assert.InRange(woken, 1, timeout);
    }

    [Fact]
    public void Rule42_EventInterruptibleTimeoutAddsErestartsys()
    {
        var wq = new WaitQueueHead();
        long interrupted = 0, timedOut = -1;
        var task = KernelTask.Start("waiter", null, () =>
        {
            interrupted = Wait.EventInterruptibleTimeout(wq, () => false, 100_000_000);
            KernelTask.Current.FlushSignals();
            timedOut = Wait.EventInterruptibleTimeout(wq, () => false, 1);
        });
        WaitUntilSleeping(task, TaskState.Interruptible);
        task.SendSignal(Signal.SIGUSR1);
        JoinOrFail(task);
        Assert.Equal(-Errno.ERESTARTSYS, interrupted);
        Assert.Equal(0, timedOut);
    }

    [Fact]
    public void Rule43_SetStateThenTestDoesNotLoseAWakeupThatLandsBeforeSchedule()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var condition = false;
        var gap = new Handshake();
        var sawCondition = false;
        var waiter = KernelTask.Start("waiter", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible); // set the state (and queue) first
            if (!Volatile.Read(ref condition))
            {
                gap.Arrive(); // preempted between the test and schedule(): the waker runs now
                Sched.Schedule(); // the waker already set us Running: returns at once
            }

            Wait.FinishWait(wq, entry);
            sawCondition = Volatile.Read(ref condition);
        });
        gap.AwaitArrival();
        Volatile.Write(ref condition, true); // the waker: change the condition, then wake
        wq.WakeUp();
        Assert.Equal(TaskState.Running, waiter.State);
        gap.Release();
        JoinOrFail(waiter);
        Assert.True(sawCondition);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule43_TestingTheConditionBeforeSettingTheStateLosesTheWakeup()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var condition = false;
        var gap = new Handshake();
        var waiter = KernelTask.Start("waiter", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.AddWaitQueue(wq, entry);
            if (!Volatile.Read(ref condition)) // tested while still Running
            {
                gap.Arrive();
                Sched.SetCurrentState(TaskState.Uninterruptible); // too late: the wakeup already happened
                Sched.Schedule();
            }

            Wait.RemoveWaitQueue(wq, entry);
        });
        gap.AwaitArrival();
        Volatile.Write(ref condition, true);
        wq.WakeUp(); // finds the waiter Running: nothing to do
        gap.Release();

        // The condition is true and yet the waiter sleeps: the wakeup was lost.
        WaitUntilSleeping(waiter, TaskState.Uninterruptible);
        Assert.False(waiter.HasExited);
        Assert.True(Volatile.Read(ref condition));

        wq.WakeUp(); // only a second, unrelated wakeup rescues it
        JoinOrFail(waiter);
    }

    [Fact]
    public void Rule44_AWaitThatDoesNotLoopReturnsWithItsConditionFalseOnASharedQueueWakeup()
    {
        ResetWarnings();
        var wq = new WaitQueueHead { Name = "shared" };
        var mine = false;
        bool? sawMine = null;
        var single = KernelTask.Start("single", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
            if (!Volatile.Read(ref mine))
            {
                Sched.Schedule(); // one schedule, then trust the condition
            }

            Wait.FinishWait(wq, entry);
            sawMine = Volatile.Read(ref mine);
        });
        WaitUntilSleeping(single, TaskState.Uninterruptible);
        wq.WakeUp(); // someone else's condition changed on the same queue
        JoinOrFail(single);
        Assert.False(sawMine);
    }

    [Fact]
    public void Rule44_ALoopedWaitGoesBackToSleepUntilItsConditionHolds()
    {
        ResetWarnings();
        var wq = new WaitQueueHead { Name = "shared" };
        var mine = false;
        var passes = 0;
        bool? sawMine = null;
        var looped = KernelTask.Start("looped", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            for (;;)
            {
                Interlocked.Increment(ref passes);
                Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                if (Volatile.Read(ref mine))
                {
                    break;
                }

                Sched.Schedule();
            }

            Wait.FinishWait(wq, entry);
            sawMine = Volatile.Read(ref mine);
        });
        WaitUntilSleeping(looped, TaskState.Uninterruptible);
        WaitUntil(() => Volatile.Read(ref passes) == 1, "the first pass");
        wq.WakeUp();
        WaitUntil(() => Volatile.Read(ref passes) == 2 && looped.State == TaskState.Uninterruptible, "the second pass asleep");
        Assert.False(looped.HasExited);

        Volatile.Write(ref mine, true);
        wq.WakeUp();
        JoinOrFail(looped);
        Assert.True(sawMine);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule45_ScheduleInInterruptibleWithASignalPendingReturnsAtOnce()
    {
        ResetWarnings();
        var passes = 0;
        RunTask("spinner", null, () =>
        {
            var task = KernelTask.Current;
            task.SendSignal(Signal.SIGUSR1);

            // An interruptible waiter that ignores signals busy-loops: every schedule() returns at once.
            for (var i = 0; i < 1000; i++)
            {
                Sched.SetCurrentState(TaskState.Interruptible);
                Sched.Schedule();
                Assert.Equal(TaskState.Running, task.State);
                passes++;
            }

            task.FlushSignals();
        });
        Assert.Equal(1000, passes);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule45_KillableSleepsThroughANonFatalSignal()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var wakeIssued = false;
        var wokenByQueue = false;
        var task = KernelTask.Start("sleeper", null, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.PrepareToWait(wq, entry, TaskState.Killable);
            Sched.Schedule();
            wokenByQueue = Volatile.Read(ref wakeIssued); // returning before the wakeup would be the bug
            Wait.FinishWait(wq, entry);
            KernelTask.Current.FlushSignals();
        });
        WaitUntilSleeping(task, TaskState.Killable);
        Assert.False(task.HasExited);
        Volatile.Write(ref wakeIssued, true);
        wq.WakeUp();
        JoinOrFail(task);
        Assert.True(wokenByQueue);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule45_KillableWithSigkillPendingReturnsAtOnce()
    {
        var wq = new WaitQueueHead();
        var stillQueued = false;
        RunTask("sleeper", null, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.PrepareToWait(wq, entry, TaskState.Killable);
            Sched.Schedule(); // nobody wakes wq: returning at all shows the signal let it through
            stillQueued = entry.Queued;
            Wait.FinishWait(wq, entry);
        });
        Assert.True(stillQueued);
        Assert.False(wq.HasSleepers);
    }

    [Fact]
    public void Rule45_UninterruptibleSleepsThroughSigkill()
    {
        var wq = new WaitQueueHead();
        var wakeIssued = false;
        var wokenByQueue = false;
        var task = KernelTask.Start("sleeper", null, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            var entry = new WaitQueueEntry(KernelTask.Current);
            Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
            Sched.Schedule();
            wokenByQueue = Volatile.Read(ref wakeIssued);
            Wait.FinishWait(wq, entry);
        });
        WaitUntilSleeping(task, TaskState.Uninterruptible);
        Assert.False(task.HasExited);
        Volatile.Write(ref wakeIssued, true);
        wq.WakeUp();
        JoinOrFail(task);
        Assert.True(wokenByQueue);
    }

    [Theory]
    [InlineData("mutex_lock")]
    [InlineData("down_read")]
    [InlineData("lock_page")]
    [InlineData("wait_event")]
    public void Rule46_ASleepingLockAfterSetCurrentStateIsReportedAsFl3007(string primitive)
    {
        ResetWarnings();
        var mutex = new KMutex();
        var sem = new RwSemaphore();
        var page = new Page();
        var wq = new WaitQueueHead();
        RunTask("waiter", null, () =>
        {
            Sched.SetCurrentState(TaskState.Interruptible);
            switch (primitive)
            {
                case "mutex_lock":
                    mutex.Lock();
                    mutex.Unlock();
                    break;
                case "down_read":
                    sem.DownRead();
                    sem.UpRead();
                    break;
                case "lock_page":
                    page.Lock();
                    page.Unlock();
                    break;
                default:
                    Wait.Event(wq, () => true);
                    break;
            }

            Sched.SetCurrentState(TaskState.Running);
        });
        Assert.Equal(new[] { "FL3007" }, WarningIds());
        Assert.Contains("!TASK_RUNNING", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Rule46_AContendedLockResetsTheStateToRunningAndVoidsTheSleep()
    {
        ResetWarnings();
        var mutex = new KMutex("hugetlb_vma_lock");
        var stateAfterLock = TaskState.Interruptible;
        mutex.Lock();
        KernelTask waiter;
        try
        {
            waiter = KernelTask.Start("waiter", null, () =>
            {
                Sched.SetCurrentState(TaskState.Interruptible); // wrong: state first, then a sleeping lock
                mutex.Lock();
                stateAfterLock = KernelTask.Current.State;
                Sched.Schedule(); // no longer a sleep: the lock's own sleep left the task Running
                mutex.Unlock();
            });
            WaitUntilSleeping(waiter, TaskState.Uninterruptible); // asleep inside mutex_lock
        }
        finally
        {
            mutex.Unlock();
        }

        JoinOrFail(waiter);
        Assert.Equal(TaskState.Running, stateAfterLock);
        Assert.Equal(new[] { "FL3007", "FL3003" }, WarningIds());
    }

    [Fact]
    public void Rule46_TakingTheLockBeforeSettingTheStateIsSilent()
    {
        ResetWarnings();
        var mutex = new KMutex();
        var wq = new WaitQueueHead();
        var done = false;
        var task = KernelTask.Start("waiter", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            for (;;)
            {
                mutex.Lock(); // the sleeping lock first (hugetlb_vma_lock_read before set_current_state)
                Wait.PrepareToWait(wq, entry, TaskState.Interruptible);
                var ready = Volatile.Read(ref done);
                mutex.Unlock(); // releasing never sleeps
                if (ready)
                {
                    break;
                }

                Sched.Schedule();
            }

            Wait.FinishWait(wq, entry);
        });
        WaitUntilSleeping(task, TaskState.Interruptible);
        Volatile.Write(ref done, true);
        wq.WakeUp();
        JoinOrFail(task);
        Assert.Empty(KernelDebug.Warnings);
    }
}
