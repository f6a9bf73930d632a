using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

public class FL2004UnlockUnderRetryNowaitTests
{
    [Fact]
    public async Task Releasing_under_RetryNowait_is_reported_in_both_spellings()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private bool other;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                    {
                        if (other)
                            {|#0:vmf.Vma.Mm.MmapLock.UpRead()|};
                        else
                            {|#1:vmf.Vma.Mm.MmapReadUnlock()|};
                        return VmFaultResult.Retry;
                    }

                    return VmFaultResult.Sigbus;
                }
            }
            """,
            Verify.Diagnostic("FL2004").WithLocation(0).WithArguments("Ops.Fault"),
            Verify.Diagnostic("FL2004").WithLocation(1).WithArguments("Ops.Fault"));
    }

    [Fact]
    public async Task Releasing_where_RetryNowait_is_known_clear_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly RwSemaphore own = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (own.DownReadTrylock())
                        own.UpRead();
                    if ((vmf.Flags & FaultFlags.AllowRetry) != 0 && !vmf.Flags.HasFlag(FaultFlags.RetryNowait))
                    {
                        vmf.Vma.Mm.MmapReadUnlock();
                        return VmFaultResult.Retry;
                    }

                    return VmFaultResult.Sigbus;
                }
            }
            """);
    }
}
