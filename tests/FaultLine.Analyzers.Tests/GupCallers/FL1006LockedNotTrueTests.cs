using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1006: <c>locked</c> must be true (with the mmap read lock held) when passed to a ...Locked call.</summary>
public class FL1006LockedNotTrueTests
{
    [Fact]
    public async Task Locked_initialised_to_false_is_reported_on_the_ref_argument()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] page)
                {
                    bool locked = false;
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, page, {|#0:ref locked|});
                    if (locked)
                        mm.MmapReadUnlock();
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL1006").WithLocation(0).WithArguments("locked", "false", "GetUserPagesLocked"));
    }

    [Fact]
    public async Task Second_iteration_after_the_lock_may_have_been_dropped_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long PinChunks(MmStruct mm, ulong start, int chunks, Page[] page)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = 0;
                    for (int i = 0; i < chunks; i++)
                    {
                        ret = Gup.PinUserPagesLocked(mm, start + (ulong)i * Page.Size, 1, FollFlags.Write, page, {|#0:ref locked|});
                        if (ret != 1)
                            break;
                        Gup.UnpinUserPage(page[0]);
                    }
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret < 0 ? ret : 0;
                }
            }
            """,
            Verify.Diagnostic("FL1006").WithLocation(0).WithArguments(
                "locked",
                "possibly false (an earlier ...Locked call may have dropped the lock and nothing has tested it since)",
                "PinUserPagesLocked"));
    }

    [Fact]
    public async Task Case15_walker_that_goes_on_after_locked_was_cleared_is_reported()
    {
        // SEMANTICS.md case 15 (Peter Xu, "mm/gup: Fix __get_user_pages() on fault retry of hugetlb"): after a retry
        // cleared *locked the loop simply went on; the next call is made without the lock.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Walker
            {
                long Walk(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long done = 0;
                    var one = new Page[1];
                    while (done < nrPages)
                    {
                        long ret = Gup.GetUserPagesLocked(mm, start + (ulong)done * Page.Size, 1, FollFlags.Write, one, {|FL1006:ref locked|});
                        if (ret <= 0)
                            break;
                        pages[done] = one[0];
                        done += ret;
                    }
                    if (locked)
                        mm.MmapReadUnlock();
                    return done;
                }
            }
            """);
    }

    [Fact]
    public async Task Relocking_when_the_lock_was_dropped_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long PinChunks(MmStruct mm, ulong start, int chunks, Page[] page)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = 0;
                    for (int i = 0; i < chunks; i++)
                    {
                        if (!locked)
                        {
                            mm.MmapReadLock();
                            locked = true;
                        }
                        ret = Gup.PinUserPagesLocked(mm, start + (ulong)i * Page.Size, 1, FollFlags.Write, page, ref locked);
                        if (ret != 1)
                            break;
                        Gup.UnpinUserPage(page[0]);
                    }
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Leaving_the_loop_when_the_lock_was_dropped_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long PinChunks(MmStruct mm, ulong start, int chunks, Page[] page)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = 0;
                    for (int i = 0; i < chunks; i++)
                    {
                        ret = Gup.PinUserPagesLocked(mm, start + (ulong)i * Page.Size, 1, FollFlags.Write, page, ref locked);
                        if (ret == 1)
                            Gup.UnpinUserPage(page[0]);
                        if (ret != 1 || !locked)
                            break;
                    }
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Locked_from_a_successful_trylock_or_a_parameter_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long TryPin(MmStruct mm, ulong start, Page[] page)
                {
                    bool locked = mm.MmapReadTrylock();
                    if (!locked)
                        return -Errno.EAGAIN;
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, page, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }

                long PinFor(MmStruct mm, ulong start, Page[] page, ref bool locked)
                {
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, page, ref locked);
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }
            }
            """);
    }
}
