using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1002: the count of pages taken (or the negated errno) is dropped.</summary>
public class FL1002ResultDiscardedTests
{
    [Fact]
    public async Task Call_used_as_a_statement_is_reported_on_the_invocation()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                void Touch(MmStruct mm, ulong start, Page[] pages)
                {
                    {|#0:Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Write, pages)|};
                }
            }
            """,
            Verify.Diagnostic("FL1002").WithLocation(0).WithArguments("PinUserPagesUnlocked"));
    }

    [Fact]
    public async Task Result_stored_in_a_local_nothing_reads_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                int Touch(ulong start, Page[] pages)
                {
                    long ret = {|FL1002:Gup.GetUserPagesFast(start, 1, FollFlags.Write, pages)|};
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Fault_in_without_pages_still_needs_the_result()
    {
        // Faulting pages in with pages == null takes no references, but the errno is still lost.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Populate
            {
                void Prefault(MmStruct mm, ulong start, long nrPages)
                {
                    {|FL1002:Gup.GetUserPagesUnlocked(mm, start, nrPages, FollFlags.None, null)|};
                }
            }
            """);
    }

    [Fact]
    public async Task Explicit_discard_is_a_decision_and_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Populate
            {
                void Prefault(MmStruct mm, ulong start, long nrPages)
                {
                    _ = Gup.GetUserPagesUnlocked(mm, start, nrPages, FollFlags.None, null);
                }
            }
            """);
    }

    [Fact]
    public async Task Result_returned_or_tested_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Populate
            {
                long Returned(MmStruct mm, ulong start, long nrPages) =>
                    Gup.GetUserPagesUnlocked(mm, start, nrPages, FollFlags.None, null);

                int Tested(MmStruct mm, ulong start, long nrPages)
                {
                    if (Gup.GetUserPagesUnlocked(mm, start, nrPages, FollFlags.None, null) < 0)
                        return -Errno.EFAULT;
                    return 0;
                }

                long ReadInALambda(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.None, null);
                    System.Func<long> later = () => ret;
                    return later();
                }
            }
            """);
    }
}
