using System.Threading.Tasks;
using Xunit;
using FL3001Fix = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer, FaultLine.CodeFixes.SleepWakeup.FL3001ScheduleWithoutRecheckFix>;
using FL3002Fix = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer, FaultLine.CodeFixes.SleepWakeup.FL3002ConditionTestedBeforeStateFix>;
using FL3003Fix = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer, FaultLine.CodeFixes.SleepWakeup.FL3003ScheduleWhileRunningFix>;
using FL3004Fix = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer, FaultLine.CodeFixes.SleepWakeup.FL3004WaitLoopIgnoresSignalsFix>;
using FL3005Fix = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer, FaultLine.CodeFixes.SleepWakeup.FL3005StateNotRestoredFix>;
using FL3007Fix = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer, FaultLine.CodeFixes.SleepWakeup.FL3007BlockingAfterStateSetFix>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

/// <summary>The FL3xxx code fixes, each applied to a fixed point and by Fix All (the verifier checks both).</summary>
public class SleepWakeupFixTests
{
    [Fact]
    public async Task FL3001_turns_the_single_sleep_into_the_canonical_loop()
    {
        await FL3001Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;
                private volatile Page? page;

                int WaitDone()
                {
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    if (!done)
                        {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }

                Page? WaitPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                    if (page == null)
                    {
                        {|FL3001:Sched.Schedule()|};
                    }
                    Wait.FinishWait(wq, entry);
                    return page;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;
                private volatile Page? page;

                int WaitDone()
                {
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Uninterruptible);
                        if (done)
                            break;
                        Sched.Schedule();
                    }
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }

