using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;
using static FaultLine.Runtime.Tests.UffdTestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>SEMANTICS.md rules 25-26: the pin_user_pages family and how pins are released.</summary>
public class PinRules
{
    [Fact]
    public void Rule25_PinFormsReturnZeroWhereGetFormsReturnEinval()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        Populate(mm, 0, 2);
        RunTask("pin", mm, () =>
        {
            var pages = new Page[2];

            // FOLL_GET together with the implied FOLL_PIN, an internal flag, and FOLL_PIN without a pages array.
            mm.MmapReadLock();
            Assert.Equal(0, Gup.PinUserPages(mm, Base, 2, FollFlags.Get, pages));
            Assert.Equal(0, Gup.PinUserPages(mm, Base, 2, FollFlags.Tried, pages));
            Assert.Equal(0, Gup.PinUserPages(mm, Base, 2, FollFlags.None, null));
            Assert.Equal(-Errno.EINVAL, Gup.GetUserPages(mm, Base, 2, FollFlags.Tried, pages));
            var locked = true;
            Assert.Equal(0, Gup.PinUserPagesLocked(mm, Base, 2, FollFlags.Get, pages, ref locked));
            Assert.True(locked);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();

            Assert.Equal(0, Gup.PinUserPagesUnlocked(mm, Base, 2, FollFlags.Get, pages));
            Assert.Equal(-Errno.EINVAL, Gup.GetUserPagesUnlocked(mm, Base, 2, FollFlags.Tried, pages));

            // pin_user_pages_fast is the exception: it says -EINVAL like the get_* forms.
            Assert.Equal(-Errno.EINVAL, Gup.PinUserPagesFast(Base, 2, FollFlags.Get, pages));

            // Nothing was pinned or referenced on the way.
            Assert.All(pages, Assert.Null);
        });

