using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;
using static FaultLine.Runtime.Tests.UffdTestKit;

namespace FaultLine.Runtime.Tests.Injection;

/// <summary>
/// <see cref="FaultInjection"/>: seeded replay, spurious wakeups against single and looped waits,
/// signals at sleep points, and forced VM_FAULT_RETRY absorbed by GUP's retry.
/// </summary>
public class FaultInjectionTests
{
    /// <summary>What one run of the replay scenario produced, per task.</summary>
    private sealed record RunOutcome(long[] Gup, string[] Sleeps, InjectionEvent[][] Events);

    /// <summary>
    /// Two tasks, each on its own mm, so that nothing they do depends on how the threads interleave:
    /// a GUP over fresh anonymous memory (forced retries, delays) and then a series of short
    /// interruptible sleeps (signals at the sleep point, spurious wakeups, or the timer).
    /// </summary>
    private static RunOutcome RunScenario(int seed)
    {
        var fi = new FaultInjection(seed)
        {
            ForcedRetryRate = 0.4,
            DelayRate = 0.3,
            SpuriousWakeupRate = 0.3,
            SignalRate = 0.3,
        };
        var comms = new[] { "vcpu0", "vcpu1" };
        var gup = new long[comms.Length];
        var sleeps = new string[comms.Length];
        using (fi.Install())
        {
            var tasks = comms.Select((comm, n) =>
            {
                var mm = AnonMm(8, out _);
                return KernelTask.Start(comm, mm, () =>
                {
                    var pages = new Page[8];
                    gup[n] = Gup.GetUserPagesUnlocked(mm, Base, 8, FollFlags.Write, pages);
                    for (var i = 0; i < gup[n]; i++)
                    {
                        Gup.PutPage(pages[i]);
                    }

                    var log = new List<string>();
                    for (var i = 0; i < 12; i++)
                    {
                        Sched.SetCurrentState(TaskState.Interruptible);
                        var left = Sched.ScheduleTimeout(1);
                        log.Add($"{left}{(KernelTask.Current.SignalPending ? "s" : "")}");
                        KernelTask.Current.FlushSignals();
                    }

                    sleeps[n] = string.Join(",", log);
                });
            }).ToArray();
            foreach (var t in tasks)
            {
                JoinOrFail(t);
            }
        }

        return new RunOutcome(gup, sleeps, comms.Select(c => fi.EventsOf(c).ToArray()).ToArray());
    }

