using System.Threading.Tasks;
using Xunit;
using Fix4005 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer, FaultLine.CodeFixes.LocksPins.FL4005PagesNotReleasedFix>;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

/// <summary>
/// FL4005 where paths with the same pages owed meet (a shared error label). Returning the count does not hand the
/// pages of an array this method allocated to anyone: the array dies with the method, so the pins leak; only the
/// caller's array on a success return is the caller's to release.
/// </summary>
public class PinJoinTests
{
    private const string Leaked = ", and 'ret', a count of pages taken, is returned";

    [Fact]
    public async Task Label_reached_from_two_paths_with_the_pages_owed_on_both_is_reported()
    {
        // One path knows ret == count, the other does not: the pages are owed on both all the same.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                void Note() { }

                long Pin(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                        goto Out;
                    Note();
                Out:
                    {|#0:return ret;|}
                }
            }
            """,
            Verify.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "pages", "PinUserPagesUnlocked", Leaked));
    }

    [Fact]
    public async Task Fix_at_a_label_that_is_also_fallen_into_releases_there_and_keeps_the_return()
    {
        // The fall-through path may have succeeded, so 'return ret' is not rewritten into an error.
        await Fix4005.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                void Note() { }

                long Pin(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                        goto Out;
                    Note();
                Out:
                    {|#0:return ret;|}
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                void Note() { }

                long Pin(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                        goto Out;
                    Note();
                Out:
                    if (ret > 0)
                        Gup.UnpinUserPages(pages, ret);
                    return ret;
                }
            }
            """,
            Fix4005.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "pages", "PinUserPagesUnlocked", Leaked));
    }

    [Fact]
    public async Task A_release_by_an_equality_only_one_path_knows_is_a_wrong_count_after_the_join()
    {
        // On the ret != count path, unpinning 'count' pages is not what was taken.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                void Note() { }

                long Pin(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                        Note();
                    Gup.UnpinUserPages(pages, count);
                    {|#0:return 0;|}
                }
            }
            """,
            Verify.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "pages", "PinUserPagesUnlocked", ": 'UnpinUserPages' was passed 'count', not the count 'ret'"));
    }

    [Fact]
    public async Task Joined_paths_that_release_the_count_or_hand_the_callers_array_back_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                void Note() { }

                // Both paths meet and release exactly ret.
                long Released(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                        goto Out;
                    Note();
                Out:
                    if (ret > 0)
                        Gup.UnpinUserPages(pages, ret);
                    return ret;
                }

                // Equal on both paths: releasing 'count' is releasing ret.
                long BothEqual(MmStruct mm, ulong start, long count, bool verbose)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                    {
                        if (ret > 0)
                            Gup.UnpinUserPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    if (verbose)
                        Note();
                    Gup.UnpinUserPages(pages, count);
                    return 0;
                }

                // The error path settled by a test of ret, then a flag correlated with ret: a lattice that joined
                // "nothing owed" with "owed" would report 'return err' here, wrongly. Must stay silent.
                long Correlated(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long err;
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                    {
                        err = ret;
                        goto Out;
                    }
                    err = 0;
                    Note();
                Out:
                    if (err == 0)
                        Gup.UnpinUserPages(pages, ret);
                    return err;
                }

                // The caller's array, and a positive count returned: the pins are the caller's (a hand-off).
                long Callers(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                        goto Out;
                    Note();
                Out:
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Label_also_reached_from_a_path_that_took_nothing_is_not_followed_yet()
    {
        // A real leak (ret > 0 && Busy() reaches 'return ret' with the pages pinned), not reported: on the ret <= 0
        // path nothing is owed, and the lattice cannot yet tell "nothing owed" from Unknown, so the join is silent.
        // Documented here so that a lattice that learns the difference turns this into an expected diagnostic.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                bool Busy() => false;

                long Pin(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret > 0 && Busy())
                        goto Out;
                    if (ret != count)
                        goto Out;
                    Gup.UnpinUserPages(pages, ret);
                    return 0;
                Out:
                    return ret;
                }
            }
            """);
    }
}
