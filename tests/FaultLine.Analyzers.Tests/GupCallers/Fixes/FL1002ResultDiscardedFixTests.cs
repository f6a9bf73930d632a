using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1002ResultDiscardedFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1002ResultDiscardedFixTests
{
    [Fact]
    public async Task Statement_call_is_captured_and_a_negative_result_returned()
    {
        // Case 2 of SEMANTICS.md §2 in miniature: a prefault whose failure nobody sees.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Prefault(MmStruct mm, ulong start)
                {
                    // Fault the page in before the copy.
                    {|FL1002:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Prefault(MmStruct mm, ulong start)
                {
                    // Fault the page in before the copy.
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null);
                    if (ret < 0)
                        return ret;
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Int_function_returns_the_errno_cast_and_a_taken_name_is_not_reused()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                int Prefault(MmStruct mm, ulong start, int ret)
                {
                    {|FL1002:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.None, null)|};
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                int Prefault(MmStruct mm, ulong start, int ret)
                {
                    long ret2 = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.None, null);
                    if (ret2 < 0)
                        return (int)ret2;
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Unread_local_gets_the_test_after_the_store()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Prefault(MmStruct mm, ulong start)
                {
                    long got = {|FL1002:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Prefault(MmStruct mm, ulong start)
                {
                    long got = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null);
                    if (got < 0)
                        return got;
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Crlf_document_keeps_its_line_endings_and_a_multi_line_call_its_layout()
    {
        const string Source = """
            using FaultLine;

            class Driver
            {
                long Prefault(MmStruct mm, ulong start)
                {
                    {|FL1002:Gup.GetUserPagesUnlocked(mm, start, 1,
                        FollFlags.Write, null)|};
                    return 0;
                }
            }
            """;
        const string Fixed = """
            using FaultLine;

            class Driver
            {
                long Prefault(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1,
                        FollFlags.Write, null);
                    if (ret < 0)
                        return ret;
                    return 0;
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(Source.Replace("\n", "\r\n"), Fixed.Replace("\n", "\r\n"));
    }

    [Fact]
    public async Task Void_function_gets_no_fix()
    {
        const string Source = """
            using FaultLine;

            class Driver
            {
                void Prefault(MmStruct mm, ulong start)
                {
                    {|FL1002:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, Source);
    }

    [Fact]
    public async Task Under_a_lock_the_function_took_no_fix_is_offered()
    {
        // A return between lock and unlock would leak the mmap lock.
        const string Source = """
            using FaultLine;

            class Driver
            {
                long Prefault(MmStruct mm, ulong start, ulong other)
                {
                    mm.MmapReadLock();
                    {|FL1002:Gup.GetUserPages(mm, start, 1, FollFlags.Write, null)|};
                    {|FL1002:Gup.GetUserPages(mm, other, 1, FollFlags.Write, null)|};
                    mm.MmapReadUnlock();
                    return 0;
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
                        long Prefault(MmStruct mm, ulong start)
                        {
                            {|FL1002:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                            {|FL1002:Gup.GetUserPagesUnlocked(mm, start + 4096, 1, FollFlags.Write, null)|};
                            return 0;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long Prefault(MmStruct mm, ulong start)
                        {
                            {|FL1002:Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                            return 0;
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
                        long Prefault(MmStruct mm, ulong start)
                        {
                            long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null);
                            if (ret < 0)
                                return ret;
                            long ret2 = Gup.GetUserPagesUnlocked(mm, start + 4096, 1, FollFlags.Write, null);
                            if (ret2 < 0)
                                return ret2;
                            return 0;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long Prefault(MmStruct mm, ulong start)
                        {
                            long ret = Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Write, null);
                            if (ret < 0)
                                return ret;
                            return 0;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1002ResultDiscardedFix.PropagateErrors,
        };
        await test.RunAsync();
    }
}
