using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

public class FL3005StateNotRestoredTests
{
    [Fact]
    public async Task Return_out_of_the_wait_loop_without_FinishWait_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
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
                        {|#0:Wait.PrepareToWait(wq, entry, TaskState.Interruptible)|};
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
            """,
            Verify.Diagnostic("FL3005").WithLocation(0).WithArguments(
                "Wait.PrepareToWait", "the return at line 17", "call Wait.FinishWait(wq, entry) on every way out, or in a finally"));
    }

    [Fact]
    public async Task Throw_out_of_the_wait_loop_without_restoring_the_state_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System;
            using FaultLine;

            class Driver
            {
                private volatile bool done;
                private volatile bool broken;

                void WaitDone()
                {
                    for (;;)
                    {
                        {|#0:Sched.SetCurrentState(TaskState.Uninterruptible)|};
                        if (done)
                            break;
                        if (broken)
                            throw new InvalidOperationException("device gone");
                        Sched.Schedule();
                    }
                    Sched.SetCurrentState(TaskState.Running);
                }
            }
            """,
            Verify.Diagnostic("FL3005").WithLocation(0).WithArguments(
                "Sched.SetCurrentState", "the throw at line 17", "the task is left in TaskState.Uninterruptible; set TaskState.Running on every way out"));
    }

    [Fact]
    public async Task Exits_through_a_finally_that_restores_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System;
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;
                private volatile bool broken;

                int WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    try
                    {
                        for (;;)
                        {
                            Wait.PrepareToWait(wq, entry, TaskState.Interruptible);
                            if (done)
                                return 0;
                            if (broken)
                                throw new InvalidOperationException("device gone");
                            if (KernelTask.Current.SignalPending)
                                return -Errno.ERESTARTSYS;
                            Sched.Schedule();
                        }
                    }
                    finally
                    {
                        Wait.FinishWait(wq, entry);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Loop_wrapped_in_try_finally_then_code_after_it_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
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
    public async Task Helper_that_only_prepares_for_its_caller_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();

                void Enqueue(WaitQueueEntry entry)
                {
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                }
            }
            """);
    }
}
