using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1005: a loop re-issues GUP after a failure, or HandleMmFault after Retry, with no exit on a signal.</summary>
public class FL1005RetryLoopIgnoresSignalsTests
{
    [Fact]
    public async Task Retrying_until_one_page_arrives_is_reported_on_the_call()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long WaitForPage(MmStruct mm, ulong addr, Page[] page)
                {
                    long ret;
                    do
                    {
                        ret = {|#0:Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, page)|};
                    }
                    while (ret != 1);
                    Gup.PutPage(page[0]);
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL1005").WithLocation(0).WithArguments("GetUserPagesUnlocked", "a failure"));
    }

    [Fact]
    public async Task Breaking_only_on_success_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long WaitForPage(MmStruct mm, ulong addr, Page[] page)
                {
                    for (;;)
                    {
                        long ret = {|FL1005:Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, page)|};
                        if (ret == 1)
                            break;
                    }
                    Gup.PutPage(page[0]);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Continuing_on_a_negative_result_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long WaitForPage(MmStruct mm, ulong addr, Page[] page)
                {
                    while (true)
                    {
                        long ret = {|FL1005:Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, page)|};
                        if (ret < 0)
                            continue;
                        Gup.PutPage(page[0]);
                        return 0;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Case20_fault_retry_loop_without_a_signal_check_is_reported_on_HandleMmFault()
    {
        // SEMANTICS.md case 20 ("repeat endless kernel page faults") and rule 31: the arch loop must test signals on Retry.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Arch
            {
                int FaultIn(MmStruct mm, ulong addr)
                {
                    var flags = FaultFlags.AllowRetry | FaultFlags.Killable;
                    for (;;)
                    {
                        mm.MmapReadLock();
                        var vma = mm.VmaLookup(addr);
                        if (vma is null)
                        {
                            mm.MmapReadUnlock();
                            return -Errno.EFAULT;
                        }

                        var fault = {|#0:MmFault.HandleMmFault(vma, addr, flags)|};
                        if ((fault & VmFaultResult.Retry) != 0)
                        {
                            flags |= FaultFlags.Tried;
                            continue;
                        }

                        mm.MmapReadUnlock();
                        return (fault & VmFaultResult.Error) != 0 ? -Errno.EFAULT : 0;
                    }
                }
            }
            """,
            Verify.Diagnostic("FL1005").WithLocation(0).WithArguments("HandleMmFault", "VmFaultResult.Retry"));
    }

    [Fact]
    public async Task Case4_fixup_user_fault_retrying_with_HasFlag_is_reported()
    {
        // SEMANTICS.md case 4 before the fix: retry on VM_FAULT_RETRY with TRIED, no fatal_signal_pending check.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Fixup
            {
                int FixupUserFault(MmStruct mm, ulong address, FaultFlags faultFlags)
                {
                    faultFlags |= FaultFlags.AllowRetry | FaultFlags.Killable;
                retry:
                    var vma = mm.VmaLookup(address);
                    if (vma is null)
                        return -Errno.EFAULT;
                    var ret = {|FL1005:MmFault.HandleMmFault(vma, address, faultFlags)|};
                    if (ret.HasFlag(VmFaultResult.Retry))
                    {
                        mm.MmapReadLock();
                        faultFlags |= FaultFlags.Tried;
                        goto retry;
                    }
                    return (ret & VmFaultResult.Error) != 0 ? -Errno.EFAULT : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Case4_fixed_fatal_signal_checked_before_each_retry_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Fixup
            {
                int FixupUserFault(MmStruct mm, ulong address, FaultFlags faultFlags)
                {
                    faultFlags |= FaultFlags.AllowRetry | FaultFlags.Killable;
                retry:
                    var vma = mm.VmaLookup(address);
                    if (vma is null)
                        return -Errno.EFAULT;
                    if (KernelTask.Current.FatalSignalPending)
                        return -Errno.EINTR;
                    var ret = MmFault.HandleMmFault(vma, address, faultFlags);
                    if (ret.HasFlag(VmFaultResult.Retry))
                    {
                        mm.MmapReadLock();
                        faultFlags |= FaultFlags.Tried;
                        goto retry;
                    }
                    return (ret & VmFaultResult.Error) != 0 ? -Errno.EFAULT : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Loop_accumulating_partial_counts_and_stopping_on_a_negative_result_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long FaultInRange(MmStruct mm, ulong start, long nrPages)
                {
                    long done = 0;
                    while (done < nrPages)
                    {
                        long ret = Gup.GetUserPagesUnlocked(mm, start + (ulong)done * Page.Size, nrPages - done, FollFlags.Write, null);
                        if (ret < 0)
                            return done > 0 ? done : ret;
                        done += ret;
                    }
                    return done;
                }
            }
            """);
    }

    [Fact]
    public async Task Retry_loop_that_leaves_on_a_pending_signal_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                static bool ShouldStop() => KernelTask.Current.SignalPending;

                long Direct(MmStruct mm, ulong addr, Page[] page)
                {
                    for (;;)
                    {
                        long ret = Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, page);
                        if (ret == 1)
                            break;
                        if (KernelTask.Current.FatalSignalPending)
                            return -Errno.EINTR;
                    }
                    Gup.PutPage(page[0]);
                    return 0;
                }

                long ThroughAHelper(MmStruct mm, ulong addr, Page[] page)
                {
                    for (;;)
                    {
                        long ret = Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, page);
                        if (ret == 1)
                            break;
                        if (ShouldStop())
                            return -Errno.EINTR;
                    }
                    Gup.PutPage(page[0]);
                    return 0;
                }

