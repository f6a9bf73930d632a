using System.Threading.Tasks;
using Xunit;
using FL3001Fix = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer, FaultLine.CodeFixes.SleepWakeup.FL3001ScheduleWithoutRecheckFix>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

/// <summary>
/// FL3001's loop for an Interruptible or Killable sleep: once a signal (a fatal one for Killable) is pending,
/// schedule() returns at once (rule 45), so the loop also leaves on it, before its Schedule(), undoing the wait as the
/// code after the sleep does and returning -ERESTARTSYS (rules 40, 42) — the exit FL3004's fix writes. Where it
/// cannot place that exit, no loop.
/// </summary>
public class SleepWakeupSignalExitFixTests
{
    [Fact]
    public async Task FL3001_killable_loop_leaves_on_a_fatal_signal_and_finishes_the_wait()
    {
        // The UffdResolver shape after FL3002's fix (case 11): PrepareToWait(Killable), one sleep, FinishWait.
        await FL3001Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Daemon
            {
                public WaitQueueHead ResolvedWq { get; } = new();
                public bool IsResolved(ulong address) => false;
            }

            class Waiter
            {
                private readonly Daemon daemon = new();

                int WaitForPage(ulong address)
                {
                    var wait = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(daemon.ResolvedWq, wait, TaskState.Killable);
                    // One sleep.
                    if (!daemon.IsResolved(address))
                        {|FL3001:Sched.Schedule()|};
                    Wait.FinishWait(daemon.ResolvedWq, wait);
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Daemon
            {
                public WaitQueueHead ResolvedWq { get; } = new();
                public bool IsResolved(ulong address) => false;
            }

            class Waiter
            {
                private readonly Daemon daemon = new();

                int WaitForPage(ulong address)
                {
                    var wait = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(daemon.ResolvedWq, wait, TaskState.Killable);
                        if (daemon.IsResolved(address))
                            break;
                        if (KernelTask.Current.FatalSignalPending)
                        {
                            Wait.FinishWait(daemon.ResolvedWq, wait);
                            return -Errno.ERESTARTSYS;
                        }
                        // One sleep.
                        Sched.Schedule();
                    }
                    Wait.FinishWait(daemon.ResolvedWq, wait);
                    return 0;
                }
            }
            """, FaultLine.CodeFixes.SleepWakeup.FL3001ScheduleWithoutRecheckFix.Loop);
    }

    [Fact]
    public async Task FL3001_interruptible_loops_leave_on_any_signal_undoing_as_the_cleanup_does_including_Fix_All()
    {
        // An open-coded wait (AddWaitQueue, SetCurrentState) undone as its own cleanup does it, Running first; and a
        // plain SetCurrentState sleep, undone by SetCurrentState(Running). Both in one document: Fix All.
        await FL3001Fix.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                long WaitQueued()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.AddWaitQueue(wq, entry);
                    Sched.SetCurrentState(TaskState.Interruptible);
                    if (!done)
                        {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(wq, entry);
                    return 0;
                }

                int WaitDone()
                {
                    Sched.SetCurrentState(TaskState.Interruptible);
                    if (!done)
                        {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                long WaitQueued()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.AddWaitQueue(wq, entry);
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Interruptible);
                        if (done)
                            break;
                        if (KernelTask.Current.SignalPending)
                        {
                            Sched.SetCurrentState(TaskState.Running);
                            Wait.RemoveWaitQueue(wq, entry);
                            return -Errno.ERESTARTSYS;
                        }
                        Sched.Schedule();
                    }
                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(wq, entry);
                    return 0;
                }

                int WaitDone()
                {
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Interruptible);
                        if (done)
                            break;
                        if (KernelTask.Current.SignalPending)
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
            """, FaultLine.CodeFixes.SleepWakeup.FL3001ScheduleWithoutRecheckFix.Loop);
    }

    [Fact]
    public async Task FL3001_declines_the_loop_when_it_cannot_place_the_signal_exit()
    {
        // No errno to return (void), and a wait finished in a finally (the exit's undo would run twice): a loop
        // without the exit would spin once a signal is pending, so none is offered.
        const string Source = """
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                void WaitVoid()
                {
                    Sched.SetCurrentState(TaskState.Killable);
                    if (!done)
                        {|FL3001:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                }

                int WaitFinally()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    try
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Interruptible);
                        if (!done)
                            {|FL3001:Sched.Schedule()|};
                    }
                    finally
                    {
                        Wait.FinishWait(wq, entry);
                    }
                    return 0;
                }
            }
            """;
        await FL3001Fix.VerifyCodeFixAsync(Source, Source, FaultLine.CodeFixes.SleepWakeup.FL3001ScheduleWithoutRecheckFix.Loop);
    }
}
