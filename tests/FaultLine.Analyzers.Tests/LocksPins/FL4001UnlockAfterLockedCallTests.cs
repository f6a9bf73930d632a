using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

public class FL4001UnlockAfterLockedCallTests
{
    [Fact]
    public async Task Unlock_without_testing_locked_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
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
            }
            """,
            Verify.Diagnostic("FL4001").WithLocation(0).WithArguments("mm", "locked", "PinUserPagesLocked"));
    }

    [Fact]
    public async Task Unlock_guarded_by_locked_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
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
            }
            """);
    }

    [Fact]
    public async Task Lock_taken_by_the_caller_and_unlocked_unconditionally_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = true;
                    long ret = Gup.GetUserPagesLocked(mm, start, pages.Length, FollFlags.Write, pages, ref locked);
                    {|#0:mm.MmapLock.UpRead()|};
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL4001").WithLocation(0).WithArguments("mm", "locked", "GetUserPagesLocked"));
    }

    [Fact]
    public async Task Mm_populate_retakes_the_lock_and_looks_the_vma_up_again()
    {
        // SEMANTICS.md rule 27: __mm_populate re-takes the lock and re-finds the vma when locked comes back false.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Populate
            {
                long MmPopulate(MmStruct mm, ulong start, ulong len)
                {
                    ulong end = start + len;
                    bool locked = false;
                    long ret = 0;
                    VmAreaStruct? vma = null;
                    for (ulong nstart = start; nstart < end; )
                    {
                        if (!locked)
                        {
                            mm.MmapReadLock();
                            locked = true;
                            vma = mm.FindVma(nstart);
                        }
                        else if (vma == null || nstart >= vma.End)
                        {
                            vma = mm.FindVma(nstart);
                        }

                        if (vma == null)
                            break;
                        ulong nend = end < vma.End ? end : vma.End;
                        if (nstart < vma.Start)
                            nstart = vma.Start;
                        ret = Gup.GetUserPagesLocked(mm, nstart, (long)((nend - nstart) / Page.Size), FollFlags.Write, null, ref locked);
                        if (ret < 0)
                            break;
                        nstart += (ulong)ret * Page.Size;
                    }

                    if (locked)
                        mm.MmapReadUnlock();
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }
}
