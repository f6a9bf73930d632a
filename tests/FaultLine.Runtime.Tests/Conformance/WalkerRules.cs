using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.Conformance.GupConformanceKit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>SEMANTICS.md rules 10-14: __get_user_pages, the inner walker.</summary>
public class WalkerRules
{
    [Fact]
    public void Rule10_ZeroPagesReturnsZeroAndTouchesNothing()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        long plain = -1, locked = -1, unlocked = -1, fast = -1;
        var stillLocked = false;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            plain = Gup.GetUserPages(mm, Base, 0, FollFlags.Write, pages);
            stillLocked = true;
            locked = Gup.GetUserPagesLocked(mm, 0xdead0000, 0, FollFlags.None, pages, ref stillLocked);
            mm.MmapReadUnlock();
            unlocked = Gup.GetUserPagesUnlocked(mm, Base, 0, FollFlags.None, pages);
            fast = Gup.GetUserPagesFast(Base, 0, FollFlags.None, pages);
            Assert.Null(pages[0]);
        });
        Assert.Equal(0, plain);
        Assert.Equal(0, locked);
        Assert.Equal(0, unlocked);
        Assert.Equal(0, fast);
        Assert.True(stillLocked);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule10_NoPageTakenReturnsTheErrno()
    {
        var mm = AnonMm(1, out _);
        long got = 0;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, PageAddress(5), 1, FollFlags.None, pages);
            mm.MmapReadUnlock();
            Assert.Null(pages[0]);
        });
        Assert.Equal(-Errno.EFAULT, got);
    }

    [Fact]
    public void Rule10_AnErrorAfterProgressIsLostAndTheShortCountComesBack()
    {
        var mm = AnonMm(2, out _);
        long got = 0;
        int[] refs = [];
        Page?[] taken = [];
        Run(mm, () =>
        {
            var pages = new Page[4];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 4, FollFlags.Write, pages);
            mm.MmapReadUnlock();
            taken = pages.ToArray();
            refs = pages.Take(2).Select(p => p.RefCount).ToArray();
            PutPages(pages, got);
        });
        Assert.Equal(2, got);
        Assert.Equal(new[] { 2, 2 }, refs);
        Assert.Null(taken[2]);
        Assert.Null(taken[3]);
    }

    [Fact]
    public void Rule10_AFaultThatNeedsARetryEndsTheWalkWithTheCountSoFar()
    {
        // Under FOLL_NOWAIT the userfault returns Retry with the lock held: -EBUSY becomes ret = 0.
        var mm = UffdMm(2, out var uffd);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(1)));
        long fromMissing = -1, fromPresent = -1;
        Run(mm, () =>
        {
            var pages = new Page[2];
            mm.MmapReadLock();
            fromMissing = Gup.GetUserPages(mm, PageAddress(1), 1, FollFlags.Nowait, pages);
            fromPresent = Gup.GetUserPages(mm, Base, 2, FollFlags.Nowait, pages);
            mm.MmapReadUnlock();
            PutPages(pages, fromPresent);
        });
        Assert.Equal(0, fromMissing);
        Assert.Equal(1, fromPresent);
        Assert.False(uffd.TryRead(out _));
    }

    [Fact]
    public void Rule11_SigkillPendingGivesEintrWithoutInterruptibleOrUnlockable()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        long plain = 0, pinned = 0;
        Run(mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            var pages = new Page[1];
            mm.MmapReadLock();
            plain = Gup.GetUserPages(mm, Base, 1, FollFlags.None, pages);
            pinned = Gup.PinUserPages(mm, Base, 1, FollFlags.None, pages);
            mm.MmapReadUnlock();
            Assert.Null(pages[0]);
        });
        Assert.Equal(-Errno.EINTR, plain);
        Assert.Equal(-Errno.EINTR, pinned);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule11_SigkillIsCheckedBeforeEveryPageIncludingAfterAFault()
    {
        // Page 1's fault delivers SIGKILL: the walker faults the page in but does not take it.
        var ops = new ScriptedOps((vmf, _) =>
        {
            if (vmf.Pgoff == 1)
            {
                KernelTask.Current.SendSignal(Signal.SIGKILL);
            }

            return ScriptedOps.Fill(vmf);
        });
        var mm = OpsMm(3, ops);
        long got = 0;
        Page?[] taken = [];
        Run(mm, () =>
        {
            var pages = new Page[3];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 3, FollFlags.None, pages);
            mm.MmapReadUnlock();
            taken = pages.ToArray();
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        Assert.Null(taken[1]);
        Assert.Equal(new ulong[] { 0, 1 }, ops.Calls.Select(c => c.Pgoff));
    }

    [Fact]
    public void Rule11_ANonFatalSignalDoesNotStopTheWalkEvenWithInterruptible()
    {
        var mm = AnonMm(3, out _);
        long plain = 0, locked = 0;
        Run(mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            var pages = new Page[3];
            mm.MmapReadLock();
            plain = Gup.GetUserPages(mm, Base, 3, FollFlags.Interruptible, pages);
            PutPages(pages, plain);
            var stillLocked = true;
            locked = Gup.GetUserPagesLocked(mm, Base, 3, FollFlags.Interruptible, pages, ref stillLocked);
            Assert.True(stillLocked);
            mm.MmapReadUnlock();
            PutPages(pages, locked);
        });
        Assert.Equal(3, plain);
        Assert.Equal(3, locked);
    }

    [Fact]
    public void Rule12_NoVmaGivesEfault()
    {
        var mm = AnonMm(1, out _);
        long above = 0, below = 0;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            above = Gup.GetUserPages(mm, PageAddress(100), 1, FollFlags.None, new Page[1]);
            below = Gup.GetUserPages(mm, Base - Page.Size, 1, FollFlags.None, new Page[1]);
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EFAULT, above);
        Assert.Equal(-Errno.EFAULT, below);
    }

    [Fact]
    public void Rule12_AnAddressJustBelowAVmaIsEfaultAndTheVmaDoesNotGrow()
    {
        var mm = new MmStruct();
        mm.Mmap(PageAddress(4), 2 * Page.Size, VmFlags.Read | VmFlags.Write, null);
        long got = 0;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, PageAddress(3), 1, FollFlags.Write, new Page[1]);
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EFAULT, got);
        var vma = Assert.Single(mm.Vmas);
        Assert.Equal(PageAddress(4), vma.Start);
    }

    [Fact]
    public void Rule12_TheWalkLooksUpTheNextVmaAtEachBoundary()
    {
        var ops = new ScriptedOps();
        var mm = new MmStruct();
        mm.Mmap(Base, 2 * Page.Size, VmFlags.Read | VmFlags.Write, null);
        mm.Mmap(PageAddress(2), 2 * Page.Size, VmFlags.Read | VmFlags.Write, ops);
        long got = 0;
        Run(mm, () =>
        {
            var pages = new Page[4];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 4, FollFlags.Write, pages);
            mm.MmapReadUnlock();
            PutPages(pages, got);
        });
        Assert.Equal(4, got);
        Assert.Equal(new ulong[] { 0, 1 }, ops.Calls.Select(c => c.Pgoff));
    }

    [Theory]
    [InlineData(VmFlags.Read | VmFlags.Write | VmFlags.Io)]
    [InlineData(VmFlags.Read | VmFlags.Write | VmFlags.Pfnmap)]
    public void Rule13_IoOrPfnmapVmaGivesEfault(VmFlags flags)
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops, flags);
        long withPages = 0, withoutPages = 0;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            withPages = Gup.GetUserPages(mm, Base, 1, FollFlags.None, new Page[1]);
            withoutPages = Gup.GetUserPages(mm, Base, 1, FollFlags.None, null);
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EFAULT, withPages);
        Assert.Equal(-Errno.EFAULT, withoutPages);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule13_AnonOnAFileMappingGivesEfault()
    {
        var ops = new ScriptedOps();
        var fileMm = OpsMm(1, ops);
        var anonMm = AnonMm(1, out _);
        long onFile = 0, onAnon = 0;
        Run(fileMm, () =>
        {
            fileMm.MmapReadLock();
            onFile = Gup.GetUserPages(fileMm, Base, 1, FollFlags.Anon, new Page[1]);
            fileMm.MmapReadUnlock();
        });
        Run(anonMm, () =>
        {
            var pages = new Page[1];
            anonMm.MmapReadLock();
            onAnon = Gup.GetUserPages(anonMm, Base, 1, FollFlags.Anon, pages);
            anonMm.MmapReadUnlock();
            PutPages(pages, onAnon);
        });
        Assert.Equal(-Errno.EFAULT, onFile);
        Assert.Equal(1, onAnon);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule13_WriteToAReadOnlyVmaNeedsForceAndACowMapping()
    {
        var priv = new MmStruct();
        priv.Mmap(Base, Page.Size, VmFlags.Read, null);
        var shared = new MmStruct();
        shared.Mmap(Base, Page.Size, VmFlags.Read | VmFlags.Shared, null);
        long write = 0, forced = 0, forcedShared = 0;
        Run(priv, () =>
        {
            var pages = new Page[1];
            priv.MmapReadLock();
            write = Gup.GetUserPages(priv, Base, 1, FollFlags.Write, pages);
            forced = Gup.GetUserPages(priv, Base, 1, FollFlags.Write | FollFlags.Force, pages);
            priv.MmapReadUnlock();
            PutPages(pages, forced);
        });
        Run(shared, () =>
        {
            shared.MmapReadLock();
            forcedShared = Gup.GetUserPages(shared, Base, 1, FollFlags.Write | FollFlags.Force, new Page[1]);
            shared.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EFAULT, write);
        Assert.Equal(1, forced);
        Assert.Equal(-Errno.EFAULT, forcedShared);
    }

    [Fact]
    public void Rule13_ReadOfANonReadableVmaNeedsForce()
    {
        var mm = new MmStruct();
        mm.Mmap(Base, Page.Size, VmFlags.Write, null);
        long read = 0, forced = 0;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            read = Gup.GetUserPages(mm, Base, 1, FollFlags.None, pages);
            forced = Gup.GetUserPages(mm, Base, 1, FollFlags.Force, pages);
            mm.MmapReadUnlock();
            PutPages(pages, forced);
        });
        Assert.Equal(-Errno.EFAULT, read);
        Assert.Equal(1, forced);
    }

    [Fact]
    public void Rule14_TheWalkerStopsAsSoonAsTheLockIsDropped()
    {
        // Every page blocks once. Were the walker to go on after a Retry, it would fault the next page
        // without the lock (a KernelBugException from handle_mm_fault); instead each page is retried alone.
        var ops = new ScriptedOps((vmf, _) => ScriptedOps.PoliteRetry(vmf));
        var mm = OpsMm(3, ops);
        long got = 0;
        var locked = true;
        Run(mm, () =>
        {
            var pages = new Page[3];
            mm.MmapReadLock();
            got = Gup.GetUserPagesLocked(mm, Base, 3, FollFlags.None, pages, ref locked);
            if (locked)
            {
                mm.MmapReadUnlock();
            }

            PutPages(pages, got);
        });
        Assert.Equal(3, got);
        Assert.False(locked);
        var calls = ops.Calls;
        Assert.Equal(new ulong[] { 0, 0, 1, 1, 2, 2 }, calls.Select(c => c.Pgoff));
        Assert.All(calls, c => Assert.True(c.LockHeld));
        Assert.Equal(new[] { false, true, false, true, false, true }, calls.Select(c => c.Has(FaultFlags.Tried)));
    }

    [Fact]
    public void Rule14_AfterTheLockIsDroppedTheWalkerReturnsThePagesTakenBeforeIt()
    {
        // Pages 0-1 present, page 2 blocks: the first pass returns 2, the retry takes page 2.
        var ops = new ScriptedOps((vmf, _) => (vmf.Flags & FaultFlags.AllowRetry) == 0 ? ScriptedOps.Fill(vmf) : ScriptedOps.PoliteRetry(vmf));
        var mm = OpsMm(3, ops);
        Populate(mm, 0, 2);
        ops.ClearCalls();
        long got = 0;
        var locked = true;
        Page?[] taken = [];
        Run(mm, () =>
        {
            var pages = new Page[3];
            mm.MmapReadLock();
            got = Gup.GetUserPagesLocked(mm, Base, 3, FollFlags.None, pages, ref locked);
            if (locked)
            {
                mm.MmapReadUnlock();
            }

            taken = pages.ToArray();
            PutPages(pages, got);
        });
        Assert.Equal(3, got);
        Assert.False(locked);
        Assert.All(taken, Assert.NotNull);
        Assert.Equal(new ulong[] { 2, 2 }, ops.Calls.Select(c => c.Pgoff));
    }
}
