using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.Conformance.GupConformanceKit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>SEMANTICS.md rules 21-24: the contracts of get_user_pages, _remote, _unlocked and _fast.</summary>
public class PublicApiRules
{
    [Fact]
    public void Rule21_GetUserPagesNeverReleasesTheCallersLock()
    {
        var uffdMm = UffdMm(1, out _);
        var anonMm = AnonMm(2, out _);
        bool heldAfterUffd = false, heldAfterAnon = false;
        long uffdResult = 0, anonResult = 0;
        Run(uffdMm, () =>
        {
            uffdMm.MmapReadLock();
            uffdResult = Gup.GetUserPages(uffdMm, Base, 1, FollFlags.Write | FollFlags.Interruptible, new Page[1]);
            heldAfterUffd = uffdMm.MmapLock.IsHeldByCurrent;
            uffdMm.MmapReadUnlock();
        });
        Run(anonMm, () =>
        {
            var pages = new Page[2];
            anonMm.MmapReadLock();
            anonResult = Gup.GetUserPages(anonMm, Base, 2, FollFlags.Write, pages);
            heldAfterAnon = anonMm.MmapLock.IsHeldByCurrent;
            anonMm.MmapReadUnlock();
            PutPages(pages, anonResult);
        });
        Assert.Equal(-Errno.EFAULT, uffdResult);
        Assert.True(heldAfterUffd);
        Assert.Equal(2, anonResult);
        Assert.True(heldAfterAnon);
    }

