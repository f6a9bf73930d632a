using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1005RetryLoopFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1005RetryLoopFixTests
{
    [Fact]
    public async Task Gup_retry_returns_on_EINTR_and_EAGAIN_for_the_Unlocked_form()
    {
        // Cases 1 and 3 of SEMANTICS.md §2: a caller that retries on every failure spins while the signal is pending.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret;
                    while (true)
                    {
                        ret = {|FL1005:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                        if (ret >= 0)
                            break;
                    }
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start)
                {
                    long ret;
                    while (true)
                    {
                        ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null);
                        if (ret == -Errno.EINTR || ret == -Errno.EAGAIN)
                            return ret;
                        if (ret >= 0)
                            break;
                    }
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Fault_retry_loop_returns_EINTR_on_a_fatal_signal()
    {
        // Case 4 of SEMANTICS.md §2 (fixup_user_fault): check for a fatal signal before each HandleMmFault. The caller
        // holds the mmap lock and gets it back held, -EINTR included.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                int Fixup(MmStruct mm, ulong address)
                {
                    while (true)
                    {
                        var vma = mm.VmaLookup(address);
                        if (vma == null)
                            return -Errno.EFAULT;
                        var fault = {|FL1005:MmFault.HandleMmFault(vma, address, FaultFlags.AllowRetry | FaultFlags.Killable)|};
                        if ((fault & VmFaultResult.Retry) != 0)
                        {
                            mm.MmapReadLock();
                            continue;
                        }
                        return (fault & VmFaultResult.Error) != 0 ? -Errno.EFAULT : 0;
                    }
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                int Fixup(MmStruct mm, ulong address)
                {
                    while (true)
                    {
                        if (KernelTask.Current.FatalSignalPending)
                            return -Errno.EINTR;
                        var vma = mm.VmaLookup(address);
                        if (vma == null)
                            return -Errno.EFAULT;
                        var fault = MmFault.HandleMmFault(vma, address, FaultFlags.AllowRetry | FaultFlags.Killable);
                        if ((fault & VmFaultResult.Retry) != 0)
                        {
                            mm.MmapReadLock();
                            continue;
                        }
                        return (fault & VmFaultResult.Error) != 0 ? -Errno.EFAULT : 0;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Fault_loop_under_a_lock_the_function_took_gets_no_fix()
    {
        // A return at the loop top would leave the function's own mmap lock held.
        const string Source = """
            using FaultLine;

            class Driver
            {
                int Fixup(MmStruct mm, ulong address)
                {
                    mm.MmapReadLock();
                    while (true)
                    {
                        var vma = mm.VmaLookup(address);
                        if (vma == null)
                        {
                            mm.MmapReadUnlock();
                            return -Errno.EFAULT;
                        }
                        var fault = {|FL1005:MmFault.HandleMmFault(vma, address, FaultFlags.AllowRetry | FaultFlags.Killable)|};
                        if ((fault & VmFaultResult.Retry) != 0)
                        {
                            mm.MmapReadLock();
                            continue;
                        }
                        mm.MmapReadUnlock();
                        return (fault & VmFaultResult.Error) != 0 ? -Errno.EFAULT : 0;
                    }
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
                        long A(MmStruct mm, ulong start)
                        {
                            long ret;
                            do
                            {
                                ret = {|FL1005:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                            } while (ret < 0);
                            long again;
                            do
                            {
                                again = {|FL1005:Gup.GetUserPagesUnlocked(mm, start + 4096, 1, FollFlags.Write, null)|};
                            } while (again < 0);
                            return ret + again;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start)
                        {
                            long ret;
                            do
                            {
                                ret = {|FL1005:Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Write, null)|};
                            } while (ret < 0);
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
                        long A(MmStruct mm, ulong start)
                        {
                            long ret;
                            do
                            {
                                ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, null);
                                if (ret == -Errno.EINTR || ret == -Errno.EAGAIN)
                                    return ret;
                            } while (ret < 0);
                            long again;
                            do
                            {
                                again = Gup.GetUserPagesUnlocked(mm, start + 4096, 1, FollFlags.Write, null);
                                if (again == -Errno.EINTR || again == -Errno.EAGAIN)
                                    return again;
                            } while (again < 0);
                            return ret + again;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start)
                        {
                            long ret;
                            do
                            {
                                ret = Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Write, null);
                                if (ret == -Errno.EINTR || ret == -Errno.EAGAIN)
                                    return ret;
                            } while (ret < 0);
                            return ret;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1005RetryLoopFix.ExitOnSignal,
        };
        await test.RunAsync();
    }
}
