using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

public class FL3004WaitLoopIgnoresSignalsTests
{
    [Fact]
    public async Task Interruptible_loop_without_any_signal_test_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private volatile bool done;

                void WaitDone()
                {
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Interruptible);
                        if (done)
                            break;
                        {|#0:Sched.Schedule()|};
                    }
                    Sched.SetCurrentState(TaskState.Running);
                }
            }
            """,
            Verify.Diagnostic("FL3004").WithLocation(0).WithArguments("TaskState.Interruptible", "never checks for a pending signal", "Sched.Schedule()"));
    }

    [Fact]
    public async Task Killable_loop_without_a_fatal_signal_test_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                void WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    while (true)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Killable);
                        if (done)
                            break;
                        {|#0:Sched.Schedule()|};
                    }
                    Wait.FinishWait(wq, entry);
                }
            }
            """,
            Verify.Diagnostic("FL3004").WithLocation(0).WithArguments("TaskState.Killable", "never checks for a pending signal", "Sched.Schedule()"));
    }

    [Fact]
    public async Task Killable_loop_with_a_fatal_signal_test_or_a_helper_that_tests_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                static bool Interrupted() => KernelTask.Current.SignalPending;

                int WaitKillable()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    int ret = 0;
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Killable);
                        if (done)
                            break;
                        if (KernelTask.Current.FatalSignalPending)
                        {
                            ret = -Errno.ERESTARTSYS;
                            break;
                        }
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                    return ret;
                }

                int WaitInterruptible()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    int ret = 0;
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Interruptible);
                        if (done)
                            break;
                        if (Interrupted())
                        {
                            ret = -Errno.ERESTARTSYS;
                            break;
                        }
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                    return ret;
                }
            }
            """);
    }
}
