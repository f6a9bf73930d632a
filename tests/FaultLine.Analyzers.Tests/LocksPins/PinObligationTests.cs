using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

/// <summary>FL4005 and FL4006: pages taken by GUP, released for exactly the count that came back.</summary>
public class PinObligationTests
{
    [Fact]
    public async Task Case21_kpc_dma_partial_pin_leaked_is_reported()
    {
        // Souptick Joarder, "staging: kpc2000: kpc_dma: Unpin partial pinned pages": the error label only freed the
        // array, and the positive rv went back as the return code.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class KpcDma
            {
                Page[]? userPages;

                long TransferStart(MmStruct mm, ulong iovBase, long pageCount)
                {
                    var pages = new Page[pageCount];
                    mm.MmapReadLock();
                    long rv = Gup.GetUserPages(mm, iovBase, pageCount, FollFlags.Write, pages);
                    mm.MmapReadUnlock();
                    if (rv != pageCount)
                        goto err_get_user_pages;
                    userPages = pages;
                    return 0;

                err_get_user_pages:
                    // The error label only freed the array.
                    {|#0:return rv;|}
                }
            }
            """,
            Verify.Diagnostic("FL4005").WithLocation(0).WithArguments("referenced", "pages", "GetUserPages", ", and 'rv', a count of pages taken, is returned"));
    }

    [Fact]
    public async Task Case21_fixed_puts_the_rv_pages_and_returns_EFAULT()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class KpcDma
            {
                Page[]? userPages;

                long TransferStart(MmStruct mm, ulong iovBase, long pageCount)
                {
                    var pages = new Page[pageCount];
                    mm.MmapReadLock();
                    long rv = Gup.GetUserPages(mm, iovBase, pageCount, FollFlags.Write, pages);
                    mm.MmapReadUnlock();
                    if (rv != pageCount)
                        goto err_get_user_pages;
                    userPages = pages;
                    return 0;

                err_get_user_pages:
                    if (rv > 0)
                    {
                        for (long i = 0; i < rv; i++)
                            Gup.PutPage(pages[i]);
                        rv = -Errno.EFAULT;
                    }
                    return rv;
                }
            }
            """);
    }

