using System.Threading.Tasks;
using FaultLine.CodeFixes.LocksPins;
using Xunit;
using Fix4001 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer, FaultLine.CodeFixes.LocksPins.FL4001UnlockAfterLockedCallFix>;
using Fix4005 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer, FaultLine.CodeFixes.LocksPins.FL4005PagesNotReleasedFix>;
using Fix4006 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer, FaultLine.CodeFixes.LocksPins.FL4006PinGetMismatchFix>;

namespace FaultLine.Analyzers.Tests.LocksPins;

public class LocksPinsFixTests
{
    [Fact]
    public async Task FL4001_fix_wraps_each_unlock_in_if_locked()
    {
        await Fix4001.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = Gup.PinUserPagesLocked(mm, start, pages.Length, FollFlags.Write, pages, ref locked);
                    {|#0:mm.MmapReadUnlock()|};
                    return ret;
                }

                long Get(MmStruct mm, ulong start, Page[] pages)
                {
                    bool held = true;
                    long ret = Gup.GetUserPagesLocked(mm, start, pages.Length, FollFlags.Write, pages, ref held);
                    {|#1:mm.MmapReadUnlock()|};
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = Gup.PinUserPagesLocked(mm, start, pages.Length, FollFlags.Write, pages, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret;
                }

                long Get(MmStruct mm, ulong start, Page[] pages)
                {
                    bool held = true;
                    long ret = Gup.GetUserPagesLocked(mm, start, pages.Length, FollFlags.Write, pages, ref held);
                    if (held)
                        mm.MmapReadUnlock();
                    return ret;
                }
            }
            """,
            FL4001UnlockAfterLockedCallFix.GuardUnlock,
            Fix4001.Diagnostic("FL4001").WithLocation(0).WithArguments("mm", "locked", "PinUserPagesLocked"),
            Fix4001.Diagnostic("FL4001").WithLocation(1).WithArguments("mm", "held", "GetUserPagesLocked"));
    }

    [Fact]
    public async Task FL4005_fix_releases_the_taken_prefix_before_the_error_return()
    {
        await Fix4005.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                        {|#0:return -Errno.EFAULT;|}
                    return ret;
                }

                long Get(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long got = Gup.GetUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (got != count)
                    {
                        {|#1:return -Errno.EFAULT;|}
                    }
                    return got;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret != count)
                    {
                        if (ret > 0)
                            Gup.UnpinUserPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    return ret;
                }

                long Get(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long got = Gup.GetUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (got != count)
                    {
                        if (got > 0)
                        {
                            for (long i = 0; i < got; i++)
                                Gup.PutPage(pages[i]);
                        }
                        return -Errno.EFAULT;
                    }
                    return got;
                }
            }
            """,
            FL4005PagesNotReleasedFix.ReleaseBeforeReturn,
            Fix4005.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "pages", "PinUserPagesUnlocked", ""),
            Fix4005.Diagnostic("FL4005").WithLocation(1).WithArguments("referenced", "pages", "GetUserPagesUnlocked", ""));
    }

    [Fact]
    public async Task FL4006_fix_calls_the_matching_release()
    {
        await Fix4006.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                        return ret;
                    for (long i = 0; i < ret; i++)
                        {|#0:Gup.PutPage(pages[i])|};
                    return 0;
                }

                long Get(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                        return ret;
                    {|#1:Gup.UnpinUserPages(pages, ret)|};
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                        return ret;
                    for (long i = 0; i < ret; i++)
                        Gup.UnpinUserPage(pages[i]);
                    return 0;
                }

                long Get(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                        return ret;
                    for (long i = 0; i < ret; i++)
                        Gup.PutPage(pages[i]);
                    return 0;
                }
            }
            """,
            FL4006PinGetMismatchFix.MatchingRelease,
            Fix4006.Diagnostic("FL4006").WithLocation(0).WithArguments("pages", "PinUserPagesUnlocked", "UnpinUserPage", "PutPage"),
            Fix4006.Diagnostic("FL4006").WithLocation(1).WithArguments("pages", "GetUserPagesUnlocked", "PutPage", "UnpinUserPages"));
    }
}
