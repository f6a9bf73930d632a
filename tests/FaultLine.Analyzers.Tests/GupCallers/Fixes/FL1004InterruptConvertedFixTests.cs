using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1004InterruptConvertedFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1004InterruptConvertedFixTests
{
    [Fact]
    public async Task Under_a_negative_test_the_result_is_returned()
    {
        // Case 1 of SEMANTICS.md §2 (Peter Xu): -EINTR must reach the user, not become -EFAULT.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, null);
                    if (ret < 0)
                        return {|FL1004:-Errno.EFAULT|};
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, null);
                    if (ret < 0)
                        return ret;
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Int_function_casts_the_result()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                int Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                    if (ret < 0)
                    {
                        return {|FL1004:-Errno.EFAULT|};
                    }
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                int Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                    if (ret < 0)
                    {
                        return (int)ret;
                    }
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Short_count_path_keeps_its_errno_and_hands_on_negative_results()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                    if (ret != 1)
                        return {|FL1004:-Errno.EFAULT|};
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                    if (ret != 1)
                        return ret < 0 ? ret : -Errno.EFAULT;
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Overwriting_assignment_under_a_negative_test_is_removed()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                    if (ret < 0)
                        {|FL1004:ret = -Errno.EFAULT|};
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                    return ret;
                }
            }
            """);
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
                        long A(MmStruct mm, ulong start)
                        {
                            long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                            if (ret < 0)
                                return {|FL1004:-Errno.EFAULT|};
                            long again = Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                            if (again < 0)
                                return {|FL1004:-Errno.ENOMEM|};
                            return 0;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start)
                        {
                            long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                            if (ret < 0)
                                return {|FL1004:-Errno.EFAULT|};
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
                        long A(MmStruct mm, ulong start)
                        {
                            long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                            if (ret < 0)
                                return ret;
                            long again = Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                            if (again < 0)
                                return again;
                            return 0;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start)
                        {
                            long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);
                            if (ret < 0)
                                return ret;
                            return 0;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1004InterruptConvertedFix.Propagate,
        };
        await test.RunAsync();
    }
}