    [Fact]
    public void Rule21_GetUserPagesTakesAReferenceOnlyWhenGivenAPagesArray()
    {
        var mm = AnonMm(1, out _);
        long withArray = 0, withoutArray = 0;
        int refWhileHeld = 0, refAfterPut = 0;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            withoutArray = Gup.GetUserPages(mm, Base, 1, FollFlags.Write, null);
            var pages = new Page[1];
            withArray = Gup.GetUserPages(mm, Base, 1, FollFlags.Write, pages);
            mm.MmapReadUnlock();

            // The mapping's reference plus the one FOLL_GET reference of the call that had an array.
            refWhileHeld = pages[0].RefCount;
            Gup.PutPage(pages[0]);
            refAfterPut = pages[0].RefCount;
        });
        Assert.Equal(1, withoutArray);
        Assert.Equal(1, withArray);
        Assert.Equal(2, refWhileHeld);
        Assert.Equal(1, refAfterPut);
    }

    [Fact]
    public void Rule21_GetUserPagesRejectsBadArgumentsWithEinval()
    {
        var mm = AnonMm(2, out _);
        long negative = 0, shortArray = 0, longterm = 0;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            negative = Gup.GetUserPages(mm, Base, -1, FollFlags.None, new Page[1]);
            shortArray = Gup.GetUserPages(mm, Base, 2, FollFlags.None, new Page[1]);
            longterm = Gup.GetUserPages(mm, Base, 1, FollFlags.Longterm, new Page[1]);
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EINVAL, negative);
        Assert.Equal(-Errno.EINVAL, shortArray);
        Assert.Equal(-Errno.EINVAL, longterm);
    }

    [Fact]
    public void Rule22_RemoteGupWithoutLockedMayHoldTheLockForWriteAndKeepsIt()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(2, ops);
        long got = 0;
        var writeHeld = false;
        Run(null, () =>
        {
            var pages = new Page[2];
            mm.MmapWriteLock();
            got = Gup.GetUserPages(mm, Base, 2, FollFlags.Write, pages);
            writeHeld = mm.MmapLock.IsWriteHeldByCurrent;
            mm.MmapWriteUnlock();
            PutPages(pages, got);
        }, "remote");
        Assert.Equal(2, got);
        Assert.True(writeHeld);
        Assert.All(ops.Calls, c => Assert.True(c.Has(FaultFlags.Remote)));
        Assert.All(ops.Calls, c => Assert.False(c.Has(FaultFlags.AllowRetry)));
    }

    [Fact]
    public void Rule22_RemoteGupWithLockedIsUnlockableAndMayReturnWithTheLockReleased()
    {
        var ops = new ScriptedOps((vmf, _) => ScriptedOps.PoliteRetry(vmf));
        var mm = OpsMm(1, ops);
        var other = AnonMm(1, out _);
        long got = 0;
        bool locked = true, held = true;
        Run(other, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Write, pages, ref locked);
            held = mm.MmapLock.IsHeldByCurrent;
            if (locked)
            {
                mm.MmapReadUnlock();
            }

            PutPages(pages, got);
        }, "remote");
        Assert.Equal(1, got);
        Assert.False(locked);
        Assert.False(held);
        Assert.Equal(2, ops.Calls.Count);
        Assert.All(ops.Calls, c => Assert.True(c.Has(FaultFlags.Remote | FaultFlags.AllowRetry | FaultFlags.Killable)));
    }

    [Fact]
    public void Rule22_RemoteGupWithLockedRejectsBadArgumentsWithEinvalAndKeepsTheLock()
    {
        var mm = AnonMm(1, out _);
        long got = 0;
        bool locked = true, held = false;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            got = Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Unlockable, new Page[1], ref locked);
            held = mm.MmapLock.IsHeldByCurrent;
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EINVAL, got);
        Assert.True(locked);
        Assert.True(held);
    }

    [Fact]
    public void Rule23_UnlockedReturnsEagainWhenItsFirstKillableLockFails()
    {
        // SIGKILL is pending before the call and the lock is contended, so mmap_read_lock_killable fails.
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        var writer = WriterTask.Start(mm);
        long got = 0;
        var held = true;
        Page? taken = null;
        var gup = KernelTask.Start("gup", mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages);
            held = mm.MmapLock.IsHeldByCurrent;
            taken = pages[0];
        });
        JoinOrFail(gup);
        writer.Release();
        Assert.Equal(-Errno.EAGAIN, got);
        Assert.False(held);
        Assert.Null(taken);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule23_UnlockedWithAFreeLockAndSigkillPendingReturnsEintrFromTheWalker()
    {
        // The rwsem fast path takes a free lock even with SIGKILL pending; the walker's check then stops.
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        long got = 0;
        var held = true;
        Run(mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, new Page[1]);
            held = mm.MmapLock.IsHeldByCurrent;
        });
        Assert.Equal(-Errno.EINTR, got);
        Assert.False(held);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule23_UnlockedCallerMustNotHoldTheLock()
    {
        var mm = AnonMm(1, out _);
        KernelBugException? bug = null;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            bug = Assert.Throws<KernelBugException>(() => Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.None, new Page[1]));
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Contains("must not hold the mmap lock", bug!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rule23_UnlockedWithNowaitReturnsZeroWithoutWaitingAndDropsItsLock()
    {
        var mm = UffdMm(1, out var uffd);
        var injection = new FaultInjection(23) { SignalRate = 1.0 };
        long got = -1;
        var held = true;
        using (injection.Install())
        {
            Run(mm, () =>
            {
                got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Nowait, new Page[1]);
                held = mm.MmapLock.IsHeldByCurrent;
            }, "nowait");
        }

        Assert.Equal(0, got);
        Assert.False(held);
        Assert.False(uffd.TryRead(out _));

        // Every sleep point would have delivered a signal: none was reached.
        Assert.Empty(injection.EventsOf("nowait"));
    }

    public static TheoryData<bool, FollFlags> RejectedFastFlags() => new()
    {
        { false, FollFlags.Interruptible },
        { false, FollFlags.Nowait },
        { true, FollFlags.Interruptible },
        { true, FollFlags.Nowait },
    };

    [Theory]
    [MemberData(nameof(RejectedFastFlags))]
    public void Rule24_FastFormsRejectInterruptibleAndNowaitWithEinvalAndFl1009(bool pin, FollFlags flag)
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        Populate(mm, 0, 1);
        long got = 0;
        Page? taken = null;
        Run(mm, () =>
        {
            var pages = new Page[1];
            got = pin ? Gup.PinUserPagesFast(Base, 1, flag | FollFlags.Write, pages) : Gup.GetUserPagesFast(Base, 1, flag | FollFlags.Write, pages);
            taken = pages[0];
        });
        Assert.Equal(-Errno.EINVAL, got);
        Assert.Null(taken);
        Assert.Contains(KernelDebug.Warnings, w => w.RuleId == "FL1009");
    }

    [Theory]
    [InlineData(FollFlags.Dump)]
    [InlineData(FollFlags.Hwpoison)]
    [InlineData(FollFlags.Anon)]
    public void Rule24_FastFormsRejectAnyFlagOutsideTheFastSet(FollFlags flag)
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        long got = 0;
        Run(mm, () => got = Gup.GetUserPagesFast(Base, 1, flag, new Page[1]));
        Assert.Equal(-Errno.EINVAL, got);
        Assert.NotEmpty(KernelDebug.Warnings);
        Assert.DoesNotContain("FL1009", WarningIds());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rule24_FastFormsReturnTheFastCountWhenTheSlowPathFails(bool pin)
    {
        // Page 0 is present (taken locklessly); page 1 has no VMA, so the slow path fails with -EFAULT.
        var mm = AnonMm(1, out _);
        Populate(mm, 0, 1);
        long got = 0;
        Page?[] taken = [];
        int held = 0;
        Run(mm, () =>
        {
            var pages = new Page[2];
            got = pin ? Gup.PinUserPagesFast(Base, 2, FollFlags.Write, pages) : Gup.GetUserPagesFast(Base, 2, FollFlags.Write, pages);
            taken = pages.ToArray();
            held = pin ? pages[0].PinCount : pages[0].RefCount - 1;
            if (pin)
            {
                Gup.UnpinUserPages(pages, got);
            }
            else
            {
                PutPages(pages, got);
            }
        });
        Assert.Equal(1, got);
        Assert.Equal(1, held);
        Assert.Null(taken[1]);
    }

    [Fact]
    public void Rule24_FastCountWinsOverASigkillInTheSlowPath()
    {
        var mm = AnonMm(3, out _);
        Populate(mm, 0, 1);
        long got = 0;
        Run(mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            var pages = new Page[3];
            got = Gup.GetUserPagesFast(Base, 3, FollFlags.Write, pages);
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
    }

    [Fact]
    public void Rule24_FastFormsReturnFastPlusSlow()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(3, ops);
        Populate(mm, 0, 1);
        ops.ClearCalls();
        long got = 0;
        Run(mm, () =>
        {
            var pages = new Page[3];
            got = Gup.PinUserPagesFast(Base, 3, FollFlags.Write, pages);
            Assert.All(pages, p => Assert.Equal(1, p.PinCount));
            Gup.UnpinUserPages(pages, got);
        });
        Assert.Equal(3, got);

        // The slow path for the rest is the unlocked one: Unlockable, hence AllowRetry | Killable.
        Assert.Equal(new ulong[] { 1, 2 }, ops.Calls.Select(c => c.Pgoff));
        Assert.All(ops.Calls, c => Assert.True(c.Has(FaultFlags.AllowRetry | FaultFlags.Killable) && c.LockHeld));
    }

    [Fact]
    public void Rule24_TheFastSlowPathWaitsForAUserfault()
    {
        var mm = UffdMm(1, out var uffd);
        long got = 0;
        byte seen = 0;
        var gup = KernelTask.Start("gup", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesFast(Base, 1, FollFlags.Write, pages);
            seen = pages[0].Data[0];
            PutPages(pages, got);
        });
        AwaitFault(uffd);
        WaitUntilSleeping(gup, TaskState.Killable);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(0x24)));
        JoinOrFail(gup);
        Assert.Equal(1, got);
        Assert.Equal(0x24, seen);
    }

    [Fact]
    public void Rule24_FastFormsReportAnAddressOverflow()
    {
        var mm = AnonMm(1, out _);
        long got = 0;
        Run(mm, () => got = Gup.GetUserPagesFast(ulong.MaxValue & ~(ulong)(Page.Size - 1), 2, FollFlags.None, new Page[2]));
        Assert.Equal(-Errno.EOVERFLOW, got);
    }

    [Fact]
    public void Rule24_FastFormsMustNotBeCalledWithTheMmapLockHeld()
    {
        var mm = AnonMm(1, out _);
        KernelBugException? bug = null;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            bug = Assert.Throws<KernelBugException>(() => Gup.GetUserPagesFast(Base, 1, FollFlags.None, new Page[1]));
            mm.MmapReadUnlock();
        });
        Assert.Contains("mmap lock", bug!.Message, StringComparison.Ordinal);
    }
}
