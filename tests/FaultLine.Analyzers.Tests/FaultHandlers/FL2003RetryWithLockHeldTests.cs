using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

public class FL2003RetryWithLockHeldTests
{
    [Fact]
    public async Task Retry_with_the_lock_held_and_no_flag_test_reports_FL2002_and_FL2003()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (!mutex.TryLock())
                        return {|#0:VmFaultResult.Retry|};
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2002").WithLocation(0).WithArguments("Ops.Fault"),
            Verify.Diagnostic("FL2003").WithLocation(0).WithArguments("Ops.Fault", "returns VmFaultResult.Retry without releasing the mmap lock on a path where FaultFlags.RetryNowait is not known to be set"));
    }

    [Fact]
    public async Task Released_on_one_branch_only_is_not_certain_and_stays_silent_while_both_released_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private bool slow;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    if (slow)
                        vmf.Vma.Mm.MmapReadUnlock();
                    else
                        Helper.Release(vmf);
                    return VmFaultResult.Retry;
                }
            }

            static class Helper
            {
                public static void Release(VmFault vmf) => vmf.Vma.Mm.MmapReadUnlock();
            }
            """);
    }

    [Fact]
    public async Task Retry_after_the_lock_was_retaken_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    var mm = vmf.Vma.Mm;
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    mm.MmapReadUnlock();
                    {|#1:mm.MmapReadLock()|};
                    return {|#0:VmFaultResult.Retry|};
                }
            }
            """,
            Verify.Diagnostic("FL2003").WithLocation(0).WithArguments("Ops.Fault", "returns VmFaultResult.Retry without releasing the mmap lock on a path where FaultFlags.RetryNowait is not known to be set"),
            Verify.Diagnostic("FL2005").WithLocation(1).WithArguments("MmStruct.MmapReadLock", "Ops.Fault", "MmStruct.MmapReadLockKillable"));
    }

    [Fact]
    public async Task Helpers_that_leave_the_lock_alone_keep_it_held_and_unknown_ones_silence()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            interface IHook { void Run(); }

            static class Device
            {
                public static int Count;
                public static void Touch(VmFault vmf) { Count++; Log(vmf.Address); }
                private static void Log(ulong address) => System.Console.WriteLine(address);
                public static void Hook(IHook hook) => hook.Run();
            }

            class Ops : VmOperations
            {
                private readonly IHook hook;

                public Ops(IHook hook) => this.hook = hook;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    Device.Touch(vmf);
                    if (Device.Count > 1)
                        return {|#0:VmFaultResult.Retry|};
                    Device.Hook(hook);
                    return VmFaultResult.Retry;
                }
            }
            """,
            Verify.Diagnostic("FL2003").WithLocation(0).WithArguments("Ops.Fault", "returns VmFaultResult.Retry without releasing the mmap lock on a path where FaultFlags.RetryNowait is not known to be set"));
    }
}
