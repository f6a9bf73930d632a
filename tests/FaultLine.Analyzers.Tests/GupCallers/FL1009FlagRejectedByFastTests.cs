using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1009: the fast forms reject Interruptible and Nowait with -EINVAL.</summary>
public class FL1009FlagRejectedByFastTests
{
    [Fact]
    public async Task Interruptible_passed_to_PinUserPagesFast_is_reported_on_the_flags()
    {
        // SEMANTICS.md rule 24 and case 6: since v6.3 GUP-fast rejects FOLL_INTERRUPTIBLE with a WARN and -EINVAL.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ODirect
            {
                long Pin(ulong buffer, Page[] page)
                {
                    long ret = Gup.PinUserPagesFast(buffer, 1, {|#0:FollFlags.Write | FollFlags.Interruptible|}, page);
                    if (ret == 1)
                        Gup.UnpinUserPage(page[0]);
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL1009").WithLocation(0).WithArguments("PinUserPagesFast", "Interruptible", "PinUserPagesUnlocked"));
    }

    [Fact]
    public async Task Nowait_from_a_local_passed_to_GetUserPagesFast_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long TryFast(ulong hva, Page[] page, FollFlags foll)
                {
                    foll |= FollFlags.Nowait;
                    long ret = Gup.GetUserPagesFast(hva, 1, {|#0:foll|}, page);
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL1009").WithLocation(0).WithArguments("GetUserPagesFast", "Nowait", "GetUserPagesUnlocked"));
    }

    [Fact]
    public async Task Accepted_flags_unknown_flags_and_a_rejected_flag_on_one_path_only_are_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ODirect
            {
                long Accepted(ulong buffer, Page[] page)
                {
                    long ret = Gup.PinUserPagesFast(buffer, 1, FollFlags.Write | FollFlags.Longterm, page);
                    if (ret == 1)
                        Gup.UnpinUserPage(page[0]);
                    return ret;
                }

                long Unknown(ulong buffer, Page[] page, FollFlags flags)
                {
                    long ret = Gup.PinUserPagesFast(buffer, 1, flags, page);
                    if (ret == 1)
                        Gup.UnpinUserPage(page[0]);
                    return ret;
                }

                long OnePath(ulong buffer, Page[] page, bool kick)
                {
                    var flags = kick ? FollFlags.Interruptible : FollFlags.Write;
                    long ret = Gup.PinUserPagesFast(buffer, 1, flags, page);
                    if (ret == 1)
                        Gup.UnpinUserPage(page[0]);
                    return ret;
                }
            }
            """);
    }
}
