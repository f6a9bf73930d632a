using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

public class FL3001ScheduleWithoutRecheckTests
{
    [Fact]
    public async Task Single_sleep_whose_caller_trusts_the_condition_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private volatile bool done;

                int WaitDone()
                {
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    if (!done)
                        {|#0:Sched.Schedule()|};
                    Sched.SetCurrentState(TaskState.Running);
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL3001").WithLocation(0));
    }

    [Fact]
    public async Task Fault_path_that_sleeps_once_and_returns_something_other_than_Retry_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class Ops : VmOperations
            {
                private readonly WaitQueueHead wq = new();
                private volatile Page? page;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible);
                    if (page is null)
                        {|#0:Sched.Schedule()|};
                    Wait.FinishWait(wq, entry);
                    vmf.Page = page;
                    return VmFaultResult.None;
                }
            }
            """,
            Verify.Diagnostic("FL3001").WithLocation(0));
    }

    [Fact]
    public async Task Fault_path_that_sleeps_once_and_returns_Retry_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class Ops : VmOperations
            {
                private readonly WaitQueueHead wq = new();
                private volatile Page? page;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (page is { } ready)
                    {
                        vmf.Page = ready;
                        return VmFaultResult.None;
                    }

                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Killable);
                    bool mustWait = page is null;
                    vmf.Vma.Mm.MmapReadUnlock();
                    if (mustWait)
                        Sched.Schedule();
                    Wait.FinishWait(wq, entry);
                    return VmFaultResult.Retry | VmFaultResult.Major;
                }
            }
            """);
    }
}