                long OnEintr(MmStruct mm, ulong addr, Page[] page)
                {
                    for (;;)
                    {
                        long ret = Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, page);
                        if (ret == -Errno.EINTR)
                            return ret;
                        if (ret == 1)
                            break;
                    }
                    Gup.PutPage(page[0]);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Loop_that_waits_interruptibly_between_attempts_and_leaves_on_its_error_is_not_reported()
    {
        // Wait.EventInterruptible returns -ERESTARTSYS on a signal: testing it is a signal check.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Poller
            {
                private readonly WaitQueueHead arrived = new();
                private volatile bool ready;

                long WaitForPage(MmStruct mm, ulong addr, Page[] page)
                {
                    for (;;)
                    {
                        long ret = Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write | FollFlags.Nowait, page);
                        if (ret == 1)
                            break;
                        int err = Wait.EventInterruptible(arrived, () => ready);
                        if (err != 0)
                            return err;
                    }
                    Gup.PutPage(page[0]);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Loop_bounded_by_a_retry_counter_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long ThreeTries(MmStruct mm, ulong addr, Page[] page)
                {
                    for (int tries = 0; tries < 3; tries++)
                    {
                        long ret = Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, page);
                        if (ret == 1)
                        {
                            Gup.PutPage(page[0]);
                            return 0;
                        }
                    }
                    return -Errno.EFAULT;
                }
            }
            """);
    }

    [Fact]
    public async Task Loops_that_go_round_only_after_success_are_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long WalkPages(MmStruct mm, ulong start, int n, Page[] page)
                {
                    for (int i = 0; i < n; i++)
                    {
                        long ret = Gup.GetUserPagesUnlocked(mm, start + (ulong)i * Page.Size, 1, FollFlags.Write, page);
                        if (ret != 1)
                            return ret < 0 ? ret : -Errno.EFAULT;
                        Gup.PutPage(page[0]);
                    }
                    return 0;
                }

                int PopulateVma(VmAreaStruct vma)
                {
                    for (ulong address = vma.Start; address < vma.End; address += Page.Size)
                    {
                        var fault = MmFault.HandleMmFault(vma, address, FaultFlags.None);
                        if ((fault & VmFaultResult.Error) != 0)
                            return -Errno.EFAULT;
                    }
                    return 0;
                }
            }
            """);
    }
}
