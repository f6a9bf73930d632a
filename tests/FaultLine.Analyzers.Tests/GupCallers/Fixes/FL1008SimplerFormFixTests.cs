using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1008SimplerFormFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1008SimplerFormFixTests
{
    [Fact]
    public async Task Lock_call_unlock_becomes_one_Unlocked_call()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    // Take one page for writing.
                    mm.MmapReadLock();
                    long ret = {|FL1008:Gup.GetUserPages(mm, start, 1, FollFlags.Write, pages)|};
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
                    // Take one page for writing.
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, pages);
                    return ret;
                }
            }
            """, FL1008SimplerFormFix.UseUnlocked);
    }

    [Fact]
    public async Task MmapLock_semaphore_form_is_removed_too()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret;
                    mm.MmapLock.DownRead();
                    ret = {|FL1008:Gup.PinUserPages(mm, start, 1, FollFlags.Write | FollFlags.Longterm, pages)|};
                    mm.MmapLock.UpRead();
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret;
                    ret = Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Write | FollFlags.Longterm, pages);
                    return ret;
                }
            }
            """, FL1008SimplerFormFix.UseUnlocked);
    }

    [Fact]
    public async Task Unlocked_on_the_current_mm_becomes_Fast()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(ulong start, Page[] pages)
                {
                    return {|FL1008:Gup.GetUserPagesUnlocked(KernelTask.Current.Mm, start, 1, FollFlags.Write, pages)|};
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(ulong start, Page[] pages)
                {
                    return Gup.GetUserPagesFast(start, 1, FollFlags.Write, pages);
                }
            }
            """, FL1008SimplerFormFix.UseFast);
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
                            mm.MmapReadLock();
                            long ret = {|FL1008:Gup.GetUserPages(mm, start, 1, FollFlags.Write, pages)|};
                            mm.MmapReadUnlock();
                            if (ret < 0)
                                return ret;
                            mm.MmapReadLock();
                            ret = {|FL1008:Gup.GetUserPages(mm, start + 4096, 1, FollFlags.Write, pages)|};
                            mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start, Page[] pages)
                        {
                            mm.MmapReadLock();
                            long ret = {|FL1008:Gup.GetUserPages(mm, start, 1, FollFlags.None, pages)|};
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
                            long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, pages);
                            if (ret < 0)
                                return ret;
                            ret = Gup.GetUserPagesUnlocked(mm, start + 4096, 1, FollFlags.Write, pages);
                            return ret;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start, Page[] pages)
                        {
                            long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.None, pages);
                            return ret;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1008SimplerFormFix.UseUnlocked,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Fix_all_current_mm_across_two_documents()
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
                        long A(ulong start, Page[] pages) => {|FL1008:Gup.GetUserPagesUnlocked(KernelTask.Current.Mm, start, 1, FollFlags.Write, pages)|};

                        long B(ulong start, Page[] pages) => {|FL1008:Gup.PinUserPagesUnlocked(KernelTask.Current.Mm, start, 1, FollFlags.Longterm, pages)|};
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(ulong start, Page[] pages) => {|FL1008:Gup.GetUserPagesUnlocked(KernelTask.Current.Mm, start, 1, FollFlags.None, pages)|};
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
                        long A(ulong start, Page[] pages) => Gup.GetUserPagesFast(start, 1, FollFlags.Write, pages);

                        long B(ulong start, Page[] pages) => Gup.PinUserPagesFast(start, 1, FollFlags.Longterm, pages);
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(ulong start, Page[] pages) => Gup.GetUserPagesFast(start, 1, FollFlags.None, pages);
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1008SimplerFormFix.UseFast,
        };
        await test.RunAsync();
    }
}
