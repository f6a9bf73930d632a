using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

public class FL2002RetryWithoutAllowRetryTests
{
    [Fact]
    public async Task Retry_after_releasing_without_an_AllowRetry_test_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if (!mutex.TryLock())
                    {
                        vmf.Vma.Mm.MmapReadUnlock();
                        return {|#0:VmFaultResult.Retry|};
                    }

                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2002").WithLocation(0).WithArguments("Ops.Fault"));
    }

    [Fact]
    public async Task Retry_combined_with_another_bit_and_through_a_conditional_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private bool busy;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    vmf.Vma.Mm.MmapReadUnlock();
                    if (busy)
                        return {|#0:VmFaultResult.Retry | VmFaultResult.Major|};
                    return (vmf.Flags & FaultFlags.Tried) != 0 ? VmFaultResult.Sigbus : {|#1:VmFaultResult.Retry|};
                }
            }
            """,
            Verify.Diagnostic("FL2002").WithLocation(0).WithArguments("Ops.Fault"),
            Verify.Diagnostic("FL2002").WithLocation(1).WithArguments("Ops.Fault"));
    }

    [Theory]
    [InlineData("if ((vmf.Flags & FaultFlags.AllowRetry) == 0) return VmFaultResult.Sigbus;")]
    [InlineData("if (!vmf.Flags.HasFlag(FaultFlags.AllowRetry)) return VmFaultResult.Sigbus;")]
    [InlineData("if (!MmFault.FaultFlagAllowRetryFirst(vmf.Flags)) return VmFaultResult.Sigbus;")]
    [InlineData("var allow = (vmf.Flags & FaultFlags.AllowRetry) != 0; if (!allow) return VmFaultResult.Sigbus;")]
    public async Task A_dominating_AllowRetry_test_silences_the_rule(string guard)
    {
        await Verify.VerifyAnalyzerAsync($$"""
            using FaultLine;

            class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    {{guard}}
                    vmf.Vma.Mm.MmapReadUnlock();
                    return VmFaultResult.Retry;
                }
            }
            """);
    }

    [Fact]
    public async Task Retry_under_RetryNowait_implies_AllowRetry_and_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0 && !mutex.TryLock())
                        return VmFaultResult.Retry;
                    return VmFaultResult.Sigbus;
                }
            }
            """);
    }
}
