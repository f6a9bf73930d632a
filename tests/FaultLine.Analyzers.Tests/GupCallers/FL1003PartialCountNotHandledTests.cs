using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1003: pages used before the result is compared with the requested count.</summary>
public class FL1003PartialCountNotHandledTests
{
    [Fact]
    public async Task Case21_kpc2000_pages_used_up_to_the_requested_count_is_reported_with_the_use_as_additional_location()
    {
        // SEMANTICS.md case 21 (staging: kpc2000): only a negative result is checked, then all page_count pages are used.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class KpcDma
            {
                private readonly Page[] pages = new Page[16];

                long Transfer(MmStruct mm, ulong iovBase, long pageCount)
                {
                    long rv = {|#0:Gup.GetUserPagesUnlocked(mm, iovBase, pageCount, FollFlags.Write, pages)|};
                    if (rv < 0)
                        return rv;
                    for (long i = 0; i < pageCount; i++)
                        Map({|#1:pages[i]|});
                    return 0;
                }

                static void Map(Page page) { }
            }
            """,
            Verify.Diagnostic("FL1003").WithLocation(0).WithLocation(1).WithArguments("GetUserPagesUnlocked", "pages"));
    }

    [Fact]
    public async Task Case21_fixed_release_the_taken_prefix_and_fail_is_not_reported()
    {
        // The fix: on a short count, put the rv pages taken and return -EFAULT.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class KpcDma
            {
                private readonly Page[] pages = new Page[16];

                long Transfer(MmStruct mm, ulong iovBase, long pageCount)
                {
                    long rv = Gup.GetUserPagesUnlocked(mm, iovBase, pageCount, FollFlags.Write, pages);
                    if (rv != pageCount)
                    {
                        if (rv > 0)
                        {
                            for (long i = 0; i < rv; i++)
                                Gup.PutPage(pages[i]);
                            rv = -Errno.EFAULT;
                        }
                        return rv;
                    }
                    for (long i = 0; i < pageCount; i++)
                        Map(pages[i]);
                    return 0;
                }

                static void Map(Page page) { }
            }
            """);
    }

    [Fact]
    public async Task Foreach_over_the_pages_after_a_negative_check_only_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ODirect
            {
                long Write(ulong buffer, Page[] pages)
                {
                    var rv = {|FL1003:Gup.PinUserPagesFast(buffer, pages.Length, FollFlags.None, pages)|};
                    if (rv <= 0)
                        return rv;
                    foreach (var page in pages)
                        Gup.UnpinUserPage(page);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Releasing_by_the_requested_count_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ODirect
            {
                long Write(ulong buffer, long nrPages, Page[] pages)
                {
                    var rv = {|FL1003:Gup.PinUserPagesFast(buffer, nrPages, FollFlags.None, pages)|};
                    if (rv < 0)
                        return rv;
                    Gup.UnpinUserPages(pages, nrPages);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task One_page_with_Nowait_can_return_zero_and_is_reported()
    {
        // FOLL_NOWAIT: 0 means "would have needed I/O", not a page (rule 16).
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long TryAsync(MmStruct mm, ulong hva, Page[] page)
                {
                    long n = {|FL1003:Gup.GetUserPagesUnlocked(mm, hva, 1, FollFlags.Write | FollFlags.Nowait, page)|};
                    if (n < 0)
                        return n;
                    long pfn = page[0].Pfn;
                    Gup.PutPage(page[0]);
                    return pfn;
                }
            }
            """);
    }

    [Fact]
    public async Task Result_used_as_the_bound_of_what_is_used_or_released_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long UseWhatWasTaken(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, nrPages, FollFlags.Write, pages);
                    if (ret < 0)
                        return ret;
                    for (long i = 0; i < ret; i++)
                        Gup.PutPage(pages[i]);
                    return ret;
                }

                long ReleaseWhatWasTaken(ulong start, long nrPages, Page[] pages)
                {
                    long ret = Gup.PinUserPagesFast(start, nrPages, FollFlags.Write, pages);
                    if (ret < 0)
                        return ret;
                    Gup.UnpinUserPages(pages, ret);
                    return 0;
                }

                long HandOnTheCount(ulong start, long nrPages, Page[] pages)
                {
                    long ret = Gup.PinUserPagesFast(start, nrPages, FollFlags.Write, pages);
                    if (ret < 0)
                        return ret;
                    Dma(pages, ret);
                    return 0;
                }

                static void Dma(Page[] pages, long count) { }
            }
            """);
    }

    [Fact]
    public async Task Result_compared_with_the_requested_count_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long All(ulong start, Page[] pages)
                {
                    long ret = Gup.PinUserPagesFast(start, pages.Length, FollFlags.Write, pages);
                    if (ret < 0)
                        return ret;
                    if (ret != pages.Length)
                    {
                        Gup.UnpinUserPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    foreach (var page in pages)
                        Gup.UnpinUserPage(page);
                    return 0;
                }

                long WithPattern(ulong start, Page[] pages)
                {
                    long ret = Gup.PinUserPagesFast(start, 2, FollFlags.Write, pages);
                    if (ret is not 2)
                        return ret < 0 ? ret : -Errno.EFAULT;
                    Gup.UnpinUserPages(pages, 2);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Ret_not_one_for_a_one_page_request_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                long Fault(MmStruct mm, ulong hva, Page[] page)
                {
                    long npages = Gup.GetUserPagesUnlocked(mm, hva, 1, FollFlags.Write, page);
                    if (npages != 1)
                        return npages < 0 ? npages : -Errno.EFAULT;
                    long pfn = page[0].Pfn;
                    Gup.PutPage(page[0]);
                    return pfn;
                }

                long NegativeCheckIsEnoughForOnePage(MmStruct mm, ulong hva, Page[] page)
                {
                    long npages = Gup.GetUserPagesUnlocked(mm, hva, 1, FollFlags.Write, page);
                    if (npages < 0)
                        return npages;
                    long pfn = page[0].Pfn;
                    Gup.PutPage(page[0]);
                    return pfn;
                }
            }
            """);
    }

    [Fact]
    public async Task First_page_after_a_positive_result_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Head(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, nrPages, FollFlags.None, pages);
                    if (ret <= 0)
                        return ret;
                    long pfn = pages[0].Pfn;
                    for (long i = 0; i < ret; i++)
                        Gup.PutPage(pages[i]);
                    return pfn;
                }
            }
            """);
    }

    [Fact]
    public async Task Loop_accumulating_partial_counts_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long PinAll(MmStruct mm, ulong start, Page[] pages)
                {
                    long done = 0;
                    var chunk = new Page[pages.Length];
                    while (done < pages.Length)
                    {
                        long ret = Gup.PinUserPagesUnlocked(mm, start + (ulong)done * Page.Size, pages.Length - done, FollFlags.Write, chunk);
                        if (ret < 0)
                        {
                            Gup.UnpinUserPages(pages, done);
                            return ret;
                        }
                        for (long i = 0; i < ret; i++)
                            pages[done + i] = chunk[i];
                        done += ret;
                    }
                    return done;
                }
            }
            """);
    }

    [Fact]
    public async Task Helper_that_compares_with_the_count_is_read_and_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                static bool Complete(long ret, long wanted) => ret == wanted;

                long Pin(ulong start, long nrPages, Page[] pages)
                {
                    long ret = Gup.PinUserPagesFast(start, nrPages, FollFlags.Write, pages);
                    if (!Complete(ret, nrPages))
                    {
                        if (ret > 0)
                            Gup.UnpinUserPages(pages, ret);
                        return ret < 0 ? ret : -Errno.EFAULT;
                    }
                    Gup.UnpinUserPages(pages, nrPages);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Helper_that_only_tests_for_an_error_is_read_and_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                static bool Failed(long ret) => ret < 0;

                long Pin(ulong start, long nrPages, Page[] pages)
                {
                    long ret = {|FL1003:Gup.PinUserPagesFast(start, nrPages, FollFlags.Write, pages)|};
                    if (Failed(ret))
                        return ret;
                    Gup.UnpinUserPages(pages, nrPages);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Pages_refilled_by_Array_Copy_are_no_longer_the_earlier_calls_pages()
    {
        // The shape FL1003.LoopForRest produces after an earlier call on the same array: the loop copies what each call
        // took into pages, and releases only pages[0..ret-1], which the copies wrote. The first call's page is never
        // read (its leak is FL1002's and FL4005's business, not a partial count).
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Mixed(MmStruct mm, ulong start, Page[] pages)
                {
                    {|FL1002:Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Nowait, pages)|};
                    long ret = 0;
                    while (ret < pages.Length)
                    {
                        var rest = new Page[pages.Length - ret];
                        long got = Gup.GetUserPagesUnlocked(mm, start + (ulong)ret * Page.Size, pages.Length - ret, FollFlags.Write, rest);
                        if (got <= 0)
                        {
                            for (long i = 0; i < ret; i++)
                                Gup.PutPage(pages[i]);
                            return got < 0 ? got : -Errno.EFAULT;
                        }
                        System.Array.Copy(rest, 0, pages, ret, got);
                        ret += got;
                    }
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Pages_copied_out_with_Array_Copy_are_a_use()
    {
        // As the source of Array.Copy the pages are read: all n of them, whatever the count was.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Snapshot(MmStruct mm, ulong start, long n, Page[] pages, Page[] copy)
                {
                    long ret = {|#0:Gup.GetUserPagesUnlocked(mm, start, n, FollFlags.Write, pages)|};
                    if (ret < 0)
                        return ret;
                    {|#1:System.Array.Copy(pages, 0, copy, 0, n)|};
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL1003").WithLocation(0).WithLocation(1).WithArguments("GetUserPagesUnlocked", "pages"));
    }

    [Fact]
    public async Task Pages_read_before_an_Array_Copy_into_them_are_reported()
    {
        // The copy ends what is known about the array only from where it runs: the read before it is still a use.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Refill(MmStruct mm, ulong start, long n, Page[] pages, Page[] spare)
                {
                    long ret = {|#0:Gup.GetUserPagesUnlocked(mm, start, n, FollFlags.Write, pages)|};
                    if (ret < 0)
                        return ret;
                    Use({|#1:pages[1]|});
                    System.Array.Copy(spare, 0, pages, 0, n);
                    Use(pages[1]);
                    return 0;
                }

                static void Use(Page page) { }
            }
            """,
            Verify.Diagnostic("FL1003").WithLocation(0).WithLocation(1).WithArguments("GetUserPagesUnlocked", "pages"));
    }
}
