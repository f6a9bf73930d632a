using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using VerifyPins = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1003PartialCountFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1003PartialCountFixTests
{
    [Fact]
    public async Task Pinned_prefix_is_unpinned_and_the_call_fails()
    {
        // Case 21 of SEMANTICS.md §2 (kpc_dma): a short count must release the rv pages taken and fail.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Dma
            {
                long Map(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, nrPages, FollFlags.Write, pages)|};
                    for (long i = 0; i < nrPages; i++)
                        Use(pages[i]);
                    Gup.UnpinUserPages(pages, nrPages);
                    return rv > 0 ? 0 : rv;
                }

                static void Use(Page page) { }
            }
            """, """
            using FaultLine;

            class Dma
            {
                long Map(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    long rv = Gup.PinUserPagesUnlocked(mm, start, nrPages, FollFlags.Write, pages);
                    if (rv < 0)
                        return rv;
                    if (rv != nrPages)
                    {
                        Gup.UnpinUserPages(pages, rv);
                        return -Errno.EFAULT;
                    }
                    for (long i = 0; i < nrPages; i++)
                        Use(pages[i]);
                    Gup.UnpinUserPages(pages, nrPages);
                    return rv > 0 ? 0 : rv;
                }

                static void Use(Page page) { }
            }
            """);
    }

    [Fact]
    public async Task Referenced_prefix_is_put_page_by_page_after_an_existing_negative_test()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Dma
            {
                int Map(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = {|FL1003:Gup.GetUserPagesUnlocked(mm, start, pages.Length, FollFlags.Write, pages)|};
                    if (ret <= 0)
                        return -Errno.EFAULT;
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Dma
            {
                int Map(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, pages.Length, FollFlags.Write, pages);
                    if (ret <= 0)
                        return -Errno.EFAULT;
                    if (ret != pages.Length)
                    {
                        for (long i = 0; i < ret; i++)
                            Gup.PutPage(pages[i]);
                        return -Errno.EFAULT;
                    }
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Loop_for_the_rest_takes_every_page_or_releases_and_fails()
    {
        await Verify.VerifyCodeFixAsync("""
            using System;
            using FaultLine;

            class Dma
            {
                long Map(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, nrPages, FollFlags.Write | FollFlags.Longterm, pages)|};
                    for (long i = 0; i < nrPages; i++)
                        Use(pages[i]);
                    Gup.UnpinUserPages(pages, nrPages);
                    return rv > 0 ? 0 : rv;
                }

                static void Use(Page page) { }
            }
            """, """
            using System;
            using FaultLine;

            class Dma
            {
                long Map(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    long rv = 0;
                    while (rv < nrPages)
                    {
                        var rest = new Page[nrPages - rv];
                        long got = Gup.PinUserPagesUnlocked(mm, start + (ulong)rv * Page.Size, nrPages - rv, FollFlags.Write | FollFlags.Longterm, rest);
                        if (got <= 0)
                        {
                            Gup.UnpinUserPages(pages, rv);
                            return got < 0 ? got : -Errno.EFAULT;
                        }
                        Array.Copy(rest, 0, pages, rv, got);
                        rv += got;
                    }
                    for (long i = 0; i < nrPages; i++)
                        Use(pages[i]);
                    Gup.UnpinUserPages(pages, nrPages);
                    return rv > 0 ? 0 : rv;
                }

                static void Use(Page page) { }
            }
            """, FL1003PartialCountFix.LoopForRest);
    }

    [Fact]
    public async Task Loop_for_the_rest_of_referenced_pages_in_an_int_function()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Dma
            {
                int Map(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = {|FL1003:Gup.GetUserPagesUnlocked(mm, start, pages.Length, FollFlags.Write, pages)|};
                    if (ret <= 0)
                        return -Errno.EFAULT;
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return 0;
                }
            }
            """, """
            using FaultLine;

            class Dma
            {
                int Map(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = 0;
                    while (ret < pages.Length)
                    {
                        var rest = new Page[pages.Length - ret];
                        long got = Gup.GetUserPagesUnlocked(mm, start + (ulong)ret * Page.Size, pages.Length - ret, FollFlags.Write, rest);
                        if (got <= 0)
                        {
                            for (long i = 0; i < ret; i++)
                                Gup.PutPage(pages[i]);
                            return got < 0 ? (int)got : -Errno.EFAULT;
                        }
                        System.Array.Copy(rest, 0, pages, ret, got);
                        ret += got;
                    }
                    if (ret <= 0)
                        return -Errno.EFAULT;
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return 0;
                }
            }
            """, FL1003PartialCountFix.LoopForRest);
    }

    [Fact]
    public async Task Fix_all_loop_for_the_rest_in_one_method_and_across_two_documents()
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
                        long A(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
                        {
                            long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages)|};
                            Gup.UnpinUserPages(pages, n);
                            long rv2 = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more)|};
                            Gup.UnpinUserPages(more, n);
                            return rv > 0 && rv2 > 0 ? 0 : -Errno.EFAULT;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages)|};
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
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
                        long A(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
                        {
                            long rv = 0;
                            while (rv < n)
                            {
                                var rest = new Page[n - rv];
                                long got = Gup.PinUserPagesUnlocked(mm, start + (ulong)rv * Page.Size, n - rv, FollFlags.Write, rest);
                                if (got <= 0)
                                {
                                    Gup.UnpinUserPages(pages, rv);
                                    return got < 0 ? got : -Errno.EFAULT;
                                }
                                System.Array.Copy(rest, 0, pages, rv, got);
                                rv += got;
                            }
                            Gup.UnpinUserPages(pages, n);
                            long rv2 = 0;
                            while (rv2 < n)
                            {
                                var rest = new Page[n - rv2];
                                long got = Gup.PinUserPagesUnlocked(mm, start + (ulong)rv2 * Page.Size, n - rv2, FollFlags.Write, rest);
                                if (got <= 0)
                                {
                                    Gup.UnpinUserPages(more, rv2);
                                    return got < 0 ? got : -Errno.EFAULT;
                                }
                                System.Array.Copy(rest, 0, more, rv2, got);
                                rv2 += got;
                            }
                            Gup.UnpinUserPages(more, n);
                            return rv > 0 && rv2 > 0 ? 0 : -Errno.EFAULT;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = 0;
                            while (rv < n)
                            {
                                var rest = new Page[n - rv];
                                long got = Gup.PinUserPagesUnlocked(mm, start + (ulong)rv * Page.Size, n - rv, FollFlags.Write, rest);
                                if (got <= 0)
                                {
                                    Gup.UnpinUserPages(pages, rv);
                                    return got < 0 ? got : -Errno.EFAULT;
                                }
                                System.Array.Copy(rest, 0, pages, rv, got);
                                rv += got;
                            }
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1003PartialCountFix.LoopForRest,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Void_function_gets_no_fix()
    {
        const string Source = """
            using FaultLine;

            class Dma
            {
                void Map(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, nrPages, FollFlags.Write, pages)|};
                    if (rv < 0)
                        return;
                    Gup.UnpinUserPages(pages, nrPages);
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
                        long A(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages)|};
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
                        }

                        long B(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.None, pages)|};
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages)|};
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
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
                        long A(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                            if (rv < 0)
                                return rv;
                            if (rv != n)
                            {
                                Gup.UnpinUserPages(pages, rv);
                                return -Errno.EFAULT;
                            }
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
                        }

                        long B(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.None, pages);
                            if (rv < 0)
                                return rv;
                            if (rv != n)
                            {
                                Gup.UnpinUserPages(pages, rv);
                                return -Errno.EFAULT;
                            }
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, long n, Page[] pages)
                        {
                            long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                            if (rv < 0)
                                return rv;
                            if (rv != n)
                            {
                                Gup.UnpinUserPages(pages, rv);
                                return -Errno.EFAULT;
                            }
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1003PartialCountFix.ReleaseAndFail,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Fast_form_without_mm_releases_and_fails_before_the_first_use()
    {
        // The O_DIRECT shape (Samples/ODirectPin): PinUserPagesFast has no mm argument, so the count and the pages
        // are the second and fourth arguments; a negative test with a block is already there.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class DirectIo
            {
                long Write(ulong buffer, int length)
                {
                    var nrPages = length / Page.Size;
                    var pages = new Page[nrPages];
                    var rv = {|FL1003:Gup.PinUserPagesFast(buffer, nrPages, FollFlags.None, pages)|};
                    if (rv < 0)
                    {
                        return rv;
                    }

                    // The device reads every page.
                    for (var i = 0; i < nrPages; i++)
                    {
                        Use(pages[i]);
                    }

                    Gup.UnpinUserPages(pages, rv);
                    return length;
                }

                static void Use(Page page) { }
            }
            """, """
            using FaultLine;

            class DirectIo
            {
                long Write(ulong buffer, int length)
                {
                    var nrPages = length / Page.Size;
                    var pages = new Page[nrPages];
                    var rv = Gup.PinUserPagesFast(buffer, nrPages, FollFlags.None, pages);
                    if (rv < 0)
                    {
                        return rv;
                    }
                    if (rv != nrPages)
                    {
                        Gup.UnpinUserPages(pages, rv);
                        return -Errno.EFAULT;
                    }

                    // The device reads every page.
                    for (var i = 0; i < nrPages; i++)
                    {
                        Use(pages[i]);
                    }

                    Gup.UnpinUserPages(pages, rv);
                    return length;
                }

                static void Use(Page page) { }
            }
            """);
    }

    [Fact]
    public async Task Fast_form_of_get_adds_the_negative_test_and_puts_the_prefix()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class DirectIo
            {
                int Read(ulong buffer, Page[] pages)
                {
                    long got = {|FL1003:Gup.GetUserPagesFast(buffer, pages.Length, FollFlags.Write, pages)|};
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return got > 0 ? 0 : (int)got;
                }
            }
            """, """
            using FaultLine;

            class DirectIo
            {
                int Read(ulong buffer, Page[] pages)
                {
                    long got = Gup.GetUserPagesFast(buffer, pages.Length, FollFlags.Write, pages);
                    if (got < 0)
                        return (int)got;
                    if (got != pages.Length)
                    {
                        for (long i = 0; i < got; i++)
                            Gup.PutPage(pages[i]);
                        return -Errno.EFAULT;
                    }
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return got > 0 ? 0 : (int)got;
                }
            }
            """);
    }

    [Fact]
    public async Task Fast_form_loop_for_the_rest_keeps_the_argument_order_of_the_fast_call()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class DirectIo
            {
                long Write(ulong buffer, long nrPages, Page[] pages)
                {
                    var rv = {|FL1003:Gup.PinUserPagesFast(buffer, nrPages, FollFlags.None, pages)|};
                    for (long i = 0; i < nrPages; i++)
                        Use(pages[i]);
                    Gup.UnpinUserPages(pages, nrPages);
                    return rv > 0 ? 0 : rv;
                }

                static void Use(Page page) { }
            }
            """, """
            using FaultLine;

            class DirectIo
            {
                long Write(ulong buffer, long nrPages, Page[] pages)
                {
                    long rv = 0;
                    while (rv < nrPages)
                    {
                        var rest = new Page[nrPages - rv];
                        long got = Gup.PinUserPagesFast(buffer + (ulong)rv * Page.Size, nrPages - rv, FollFlags.None, rest);
                        if (got <= 0)
                        {
                            Gup.UnpinUserPages(pages, rv);
                            return got < 0 ? got : -Errno.EFAULT;
                        }
                        System.Array.Copy(rest, 0, pages, rv, got);
                        rv += got;
                    }
                    for (long i = 0; i < nrPages; i++)
                        Use(pages[i]);
                    Gup.UnpinUserPages(pages, nrPages);
                    return rv > 0 ? 0 : rv;
                }

                static void Use(Page page) { }
            }
            """, FL1003PartialCountFix.LoopForRest);
    }

    [Fact]
    public async Task Fix_all_on_fast_forms_in_one_document_and_across_two()
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
                        long A(ulong start, long n, Page[] pages, Page[] more)
                        {
                            long rv = {|FL1003:Gup.PinUserPagesFast(start, n, FollFlags.Write, pages)|};
                            Gup.UnpinUserPages(pages, n);
                            long rv2 = {|FL1003:Gup.PinUserPagesFast(start, n, FollFlags.None, more)|};
                            Gup.UnpinUserPages(more, n);
                            return rv > 0 && rv2 > 0 ? 0 : -Errno.EFAULT;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(ulong start, long n, Page[] pages)
                        {
                            long rv = {|FL1003:Gup.PinUserPagesFast(start, n, FollFlags.Write, pages)|};
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
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
                        long A(ulong start, long n, Page[] pages, Page[] more)
                        {
                            long rv = Gup.PinUserPagesFast(start, n, FollFlags.Write, pages);
                            if (rv < 0)
                                return rv;
                            if (rv != n)
                            {
                                Gup.UnpinUserPages(pages, rv);
                                return -Errno.EFAULT;
                            }
                            Gup.UnpinUserPages(pages, n);
                            long rv2 = Gup.PinUserPagesFast(start, n, FollFlags.None, more);
                            if (rv2 < 0)
                                return rv2;
                            if (rv2 != n)
                            {
                                Gup.UnpinUserPages(more, rv2);
                                return -Errno.EFAULT;
                            }
                            Gup.UnpinUserPages(more, n);
                            return rv > 0 && rv2 > 0 ? 0 : -Errno.EFAULT;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(ulong start, long n, Page[] pages)
                        {
                            long rv = Gup.PinUserPagesFast(start, n, FollFlags.Write, pages);
                            if (rv < 0)
                                return rv;
                            if (rv != n)
                            {
                                Gup.UnpinUserPages(pages, rv);
                                return -Errno.EFAULT;
                            }
                            Gup.UnpinUserPages(pages, n);
                            return rv > 0 ? 0 : rv;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1003PartialCountFix.ReleaseAndFail,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Second_pin_releases_the_first_pins_too_on_both_new_returns()
    {
        // Two pins in a row (kernel: the second pin_user_pages of a two-buffer DMA): the first call's rv pages are held
        // when the second comes up short or fails, so both new returns unpin them as well as the second's prefix.
        await Verify.VerifyCodeFixAsync(TwoPins, TwoPinsReleased, FL1003PartialCountFix.ReleaseAndFail);
    }

    [Fact]
    public async Task Second_pin_releases_the_first_pins_leave_no_pages_behind()
    {
        // The fixed code passes FL4005's own reading: no path leaks either array.
        await VerifyPins.VerifyAnalyzerAsync(TwoPinsReleased);
    }

    [Fact]
    public async Task Second_call_puts_the_first_calls_referenced_pages_in_the_loop_for_the_rest()
    {
        // The first call took references (GetUserPages*): the loop's failure return puts them page by page.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Dma
            {
                long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
                {
                    long rv = Gup.GetUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                    if (rv < 0)
                        return rv;
                    long rv2 = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more)|};
                    Use(more[1]);
                    Gup.UnpinUserPages(more, n);
                    for (long i = 0; i < rv; i++)
                        Gup.PutPage(pages[i]);
                    return rv2 > 0 ? 0 : -Errno.EFAULT;
                }

                static void Use(Page page) { }
            }
            """, """
            using FaultLine;

            class Dma
            {
                long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
                {
                    long rv = Gup.GetUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                    if (rv < 0)
                        return rv;
                    long rv2 = 0;
                    while (rv2 < n)
                    {
                        var rest = new Page[n - rv2];
                        long got = Gup.PinUserPagesUnlocked(mm, start + (ulong)rv2 * Page.Size, n - rv2, FollFlags.Write, rest);
                        if (got <= 0)
                        {
                            Gup.UnpinUserPages(more, rv2);
                            for (long i = 0; i < rv; i++)
                                Gup.PutPage(pages[i]);
                            return got < 0 ? got : -Errno.EFAULT;
                        }
                        System.Array.Copy(rest, 0, more, rv2, got);
                        rv2 += got;
                    }
                    Use(more[1]);
                    Gup.UnpinUserPages(more, n);
                    for (long i = 0; i < rv; i++)
                        Gup.PutPage(pages[i]);
                    return rv2 > 0 ? 0 : -Errno.EFAULT;
                }

                static void Use(Page page) { }
            }
            """, FL1003PartialCountFix.LoopForRest);
    }

    [Fact]
    public async Task Pages_released_before_the_second_call_are_not_released_again()
    {
        // The first call's pages are unpinned by its own count before the second pin: nothing of it is held any more.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Dma
            {
                long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
                {
                    long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                    Gup.UnpinUserPages(pages, rv);
                    long rv2 = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more)|};
                    Gup.UnpinUserPages(more, n);
                    return rv2 > 0 ? 0 : rv2;
                }
            }
            """, """
            using FaultLine;

            class Dma
            {
                long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
                {
                    long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                    Gup.UnpinUserPages(pages, rv);
                    long rv2 = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more);
                    if (rv2 < 0)
                        return rv2;
                    if (rv2 != n)
                    {
                        Gup.UnpinUserPages(more, rv2);
                        return -Errno.EFAULT;
                    }
                    Gup.UnpinUserPages(more, n);
                    return rv2 > 0 ? 0 : rv2;
                }
            }
            """, FL1003PartialCountFix.ReleaseAndFail);
    }

    [Fact]
    public async Task Earlier_pages_released_in_the_enclosing_case_are_not_released_again()
    {
        // The release of the first call's pages comes before the block of the second call in the same switch section:
        // it runs first, so nothing of the first call is held on the new returns.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Dma
            {
                long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more, int mode)
                {
                    long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                    if (rv != n)
                        return -Errno.EFAULT;
                    switch (mode)
                    {
                        case 1:
                            Gup.UnpinUserPages(pages, rv);
                            {
                                long rv2 = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more)|};
                                Gup.UnpinUserPages(more, n);
                                return rv2 > 0 ? 0 : -Errno.EFAULT;
                            }
                        default:
                            Gup.UnpinUserPages(pages, rv);
                            return 0;
                    }
                }
            }
            """, """
            using FaultLine;

            class Dma
            {
                long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more, int mode)
                {
                    long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                    if (rv != n)
                        return -Errno.EFAULT;
                    switch (mode)
                    {
                        case 1:
                            Gup.UnpinUserPages(pages, rv);
                            {
                                long rv2 = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more);
                                if (rv2 < 0)
                                    return rv2;
                                if (rv2 != n)
                                {
                                    Gup.UnpinUserPages(more, rv2);
                                    return -Errno.EFAULT;
                                }
                                Gup.UnpinUserPages(more, n);
                                return rv2 > 0 ? 0 : -Errno.EFAULT;
                            }
                        default:
                            Gup.UnpinUserPages(pages, rv);
                            return 0;
                    }
                }
            }
            """, FL1003PartialCountFix.ReleaseAndFail);
    }

    [Fact]
    public async Task Earlier_pages_passed_on_give_no_fix()
    {
        // Keep(pages) may store the first call's pages to be released elsewhere, or release them: what the new
        // returns would have to release cannot be told, so neither fix is offered.
        const string Source = """
            using FaultLine;

            class Dma
            {
                long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
                {
                    long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                    if (rv != n)
                    {
                        Gup.UnpinUserPages(pages, rv);
                        return -Errno.EFAULT;
                    }
                    Keep(pages);
                    long rv2 = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more)|};
                    Gup.UnpinUserPages(more, n);
                    return rv2 > 0 ? 0 : -Errno.EFAULT;
                }

                static void Keep(Page[] pages) { }
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, Source);
    }

    private const string TwoPins = """
        using FaultLine;

        class Dma
        {
            long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
            {
                long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                if (rv != n)
                {
                    if (rv > 0)
                        Gup.UnpinUserPages(pages, rv);
                    return -Errno.EFAULT;
                }
                long rv2 = {|FL1003:Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more)|};
                Use(more[1]);
                Gup.UnpinUserPages(more, n);
                Gup.UnpinUserPages(pages, n);
                return rv2 > 0 ? 0 : -Errno.EFAULT;
            }

            static void Use(Page page) { }
        }
        """;

    private const string TwoPinsReleased = """
        using FaultLine;

        class Dma
        {
            long Two(MmStruct mm, ulong start, long n, Page[] pages, Page[] more)
            {
                long rv = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, pages);
                if (rv != n)
                {
                    if (rv > 0)
                        Gup.UnpinUserPages(pages, rv);
                    return -Errno.EFAULT;
                }
                long rv2 = Gup.PinUserPagesUnlocked(mm, start, n, FollFlags.Write, more);
                if (rv2 < 0)
                {
                    Gup.UnpinUserPages(pages, rv);
                    return rv2;
                }
                if (rv2 != n)
                {
                    Gup.UnpinUserPages(more, rv2);
                    Gup.UnpinUserPages(pages, rv);
                    return -Errno.EFAULT;
                }
                Use(more[1]);
                Gup.UnpinUserPages(more, n);
                Gup.UnpinUserPages(pages, n);
                return rv2 > 0 ? 0 : -Errno.EFAULT;
            }

            static void Use(Page page) { }
        }
        """;
}
