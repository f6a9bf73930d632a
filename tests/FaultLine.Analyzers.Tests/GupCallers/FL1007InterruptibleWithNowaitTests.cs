using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1007: Nowait never drops the lock or waits, so Interruptible has nothing to interrupt.</summary>
public class FL1007InterruptibleWithNowaitTests
{
    [Fact]
    public async Task Unlocked_form_with_Nowait_and_Interruptible_is_reported_on_the_flags()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long TryAsync(MmStruct mm, ulong hva, Page[] page)
                {
                    long n = Gup.GetUserPagesUnlocked(mm, hva, 1, {|#0:FollFlags.Write | FollFlags.Nowait | FollFlags.Interruptible|}, page);
                    if (n == 1)
                        Gup.PutPage(page[0]);
                    return n;
                }
            }
            """,
            Verify.Diagnostic("FL1007").WithLocation(0).WithArguments("GetUserPagesUnlocked"));
    }

    [Fact]
    public async Task Locked_form_with_Nowait_and_Interruptible_is_reported()
    {
        // SEMANTICS.md case 7: with FOLL_NOWAIT "we definitely don't want to release the mmap read lock", so the
        // retry step that tests gup_signal_pending is never reached.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long TryAsync(MmStruct mm, ulong hva, Page[] page, FollFlags foll)
                {
                    mm.MmapReadLock();
                    bool locked = true;
                    long n = Gup.GetUserPagesLocked(mm, hva, 1, {|FL1007:foll | FollFlags.Nowait | FollFlags.Interruptible|}, page, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    if (n == 1)
                        Gup.PutPage(page[0]);
                    return n;
                }
            }
            """);
    }

    [Fact]
    public async Task Kvm_blocking_retry_that_swaps_Nowait_for_Interruptible_is_not_reported()
    {
        // Rule 49: foll |= FOLL_INTERRUPTIBLE; foll &= ~FOLL_NOWAIT for the blocking attempt.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long Faultin(MmStruct mm, ulong hva, Page[] page, FollFlags foll)
                {
                    long n = Gup.GetUserPagesUnlocked(mm, hva, 1, foll | FollFlags.Nowait, page);
                    if (n == 1)
                    {
                        Gup.PutPage(page[0]);
                        return 0;
                    }
                    foll |= FollFlags.Interruptible;
                    foll &= ~FollFlags.Nowait;
                    n = Gup.GetUserPagesUnlocked(mm, hva, 1, foll, page);
                    if (n == 1)
                        Gup.PutPage(page[0]);
                    return n;
                }
            }
            """);
    }

    [Fact]
    public async Task Nowait_on_only_one_path_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long Faultin(MmStruct mm, ulong hva, Page[] page, bool async)
                {
                    var foll = FollFlags.Write | FollFlags.Interruptible;
                    if (async)
                        foll |= FollFlags.Nowait;
                    long n = Gup.GetUserPagesUnlocked(mm, hva, 1, foll, page);
                    if (n == 1)
                        Gup.PutPage(page[0]);
                    return n;
                }
            }
            """);
    }
}