        // is_valid_gup_args WARNs about each rejected call (plain WARN_ON_ONCE, no FL rule).
        Assert.NotEmpty(KernelDebug.Warnings);
        Assert.All(KernelDebug.Warnings, w => Assert.Null(w.RuleId));
    }

    [Fact]
    public void Rule25_PinSetsFollPinInternallySoPagesArePinnedNotReferenced()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        Populate(mm, 0, 2);
        RunTask("pin", mm, () =>
        {
            var pinned = new Page[2];
            mm.MmapReadLock();
            Assert.Equal(2, Gup.PinUserPages(mm, Base, 2, FollFlags.Write, pinned));
            var got = new Page[2];
            Assert.Equal(2, Gup.GetUserPages(mm, Base, 2, FollFlags.Write, got));
            mm.MmapReadUnlock();

            for (var i = 0; i < 2; i++)
            {
                Assert.Same(pinned[i], got[i]);
                Assert.Equal(1, pinned[i].PinCount);
                Assert.Equal(2, pinned[i].RefCount); // the mapping + the FOLL_GET of get_user_pages, not the pin
            }

            Gup.UnpinUserPages(pinned, 2);
            foreach (var p in got)
            {
                Gup.PutPage(p);
            }

            Assert.All(pinned, p => Assert.Equal(0, p.PinCount));
            Assert.All(pinned, p => Assert.Equal(1, p.RefCount));
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule25_LongtermIsAcceptedOnlyWhenPinning()
    {
        var mm = AnonMm(1, out _);
        Populate(mm, 0, 1);
        RunTask("longterm", mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            Assert.Equal(-Errno.EINVAL, Gup.GetUserPages(mm, Base, 1, FollFlags.Longterm, pages));
            Assert.Null(pages[0]);
            Assert.Equal(1, Gup.PinUserPages(mm, Base, 1, FollFlags.Longterm | FollFlags.Write, pages));
            mm.MmapReadUnlock();
            Assert.Equal(1, pages[0].PinCount);
            Gup.UnpinUserPage(pages[0]);
        });
    }

    [Fact]
    public void Rule25_PinUnlockedWaitsForTheUserfaultLikeGetUnlocked()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        long result = 0;
        int pinCount = -1;
        var task = KernelTask.Start("pinner", mm, () =>
        {
            var pages = new Page[1];
            result = Gup.PinUserPagesUnlocked(mm, Base, 1, FollFlags.Write | FollFlags.Longterm, pages);
            if (result == 1)
            {
                pinCount = pages[0].PinCount;
                Gup.UnpinUserPage(pages[0]);
            }
        });
        Assert.Equal(UffdEvent.Pagefault, ReadFault(uffd).Event);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(7)));
        JoinOrFail(task);
        Assert.Equal(1, result);
        Assert.Equal(1, pinCount);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule26_PinnedPagesAreReleasedOnlyByUnpinning()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        Populate(mm, 0, 1);
        RunTask("pin", mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            Assert.Equal(1, Gup.PinUserPages(mm, Base, 1, FollFlags.Write, pages));
            mm.MmapReadUnlock();
            var page = pages[0];

            Gup.PutPage(page); // the wrong release: reported, and the pin stays
            Assert.Equal(1, page.PinCount);
            Assert.Equal(1, page.RefCount);

            Gup.UnpinUserPage(page);
            Assert.Equal(0, page.PinCount);
        });
        Assert.Equal(new[] { "FL4006" }, WarningIds());
        Assert.Contains("unpin_user_page", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Rule26_ReferencedPagesAreReleasedByPutPageNotByUnpinning()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        Populate(mm, 0, 1);
        RunTask("get", mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            Assert.Equal(1, Gup.GetUserPages(mm, Base, 1, FollFlags.Write, pages));
            mm.MmapReadUnlock();
            var page = pages[0];

            Gup.UnpinUserPage(page); // the wrong release: reported, and the reference stays
            Assert.Equal(2, page.RefCount);
            Assert.Equal(0, page.PinCount);

            Gup.PutPage(page);
            Assert.Equal(1, page.RefCount);
        });
        Assert.Equal(new[] { "FL4006" }, WarningIds());
    }

    [Fact]
    public void Rule26_UnpinningTwiceIsReportedAndChangesNothing()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        Populate(mm, 0, 1);
        RunTask("pin", mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            Assert.Equal(1, Gup.PinUserPages(mm, Base, 1, FollFlags.None, pages));
            mm.MmapReadUnlock();
            Gup.UnpinUserPage(pages[0]);
            Gup.UnpinUserPage(pages[0]);
            Assert.Equal(0, pages[0].PinCount);
        });
        Assert.Equal(new[] { "FL4006" }, WarningIds());
    }

    [Fact]
    public void Rule26_UnpinUserPagesWarnsOnAnErrnoCountAndSkipsNullEntries()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        Populate(mm, 0, 2);
        RunTask("pin", mm, () =>
        {
            var pages = new Page[3];
            mm.MmapReadLock();
            Assert.Equal(2, Gup.PinUserPages(mm, Base, 2, FollFlags.None, pages));
            mm.MmapReadUnlock();

            // A GUP error passed in as the count: WARN and unpin nothing.
            Gup.UnpinUserPages(pages, -Errno.EFAULT);
            Assert.All(pages.Take(2), p => Assert.Equal(1, p.PinCount));
            Assert.Equal(new[] { "FL4005" }, WarningIds());

            // A null entry in the counted range is skipped.
            var holey = new[] { pages[0], null!, pages[1] };
            Gup.UnpinUserPages(holey, 3);
            Assert.All(pages.Take(2), p => Assert.Equal(0, p.PinCount));
        });
        Assert.Equal(new[] { "FL4005" }, WarningIds());
    }

    [Fact]
    public void Rule26_APinHandedToAnotherTaskMayBeUnpinnedThere()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        Populate(mm, 0, 1);
        RunTask("pinner", mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            Assert.Equal(1, Gup.PinUserPages(mm, Base, 1, FollFlags.Write, pages));
            mm.MmapReadUnlock();

            // Like a DMA completion: the pin is dropped by whoever finishes with the page.
            var completer = KernelTask.Start("completer", null, () => Gup.UnpinUserPage(pages[0]));
            JoinOrFail(completer);
            Assert.Equal(0, pages[0].PinCount);
        });

        // Neither task is charged with a leaked pin at exit.
        Assert.Empty(KernelDebug.Warnings);
    }
}
