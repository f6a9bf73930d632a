using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1006LockedNotTrueFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1006LockedNotTrueFixTests
{
    [Fact]
    public async Task Declared_false_is_declared_true()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = false;
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, {|FL1006:ref locked|});
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task False_declared_in_an_outer_block_is_set_before_the_call()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = false;
                    long ret = -Errno.EFAULT;
                    if (start != 0)
                    {
                        mm.MmapReadLock();
                        ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, {|FL1006:ref locked|});
                        if (locked)
                            mm.MmapReadUnlock();
                    }
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = false;
                    long ret = -Errno.EFAULT;
                    if (start != 0)
                    {
                        mm.MmapReadLock();
                        locked = true;
                        ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, ref locked);
                        if (locked)
                            mm.MmapReadUnlock();
                    }
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Cleared_by_an_earlier_call_retakes_the_lock_in_the_loop()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Fault(MmStruct mm, ulong start, long nrPages)
                {
                    bool locked = true;
                    long done = 0;
                    mm.MmapReadLock();
                    while (done < nrPages)
                    {
                        long ret = Gup.GetUserPagesLocked(mm, start + (ulong)done * 4096, nrPages - done, FollFlags.Write, null, {|FL1006:ref locked|});
                        if (ret <= 0)
                            break;
                        done += ret;
                    }
                    if (locked)
                        mm.MmapReadUnlock();
                    return done;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Fault(MmStruct mm, ulong start, long nrPages)
                {
                    bool locked = true;
                    long done = 0;
                    mm.MmapReadLock();
                    while (done < nrPages)
                    {
                        if (!locked)
                        {
                            mm.MmapReadLock();
                            locked = true;
                        }
                        long ret = Gup.GetUserPagesLocked(mm, start + (ulong)done * 4096, nrPages - done, FollFlags.Write, null, ref locked);
                        if (ret <= 0)
                            break;
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
    public async Task Call_in_a_loop_condition_gets_no_fix()
    {
        // Code put before the loop would run once, not before every call.
        const string Source = """
            using FaultLine;

            class Driver
            {
                long Fault(MmStruct mm, ulong start, long nrPages)
                {
                    bool locked = true;
                    long done = 0;
                    mm.MmapReadLock();
                    while (done < nrPages && Gup.GetUserPagesLocked(mm, start + (ulong)done * 4096, 1, FollFlags.Write, null, {|FL1006:ref locked|}) > 0)
                    {
                        done++;
                    }
                    if (locked)
                        mm.MmapReadUnlock();
                    return done;
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, Source);
    }

    [Fact]
    public async Task Fix_all_in_one_document_and_across_two()
    {
        var test = new Verify.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using FaultLine;

                    class First
                    {
                        long A(MmStruct mm, ulong start, Page[] pages)
                        {
                            bool locked = false;
                            mm.MmapReadLock();
                            long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, {|FL1006:ref locked|});
                            if (locked)
                                mm.MmapReadUnlock();
                            return ret;
                        }

                        long B(MmStruct mm, ulong start, Page[] pages)
                        {
                            bool held = false;
                            mm.MmapReadLock();
                            long ret = Gup.PinUserPagesLocked(mm, start, 1, FollFlags.Write, pages, {|FL1006:ref held|});
                            if (held)
                                mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, Page[] pages)
                        {
                            bool locked = false;
                            mm.MmapReadLock();
                            long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.None, pages, {|FL1006:ref locked|});
                            if (locked)
                                mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                },
            },
            FixedState =
            {
                Sources =
                {
                    """
                    using FaultLine;

                    class First
                    {
                        long A(MmStruct mm, ulong start, Page[] pages)
                        {
                            bool locked = true;
                            mm.MmapReadLock();
                            long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, ref locked);
                            if (locked)
                                mm.MmapReadUnlock();
                            return ret;
                        }

                        long B(MmStruct mm, ulong start, Page[] pages)
                        {
                            bool held = true;
                            mm.MmapReadLock();
                            long ret = Gup.PinUserPagesLocked(mm, start, 1, FollFlags.Write, pages, ref held);
                            if (held)
                                mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, Page[] pages)
                        {
                            bool locked = true;
                            mm.MmapReadLock();
                            long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.None, pages, ref locked);
                            if (locked)
                                mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1006LockedNotTrueFix.SetLocked,
        };
        await test.RunAsync();
    }
}
