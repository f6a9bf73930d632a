using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

public class FL3002ConditionTestedBeforeStateTests
{
    [Fact]
    public async Task Loop_that_tests_before_setting_the_state_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private volatile bool done;

                void WaitDone()
                {
                    while ({|#0:!done|})
                    {
                        {|#1:Sched.SetCurrentState(TaskState.Uninterruptible)|};
                        Sched.Schedule();
                    }
                }
            }
            """,
            Verify.Diagnostic("FL3002").WithLocation(0).WithLocation(1).WithArguments("!done", "Sched.SetCurrentState"));
    }

    [Fact]
    public async Task If_that_tests_before_preparing_to_wait_is_reported_with_the_missing_loop()
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
                    if ({|#0:!done|})
                    {
                        {|#1:Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible)|};
                        {|#2:Sched.Schedule()|};
                        Wait.FinishWait(wq, entry);
                    }
                }
            }
            """,
            Verify.Diagnostic("FL3002").WithLocation(0).WithLocation(1).WithArguments("!done", "Wait.PrepareToWait"),
            Verify.Diagnostic("FL3001").WithLocation(2));
    }

    [Fact]
    public async Task Argument_checks_that_throw_and_flag_tests_do_not_count()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System;
            using FaultLine;

            sealed class Ops : VmOperations
            {
                private readonly WaitQueueHead wq = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (vmf is null)
                        throw new ArgumentNullException(nameof(vmf));
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Killable);
                    vmf.Vma.Mm.MmapReadUnlock();
                    Sched.Schedule();
                    Wait.FinishWait(wq, entry);
                    return VmFaultResult.Retry;
                }
            }
            """);
    }
}
