using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

public class FL3003ScheduleWhileRunningTests
{
    [Fact]
    public async Task Loop_that_never_sets_the_state_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private volatile bool done;

                void WaitDone()
                {
                    while (!done)
                        {|#0:Sched.Schedule()|};
                }
            }
            """,
            Verify.Diagnostic("FL3003").WithLocation(0).WithArguments("Sched.Schedule()", " once it has been round the loop"));
    }

    [Fact]
    public async Task Schedule_after_FinishWait_is_reported()
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
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                        if (done)
                            break;
                        Wait.FinishWait(wq, entry);
                        {|#0:Sched.Schedule()|};
                    }
                    Wait.FinishWait(wq, entry);
                }
            }
            """,
            Verify.Diagnostic("FL3003").WithLocation(0).WithArguments("Sched.Schedule()", ""));
    }

    [Fact]
    public async Task Fault_handler_that_schedules_without_a_state_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    vmf.Vma.Mm.MmapReadUnlock();
                    {|#0:Sched.Schedule()|};
                    return VmFaultResult.Retry;
                }
            }
            """,
            Verify.Diagnostic("FL3003").WithLocation(0).WithArguments("Sched.Schedule()", ""));
    }

    [Fact]
    public async Task Task_body_that_schedules_without_a_state_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                KernelTask StartWorker() => KernelTask.Start("worker", null, () =>
                {
                    {|#0:Sched.Schedule()|};
                });
            }
            """,
            Verify.Diagnostic("FL3003").WithLocation(0).WithArguments("Sched.Schedule()", ""));
    }

    [Fact]
    public async Task State_set_on_some_path_only_or_by_an_unreadable_helper_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            abstract class Driver
            {
                protected abstract void PrepareSleep();

                void MaybeSleep(bool interruptible)
                {
                    if (interruptible)
                        Sched.SetCurrentState(TaskState.Interruptible);
                    Sched.ScheduleTimeout(5);
                }

                void SleepPrepared()
                {
                    PrepareSleep();
                    Sched.ScheduleTimeout(5);
                }
            }
            """);
    }
}
