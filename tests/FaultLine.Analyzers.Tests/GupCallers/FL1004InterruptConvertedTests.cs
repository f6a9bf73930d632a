using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1004: an interruptible call's -EINTR (or -EAGAIN) is replaced by another errno.</summary>
public class FL1004InterruptConvertedTests
{
    [Fact]
    public async Task Case3_kvm_testing_only_EINTR_loses_the_EAGAIN_of_the_unlocked_form()
    {
        // SEMANTICS.md case 3 (KVM before 2024): -EAGAIN from the first killable lock fell through to -EFAULT.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long HvaToPfnSlow(MmStruct mm, ulong hva, Page[] page)
                {
                    long npages = {|#1:Gup.GetUserPagesUnlocked(mm, hva, 1, FollFlags.Write | FollFlags.Interruptible, page)|};
                    if (npages == 1)
                        return page[0].Pfn;
                    if (npages == -Errno.EINTR)
                        return -Errno.EINTR;
                    return {|#0:-Errno.EFAULT|};
                }
            }
            """,
            Verify.Diagnostic("FL1004").WithLocation(0).WithLocation(1).WithArguments("GetUserPagesUnlocked", "-EAGAIN", "-EFAULT"));
    }

    [Fact]
    public async Task Case3_fixed_EINTR_or_EAGAIN_tested_before_another_errno_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long HvaToPfnSlow(MmStruct mm, ulong hva, Page[] page)
                {
                    long npages = Gup.GetUserPagesUnlocked(mm, hva, 1, FollFlags.Write | FollFlags.Interruptible, page);
                    if (npages == 1)
                        return page[0].Pfn;
                    if (npages == -Errno.EINTR || npages == -Errno.EAGAIN)
                        return -Errno.EINTR;
                    return -Errno.EFAULT;
                }
            }
            """);
    }

    [Fact]
    public async Task Negative_result_of_an_interruptible_locked_call_turned_into_EFAULT_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ioctl
            {
                long PinBuffer(MmStruct mm, ulong start, Page[] pages)
                {
                    mm.MmapReadLock();
                    bool locked = true;
                    long ret = Gup.PinUserPagesLocked(mm, start, pages.Length, FollFlags.Write | FollFlags.Interruptible, pages, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    if (ret < 0)
                        return {|FL1004:-Errno.EFAULT|};
                    if (ret != pages.Length)
                    {
                        Gup.UnpinUserPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Short_or_failed_result_answered_with_EFAULT_is_reported()
    {
        // ret != n includes -EINTR: the signal becomes -EFAULT.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ioctl
            {
                long PinBuffer(MmStruct mm, ulong start, long n, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Interruptible, pages);
                    if (ret != n)
                    {
                        if (ret > 0)
                            Gup.UnpinUserPages(pages, ret);
                        return {|FL1004:-Errno.EFAULT|};
                    }
                    Gup.UnpinUserPages(pages, n);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Result_overwritten_with_another_errno_is_reported_at_the_assignment()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ioctl
            {
                long PinBuffer(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, pages.Length, FollFlags.Interruptible, pages);
                    if (ret < 0)
                    {
                        {|FL1004:ret = -Errno.ENOMEM|};
                        goto Out;
                    }
                    for (long i = 0; i < ret; i++)
                        Gup.PutPage(pages[i]);
                    ret = 0;
                Out:
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Errno_chosen_in_a_local_on_the_failure_path_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ioctl
            {
                int PinBuffer(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, pages);
                    if (ret != 1)
                    {
                        int err = ret == 0 ? -Errno.EIO : -Errno.EFAULT;
                        return {|FL1004:err|};
                    }
                    Gup.PutPage(pages[0]);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Negative_result_propagated_unchanged_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ioctl
            {
                long PinBuffer(MmStruct mm, ulong start, long n, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Interruptible, pages);
                    if (ret < 0)
                        return ret;
                    if (ret != n)
                    {
                        Gup.UnpinUserPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    Gup.UnpinUserPages(pages, n);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Calls_without_Interruptible_are_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ioctl
            {
                long PinBuffer(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, pages);
                    if (ret < 0)
                        return -Errno.EFAULT;
                    Gup.PutPage(pages[0]);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task EINTR_tested_first_on_a_locked_call_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ioctl
            {
                long PinBuffer(MmStruct mm, ulong start, Page[] pages)
                {
                    mm.MmapReadLock();
                    bool locked = true;
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Interruptible, pages, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    switch (ret)
                    {
                        case 1:
                            Gup.PutPage(pages[0]);
                            return 0;
                        case -Errno.EINTR:
                            return -Errno.ERESTARTSYS;
                        default:
                            return -Errno.EFAULT;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Signal_test_in_a_helper_is_read_and_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                static bool IsSigPending(long npages) => npages == -Errno.EINTR || npages == -Errno.EAGAIN;

                long HvaToPfnSlow(MmStruct mm, ulong hva, Page[] page)
                {
                    long npages = Gup.GetUserPagesUnlocked(mm, hva, 1, FollFlags.Interruptible, page);
                    if (npages == 1)
                        return page[0].Pfn;
                    if (IsSigPending(npages))
                        return npages;
                    return -Errno.EFAULT;
                }
            }
            """);
    }
}