    [Fact]
    public async Task Partial_pin_into_the_callers_array_not_unpinned_on_the_error_path_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write | FollFlags.Longterm, pages);
                    if (ret < 0)
                        return ret;
                    if (ret != count)
                        {|#0:return -Errno.EFAULT;|}
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "pages", "PinUserPagesUnlocked", ""));
    }

    [Fact]
    public async Task Correct_release_shapes_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                Page? page;

                long Unpins(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret < 0)
                        return ret;
                    if (ret != count)
                    {
                        Gup.UnpinUserPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    return 0;
                }

                long CopyOfCount(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    long pinned = ret;
                    if (ret != count)
                    {
                        if (pinned > 0)
                            Gup.UnpinUserPages(pages, pinned);
                        return -Errno.EFAULT;
                    }
                    return 0;
                }

                long Helper(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, count, FollFlags.None, pages);
                    if (ret > 0 && ret < count)
                    {
                        PutPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    return ret;
                }

                static void PutPages(Page[] pages, long n)
                {
                    for (long i = 0; i < n; i++)
                        Gup.PutPage(pages[i]);
                }

                // One-page GUP tested with != 1, the page handed over to a field.
                int OnePage(MmStruct mm, ulong addr)
                {
                    var pages = new Page[1];
                    if (Gup.GetUserPagesUnlocked(mm, addr, 1, FollFlags.Write, pages) != 1)
                        return -Errno.EFAULT;
                    page = pages[0];
                    return 0;
                }

                int OnePageLocal(MmStruct mm, ulong addr)
                {
                    var pages = new Page[1];
                    long ret = Gup.PinUserPagesUnlocked(mm, addr, 1, FollFlags.Write, pages);
                    if (ret != 1)
                        return ret < 0 ? (int)ret : -Errno.EFAULT;
                    byte first = pages[0].Data[0];
                    Gup.UnpinUserPage(pages[0]);
                    return first;
                }

                // The GUP result handed back to the caller, who owns the pages.
                long HandBack(MmStruct mm, ulong start, long count, Page[] pages) =>
                    Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);

                Page[] Returned(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret < 0)
                        return new Page[0];
                    return pages;
                }
            }
            """);
    }

    [Fact]
    public async Task Case22_iommu_chunk_not_unpinned_on_map_failure_is_reported()
    {
        // CVE-2014-3601: kvm_iommu_map_pages pinned a chunk, iommu_map() failed, and the chunk was not unpinned.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class KvmIommu
            {
                int MapPages(MmStruct mm, ulong baseGfn, long npages)
                {
                    ulong gfn = baseGfn;
                    ulong endGfn = baseGfn + (ulong)npages;
                    while (gfn < endGfn)
                    {
                        var chunk = new Page[16];
                        long pinned = Gup.PinUserPagesUnlocked(mm, gfn << Page.Shift, 16, FollFlags.Write | FollFlags.Longterm, chunk);
                        if (pinned <= 0)
                        {
                            UnmapPages(baseGfn, gfn - baseGfn);
                            return -Errno.EFAULT;
                        }

                        if (IommuMap(gfn, chunk, pinned) != 0)
                        {
                            UnmapPages(baseGfn, gfn - baseGfn);
                            {|#0:return -Errno.EFAULT;|}
                        }

                        Remember(chunk, pinned);
                        gfn += (ulong)pinned;
                    }

                    return 0;
                }

                static int IommuMap(ulong gfn, Page[] pages, long count)
                {
                    for (long i = 0; i < count; i++)
                    {
                        if (pages[i].Pfn == 0)
                            return -Errno.EFAULT;
                    }
                    return 0;
                }

                void UnmapPages(ulong baseGfn, ulong count) { }

                void Remember(Page[] chunk, long count) => mapped.Add(chunk);

                readonly System.Collections.Generic.List<Page[]> mapped = new();
            }
            """,
            Verify.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "chunk", "PinUserPagesUnlocked", ""));
    }

    [Fact]
    public async Task Case22_unpinning_with_the_wrong_count_is_reported()
    {
        // The unwind passed an absolute gfn as a page count.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class KvmIommu
            {
                int MapChunk(MmStruct mm, ulong gfn, ulong baseGfn)
                {
                    var chunk = new Page[16];
                    long pinned = Gup.PinUserPagesUnlocked(mm, gfn << Page.Shift, 16, FollFlags.Write, chunk);
                    if (pinned <= 0)
                        return -Errno.EFAULT;
                    if (IommuMap(gfn, chunk, pinned) != 0)
                    {
                        Gup.UnpinUserPages(chunk, (long)gfn);
                        {|#0:return -Errno.EFAULT;|}
                    }
                    mapped = chunk;
                    return 0;
                }

                Page[]? mapped;

                int MapChunkFixed(MmStruct mm, ulong gfn, ulong baseGfn)
                {
                    var chunk = new Page[16];
                    long pinned = Gup.PinUserPagesUnlocked(mm, gfn << Page.Shift, 16, FollFlags.Write, chunk);
                    if (pinned <= 0)
                        return -Errno.EFAULT;
                    if (IommuMap(gfn, chunk, pinned) != 0)
                    {
                        Gup.UnpinUserPages(chunk, pinned);
                        return -Errno.EFAULT;
                    }
                    Gup.UnpinUserPages(chunk, pinned);
                    return 0;
                }

                static int IommuMap(ulong gfn, Page[] pages, long count) => pages[0].Pfn == 0 ? -Errno.EFAULT : 0;
            }
            """,
            Verify.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "chunk", "PinUserPagesUnlocked", ": 'UnpinUserPages' was passed '(long)gfn', not the count 'pinned'"));
    }

    [Fact]
    public async Task Case22_helper_given_the_absolute_gfn_as_its_count_is_reported()
    {
        // CVE-2014-3601's unwind: kvm_iommu_put_pages(kvm, base_gfn, gfn) instead of gfn - base_gfn.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class KvmIommu
            {
                Page[]? mapped;

                int MapChunk(MmStruct mm, ulong gfn, ulong baseGfn)
                {
                    var chunk = new Page[16];
                    long pinned = Gup.PinUserPagesUnlocked(mm, gfn << Page.Shift, 16, FollFlags.Write, chunk);
                    if (pinned <= 0)
                        return -Errno.EFAULT;
                    if (chunk[0].Pfn == 0)
                    {
                        long absolute = (long)gfn;
                        PutPages(baseGfn, chunk, absolute);
                        {|#0:return -Errno.EFAULT;|}
                    }
                    mapped = chunk;
                    return 0;
                }

                int MapChunkFixed(MmStruct mm, ulong gfn, ulong baseGfn)
                {
                    var chunk = new Page[16];
                    long pinned = Gup.PinUserPagesUnlocked(mm, gfn << Page.Shift, 16, FollFlags.Write, chunk);
                    if (pinned <= 0)
                        return -Errno.EFAULT;
                    if (chunk[0].Pfn == 0)
                    {
                        PutPages(baseGfn, chunk, pinned);
                        return -Errno.EFAULT;
                    }
                    mapped = chunk;
                    return 0;
                }

                static void PutPages(ulong baseGfn, Page[] pages, long npages) => Gup.UnpinUserPages(pages, npages);
            }
            """,
            Verify.Diagnostic("FL4005").WithLocation(0).WithArguments("pinned", "chunk", "PinUserPagesUnlocked", ": 'PutPages' was passed 'absolute', not the count 'pinned'"));
    }

    [Fact]
    public async Task FL4006_pinned_pages_put_and_got_pages_unpinned_are_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                        return ret;
                    for (long i = 0; i < ret; i++)
                        {|#0:Gup.PutPage(pages[i])|};
                    return 0;
                }

                long Get(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                        return ret;
                    {|#1:Gup.UnpinUserPages(pages, ret)|};
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL4006").WithLocation(0).WithArguments("pages", "PinUserPagesUnlocked", "UnpinUserPage", "PutPage"),
            Verify.Diagnostic("FL4006").WithLocation(1).WithArguments("pages", "GetUserPagesUnlocked", "PutPage", "UnpinUserPages"));
    }

    [Fact]
    public async Task Pages_handed_to_the_caller_through_an_out_parameter_or_a_field_are_silent()
    {
        // Issue 6: handing the pages on transfers the obligation to whoever receives them.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class DirectIo
            {
                private Page[]? held;

                long PinForCaller(ulong buffer, int count, out Page[] pinned)
                {
                    pinned = new Page[count];
                    var ret = Gup.PinUserPagesFast(buffer, count, FollFlags.Write, pinned);
                    if (ret != count)
                    {
                        return -Errno.EFAULT;
                    }

                    return ret;
                }

                long PinIntoField(ulong buffer, int count)
                {
                    var pages = new Page[count];
                    var ret = Gup.PinUserPagesFast(buffer, count, FollFlags.Write, pages);
                    held = pages;
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }
}