    [Fact]
    public void TheSameSeedReproducesTheSameOutcomeAndTheSameEventsPerTask()
    {
        ResetWarnings();
        var first = RunScenario(20240712);
        var second = RunScenario(20240712);

        Assert.Equal(first.Gup, second.Gup);
        Assert.Equal(first.Sleeps, second.Sleeps);
        for (var t = 0; t < first.Events.Length; t++)
        {
            Assert.Equal(first.Events[t], second.Events[t]);
        }

        // The run did exercise every kind of injection, and GUP absorbed it all.
        Assert.All(first.Gup, g => Assert.Equal(8, g));
        var kinds = first.Events.SelectMany(e => e).Select(e => e.Kind).ToHashSet();
        Assert.Superset(new HashSet<InjectionKind> { InjectionKind.ForcedRetry, InjectionKind.Delay, InjectionKind.Signal, InjectionKind.SpuriousWakeup }, kinds);

        // And the two tasks' streams are their own: different comms, different decisions.
        Assert.NotEqual(first.Events[0].Select(e => (e.Kind, e.Detail)), first.Events[1].Select(e => (e.Kind, e.Detail)));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void ADifferentSeedGivesADifferentRun()
    {
        var a = RunScenario(1);
        var b = RunScenario(2);
        Assert.NotEqual(a.Events[0].Select(e => (e.Kind, e.Detail)), b.Events[0].Select(e => (e.Kind, e.Detail)));
    }

    [Fact]
    public void ASingleUnguardedScheduleTrustsAConditionThatIsFalseUnderSpuriousWakeups()
    {
        ResetWarnings();
        var fi = new FaultInjection(7) { SpuriousWakeupRate = 1.0 };
        var wq = new WaitQueueHead();
        var condition = false;
        bool? proceededWith = null;
        using (fi.Install())
        {
            RunTask("waiter", null, () =>
            {
                var entry = new WaitQueueEntry(KernelTask.Current);
                Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                if (!Volatile.Read(ref condition))
                {
                    Sched.Schedule(); // the bug: one schedule, then assume the condition holds
                }

                Wait.FinishWait(wq, entry);
                proceededWith = Volatile.Read(ref condition);
            });
        }

        Assert.False(proceededWith); // it went on although nobody ever made the condition true
        Assert.Equal(InjectionKind.SpuriousWakeup, Assert.Single(fi.EventsOf("waiter")).Kind);
    }

    [Fact]
    public void ALoopedWaitOnlyProceedsOnceTheConditionHoldsUnderSpuriousWakeups()
    {
        ResetWarnings();
        var fi = new FaultInjection(7) { SpuriousWakeupRate = 1.0 };
        var wq = new WaitQueueHead();
        var condition = false;
        var passes = 0;
        bool? proceededWith = null;
        using (fi.Install())
        {
            var waiter = KernelTask.Start("waiter", null, () =>
            {
                var entry = new WaitQueueEntry(KernelTask.Current);
                for (;;)
                {
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                    if (Volatile.Read(ref condition))
                    {
                        break;
                    }

                    Interlocked.Increment(ref passes);
                    Sched.Schedule();
                }

                Wait.FinishWait(wq, entry);
                proceededWith = Volatile.Read(ref condition);
            });
            WaitUntil(() => Volatile.Read(ref passes) >= 20, "20 spurious wakeups absorbed by the loop");
            Assert.False(waiter.HasExited);
            Volatile.Write(ref condition, true);
            wq.WakeUp();
            JoinOrFail(waiter);
        }

        Assert.True(proceededWith);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void WaitEventOnlyReturnsOnceTheConditionHoldsUnderSpuriousWakeups()
    {
        ResetWarnings();
        var fi = new FaultInjection(11) { SpuriousWakeupRate = 1.0 };
        var wq = new WaitQueueHead();
        var condition = false;
        var evaluations = 0;
        bool? proceededWith = null;
        using (fi.Install())
        {
            var waiter = KernelTask.Start("waiter", null, () =>
            {
                Wait.Event(wq, () =>
                {
                    Interlocked.Increment(ref evaluations);
                    return Volatile.Read(ref condition);
                });
                proceededWith = Volatile.Read(ref condition);
            });
            WaitUntil(() => Volatile.Read(ref evaluations) >= 20, "wait_event rechecking after spurious wakeups");
            Assert.False(waiter.HasExited);
            Volatile.Write(ref condition, true);
            wq.WakeUp();
            JoinOrFail(waiter);
        }

        Assert.True(proceededWith);
    }

    [Fact]
    public void SignalsAtSleepPointsMakeAnInterruptibleGupReturnEintr()
    {
        ResetWarnings();
        var fi = new FaultInjection(3) { SignalRate = 1.0 };
        var mm = UffdMm(1, out _);
        long unlocked = 0, lockedForm = 0;
        var lockedAfter = true;
        using (fi.Install())
        {
            // Nobody resolves the fault: only the injected SIGUSR1 can end the wait.
            RunTask("vcpu", mm, () =>
            {
                unlocked = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write | FollFlags.Interruptible, new Page[1]);
                KernelTask.Current.FlushSignals();

                mm.MmapReadLock();
                var locked = true;
                lockedForm = Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Write | FollFlags.Interruptible, new Page[1], ref locked);
                lockedAfter = locked;
                if (locked)
                {
                    mm.MmapReadUnlock();
                }

                KernelTask.Current.FlushSignals();
            });
        }

        Assert.Equal(-Errno.EINTR, unlocked);
        Assert.Equal(-Errno.EINTR, lockedForm);
        Assert.False(lockedAfter);
        Assert.Contains(fi.EventsOf("vcpu"), e => e.Kind == InjectionKind.Signal && e.Detail == nameof(Signal.SIGUSR1));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void InjectedSigusr1DoesNotInterruptAGupWithoutInterruptible()
    {
        ResetWarnings();
        var fi = new FaultInjection(3) { SignalRate = 1.0 };
        var mm = UffdMm(1, out var uffd);
        long got = 0;
        bool signalSeen = false;
        KernelTask vcpu;

        // Only the task gets the injector: the test thread, which reads the fault, must not be signalled.
        using (fi.Install())
        {
            vcpu = KernelTask.Start("vcpu", mm, () =>
            {
                var pages = new Page[1];
                got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages);
                signalSeen = KernelTask.Current.SignalPending;
                KernelTask.Current.FlushSignals();
                if (got == 1)
                {
                    Gup.PutPage(pages[0]);
                }
            });
        }

        Assert.Equal(UffdEvent.Pagefault, ReadFault(uffd).Event);
        WaitUntilSleeping(vcpu, TaskState.Killable);
        WaitUntil(() => vcpu.SignalPending, "the injected signal");
        Assert.Equal(TaskState.Killable, vcpu.State);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(6)));
        JoinOrFail(vcpu);

        Assert.Equal(1, got);
        Assert.True(signalSeen);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void AnInjectedSigkillInterruptsAnyRetryingGup()
    {
        ResetWarnings();
        var fi = new FaultInjection(5) { SignalRate = 1.0, SignalToDeliver = Signal.SIGKILL };
        var mm = UffdMm(1, out _);
        long got = 0;
        using (fi.Install())
        {
            RunTask("vcpu", mm, () => got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, new Page[1]));
        }

        Assert.Equal(-Errno.EINTR, got);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void ForcedRetryFromTheFaultPathIsAbsorbedByGupsRetry()
    {
        ResetWarnings();
        var fi = new FaultInjection(99) { ForcedRetryRate = 0.5 };
        var mm = AnonMm(16, out _);
        long got = 0;
        var lockedAfter = true;
        using (fi.Install())
        {
            RunTask("vcpu", mm, () =>
            {
                var pages = new Page[16];
                mm.MmapReadLock();
                var locked = true;
                got = Gup.GetUserPagesLocked(mm, Base, 16, FollFlags.Write, pages, ref locked);
                lockedAfter = locked;
                if (locked)
                {
                    mm.MmapReadUnlock();
                }

                // Each returned page is the one now mapped at its address: mark it, read it back.
                for (var i = 0; i < got; i++)
                {
                    pages[i].Data[0] = (byte)(i + 1);
                }

                for (var i = 0; i < got; i++)
                {
                    var b = new byte[1];
                    Assert.Equal(0, Uaccess.CopyFromUser(b, PageAddress(i), 1));
                    Assert.Equal((byte)(i + 1), b[0]);
                    Gup.PutPage(pages[i]);
                }

                Assert.Equal(16, pages.Distinct().Count());
            });
        }

        Assert.Equal(16, got);
        Assert.Contains(fi.EventsOf("vcpu"), e => e.Kind == InjectionKind.ForcedRetry);
        Assert.False(lockedAfter); // a retry happened, so the lock was dropped (rule 18)
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void ForcedRetryIsAbsorbedByTheUaccessFaultLoop()
    {
        ResetWarnings();
        var fi = new FaultInjection(123) { ForcedRetryRate = 0.6 };
        var mm = AnonMm(4, out _);
        var src = Enumerable.Range(0, 4 * Page.Size).Select(i => (byte)(i * 7)).ToArray();
        var back = new byte[src.Length];
        using (fi.Install())
        {
            RunTask("copier", mm, () =>
            {
                Assert.Equal(0, Uaccess.CopyToUser(Base, src, src.Length));
                Assert.Equal(0, Uaccess.CopyFromUser(back, Base, back.Length));
            });
        }

        Assert.Equal(src, back);
        Assert.Contains(fi.EventsOf("copier"), e => e.Kind == InjectionKind.ForcedRetry);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void ForcedRetryNeverHitsAFaultWithoutAllowRetry()
    {
        ResetWarnings();
        var fi = new FaultInjection(4) { ForcedRetryRate = 1.0 };
        var mm = AnonMm(4, out _);
        using (fi.Install())
        {
            RunTask("gup", mm, () =>
            {
                var pages = new Page[4];
                mm.MmapReadLock();
                Assert.Equal(4, Gup.GetUserPages(mm, Base, 4, FollFlags.Write, pages));
                mm.MmapReadUnlock();
                foreach (var p in pages)
                {
                    Gup.PutPage(p);
                }
            });
        }

        Assert.DoesNotContain(fi.EventsOf("gup"), e => e.Kind == InjectionKind.ForcedRetry);
        Assert.Empty(KernelDebug.Warnings);
    }
}