                Page? WaitPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                        if (page != null)
                            break;
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                    return page;
                }
            }
            """);
    }

    [Fact]
    public async Task FL3001_turns_a_simple_uninterruptible_wait_into_Wait_Event()
    {
        await FL3001Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile Page? page;

                Page? WaitPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                    if (page == null)
                        {|FL3001:Sched.Schedule()|};
                    Wait.FinishWait(wq, entry);
                    return page;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile Page? page;

                Page? WaitPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.Event(wq, () => page != null);
                    return page;
                }
            }
            """,
            FaultLine.CodeFixes.SleepWakeup.FL3001ScheduleWithoutRecheckFix.WaitEvent);
    }

    [Fact]
    public async Task FL3002_sets_the_state_before_the_test()
    {
        await FL3002Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                void WaitDone()
                {
                    while ({|FL3002:!done|})
                    {
                        Sched.SetCurrentState(TaskState.Uninterruptible);
                        Sched.Schedule();
                    }
                }

                void WaitQueued()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    while ({|FL3002:!done|})
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                void WaitDone()
                {
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Uninterruptible);
                        if (done)
                            break;
                        Sched.Schedule();
                    }
                    Sched.SetCurrentState(TaskState.Running);
                }

                void WaitQueued()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                        if (done)
                            break;
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                }
            }
            """);
    }

    [Fact]
    public async Task FL3002_moves_the_state_change_out_of_the_if()
    {
        await FL3002Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                void WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    if ({|FL3002:!done|})
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                        {|FL3001:Sched.Schedule()|};
                        Wait.FinishWait(wq, entry);
                    }
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                void WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                    if (!done)
                    {
                        {|FL3001:Sched.Schedule()|};
                    }
                    Wait.FinishWait(wq, entry);
                }
            }
            """);
    }

    [Fact]
    public async Task FL3003_sets_the_state_before_each_Schedule()
    {
        await FL3003Fix.VerifyCodeFixAsync("""
            using FaultLine;

            sealed class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    vmf.Vma.Mm.MmapReadUnlock();
                    {|FL3003:Sched.Schedule()|};
                    return VmFaultResult.Retry;
                }

                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    vmf.Vma.Mm.MmapReadUnlock();
                    {|FL3003:Sched.Schedule()|};
                    return VmFaultResult.Retry;
                }
            }
            """, """
            using FaultLine;

            sealed class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    vmf.Vma.Mm.MmapReadUnlock();
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    Sched.Schedule();
                    return VmFaultResult.Retry;
                }

                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    vmf.Vma.Mm.MmapReadUnlock();
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    Sched.Schedule();
                    return VmFaultResult.Retry;
                }
            }
            """);
    }

    /// <summary>
    /// Setting the state right before this Schedule() would test '!done' before the state (FL3002, a lost wakeup):
    /// the fix declines rather than trade one bug for another (issue 9, FixRobustnessTests).
    /// </summary>
    [Fact]
    public async Task FL3003_declines_a_Schedule_that_a_condition_decides()
    {
        const string Source = """
            using FaultLine;

            class Driver
            {
                private volatile bool done;

                void WaitDone()
                {
                    while (!done)
                        {|FL3003:Sched.Schedule()|};
                }
            }
            """;
        await FL3003Fix.VerifyCodeFixAsync(Source, Source);
    }

    [Fact]
    public async Task FL3004_leaves_the_wait_with_ERESTARTSYS_after_undoing_it()
    {
        await FL3004Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class UffdWait
            {
                private readonly WaitQueueHead faultWqh = new();
                private volatile bool resolved;

                int WaitForPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(faultWqh, entry, TaskState.Interruptible);
                        if (resolved || KernelTask.Current.FatalSignalPending)
                            break;
                        {|FL3004:Sched.Schedule()|};
                    }
                    Wait.FinishWait(faultWqh, entry);
                    return resolved ? 0 : -Errno.EINTR;
                }

                long WaitKillable()
                {
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Killable);
                        if (resolved)
                            break;
                        {|FL3004:Sched.Schedule()|};
                    }
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class UffdWait
            {
                private readonly WaitQueueHead faultWqh = new();
                private volatile bool resolved;

                int WaitForPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(faultWqh, entry, TaskState.Interruptible);
                        if (resolved || KernelTask.Current.FatalSignalPending)
                            break;
                        if (KernelTask.Current.SignalPending)
                        {
                            Wait.FinishWait(faultWqh, entry);
                            return -Errno.ERESTARTSYS;
                        }
                        Sched.Schedule();
                    }
                    Wait.FinishWait(faultWqh, entry);
                    return resolved ? 0 : -Errno.EINTR;
                }

                long WaitKillable()
                {
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Killable);
                        if (resolved)
                            break;
                        if (KernelTask.Current.FatalSignalPending)
                        {
                            Sched.SetCurrentState(TaskState.Running);
                            return -Errno.ERESTARTSYS;
                        }
                        Sched.Schedule();
                    }
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task FL3005_moves_the_restore_into_a_finally()
    {
        await FL3005Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        {|FL3005:Wait.PrepareToWait(wq, entry, TaskState.Interruptible)|};
                        if (done)
                            break;
                        if (KernelTask.Current.SignalPending)
                            return -Errno.ERESTARTSYS;
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    try
                    {
                        for (;;)
                        {
                            Wait.PrepareToWait(wq, entry, TaskState.Interruptible);
                            if (done)
                                break;
                            if (KernelTask.Current.SignalPending)
                                return -Errno.ERESTARTSYS;
                            Sched.Schedule();
                        }
                    }
                    finally
                    {
                        Wait.FinishWait(wq, entry);
                    }
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task FL3007_takes_the_sleeping_lock_before_the_state_is_set()
    {
        await FL3007Fix.VerifyCodeFixAsync("""
            using FaultLine;

            sealed class HugetlbUffdOps : VmOperations
            {
                private readonly KSpinLock faultPendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private readonly RwSemaphore vmaLock = new();
                private volatile bool pagePresent;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    faultPendingLock.Lock();
                    Wait.AddWaitQueue(faultPendingWqh, entry);
                    Sched.SetCurrentState(TaskState.Killable);
                    faultPendingLock.Unlock();

                    {|FL3007:vmaLock.DownRead()|};
                    bool mustWait = !pagePresent;
                    vmaLock.UpRead();

                    vmf.Vma.Mm.MmapReadUnlock();
                    if (mustWait)
                        {|FL3003:Sched.Schedule()|};

                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(faultPendingWqh, entry);
                    return VmFaultResult.Retry;
                }
            }
            """, """
            using FaultLine;

            sealed class HugetlbUffdOps : VmOperations
            {
                private readonly KSpinLock faultPendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private readonly RwSemaphore vmaLock = new();
                private volatile bool pagePresent;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    vmaLock.DownRead();
                    faultPendingLock.Lock();
                    Wait.AddWaitQueue(faultPendingWqh, entry);
                    Sched.SetCurrentState(TaskState.Killable);
                    faultPendingLock.Unlock();

                    bool mustWait = !pagePresent;
                    vmaLock.UpRead();

                    vmf.Vma.Mm.MmapReadUnlock();
                    if (mustWait)
                        Sched.Schedule();

                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(faultPendingWqh, entry);
                    return VmFaultResult.Retry;
                }
            }
            """);
    }

    [Fact]
    public async Task FL3002_keeps_an_early_exit_and_tests_again_after_the_state_is_set()
    {
        // The UffdResolver shape (case 11, 8d2afd96c203): "resolved?" tested, the request made, the entry queued,
        // then one Schedule(). The fix tests again once the state is set, as userfaultfd_must_wait() after queueing
        // did; the single sleep that is left is FL3001's.
        await FL3002Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Daemon
            {
                public WaitQueueHead ResolvedWq { get; } = new();
                public bool IsResolved(ulong address) => false;
                public void RequestPage(ulong address) { }
            }

            class Waiter
            {
                private readonly Daemon daemon = new();
                private volatile bool done;

                int WaitForPage(ulong address)
                {
                    if ({|FL3002:daemon.IsResolved(address)|})
                    {
                        return 0;
                    }

                    daemon.RequestPage(address);

                    var wait = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(daemon.ResolvedWq, wait, TaskState.Killable);
                    // One sleep.
                    {|FL3001:Sched.Schedule()|};
                    Wait.FinishWait(daemon.ResolvedWq, wait);
                    return 0;
                }

                int WaitDone()
                {
                    if ({|FL3002:done|})
                        return 0;
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Daemon
            {
                public WaitQueueHead ResolvedWq { get; } = new();
                public bool IsResolved(ulong address) => false;
                public void RequestPage(ulong address) { }
            }

            class Waiter
            {
                private readonly Daemon daemon = new();
                private volatile bool done;

                int WaitForPage(ulong address)
                {
                    if (daemon.IsResolved(address))
                    {
                        return 0;
                    }

                    daemon.RequestPage(address);

                    var wait = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(daemon.ResolvedWq, wait, TaskState.Killable);
                    // One sleep.
                    if (!daemon.IsResolved(address))
                        {|FL3001:Sched.Schedule()|};
                    Wait.FinishWait(daemon.ResolvedWq, wait);
                    return 0;
                }

                int WaitDone()
                {
                    if (done)
                        return 0;
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    if (!done)
                        {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task FL3002_recheck_then_FL3001_loop_give_the_canonical_wait()
    {
        // The two fixes one after the other on the early-exit shape: the result is the wait_event loop, and the
        // comment on the sleep stays on the sleep.
        const string Buggy = """
            using FaultLine;

            class Waiter
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitDone()
                {
                    if ({|FL3002:done|})
                        return 0;
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                    // Until Complete() sets done.
                    {|FL3001:Sched.Schedule()|};
                    Wait.FinishWait(wq, entry);
                    return 0;
                }
            }
            """;
        const string Rechecked = """
            using FaultLine;

            class Waiter
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitDone()
                {
                    if (done)
                        return 0;
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                    // Until Complete() sets done.
                    if (!done)
                        {|FL3001:Sched.Schedule()|};
                    Wait.FinishWait(wq, entry);
                    return 0;
                }
            }
            """;
        await FL3002Fix.VerifyCodeFixAsync(Buggy, Rechecked);
        await FL3001Fix.VerifyCodeFixAsync(Rechecked, """
            using FaultLine;

            class Waiter
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitDone()
                {
                    if (done)
                        return 0;
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                        if (done)
                            break;
                        // Until Complete() sets done.
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task FL3002_declines_to_recheck_a_copy_or_across_a_branch()
    {
        // "ready" is a copy taken before the state change (testing it again tests nothing), and in the second method
        // an if between the early test and the sleep could change what the condition means: no fix for either.
        const string Source = """
            using FaultLine;

            class Waiter
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;
                private volatile bool urgent;

                int Copy()
                {
                    var ready = done;
                    if ({|FL3002:ready|})
                        return 0;
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }

                int Branch()
                {
                    if ({|FL3002:done|})
                        return 0;
                    if (urgent)
                        Kick();
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }

                void Kick() { }
            }
            """;
        await FL3002Fix.VerifyCodeFixAsync(Source, Source);
    }
}
