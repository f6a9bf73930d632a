using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.Conformance.GupConformanceKit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>SEMANTICS.md rules 8-9: faultin_page, the FOLL → FAULT mapping and what each fault result does.</summary>
public class FaultinPageRules
{
    private const FaultFlags RetryFlags = FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible
        | FaultFlags.RetryNowait | FaultFlags.Tried;

    /// <summary>Runs one GUP form on a fresh one-page ops mapping in a task of that mm and returns the flags its fault saw.</summary>
    private static FaultFlags FlagsSeenBy(Func<MmStruct, Page[], long> gup, bool ownMm = true)
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        long got = 0;
        Run(ownMm ? mm : null, () =>
        {
            var pages = new Page[1];
            got = gup(mm, pages);
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        return Assert.Single(ops.Calls).Flags;
    }

    private static long Plain(MmStruct mm, Page[] pages, FollFlags flags)
    {
        mm.MmapReadLock();
        var got = Gup.GetUserPages(mm, Base, 1, flags, pages);
        mm.MmapReadUnlock();
        return got;
    }

    private static long Locked(MmStruct mm, Page[] pages, FollFlags flags)
    {
        mm.MmapReadLock();
        var locked = true;
        var got = Gup.GetUserPagesLocked(mm, Base, 1, flags, pages, ref locked);
        if (locked)
        {
            mm.MmapReadUnlock();
        }

        return got;
    }

    [Fact]
    public void Rule08_NofaultReturnsEfaultWithoutFaulting()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(2, ops);
        Populate(mm, 0, 1);
        ops.ClearCalls();
        long missing = 0, present = 0;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            missing = Gup.GetUserPages(mm, PageAddress(1), 1, FollFlags.Nofault, pages);
            mm.MmapReadUnlock();
            Assert.Null(pages[0]);
            var unlocked = Gup.GetUserPagesUnlocked(mm, PageAddress(1), 1, FollFlags.Nofault, pages);
            Assert.Equal(-Errno.EFAULT, unlocked);
            mm.MmapReadLock();
            present = Gup.GetUserPages(mm, Base, 1, FollFlags.Nofault, pages);
            mm.MmapReadUnlock();
            PutPages(pages, present);
        });
        Assert.Equal(-Errno.EFAULT, missing);
        Assert.Equal(1, present);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule08_WriteBecomesFaultFlagWrite()
    {
        Assert.True((FlagsSeenBy((mm, p) => Plain(mm, p, FollFlags.Write)) & FaultFlags.Write) != 0);
        Assert.True((FlagsSeenBy((mm, p) => Plain(mm, p, FollFlags.None)) & FaultFlags.Write) == 0);
    }

    [Fact]
    public void Rule08_RemoteBecomesFaultFlagRemote()
    {
        // GUP on an mm that is not the calling task's is get_user_pages_remote: FOLL_REMOTE → FAULT_FLAG_REMOTE.
        Assert.True((FlagsSeenBy((mm, p) => Plain(mm, p, FollFlags.None), ownMm: false) & FaultFlags.Remote) != 0);
        Assert.True((FlagsSeenBy((mm, p) => Locked(mm, p, FollFlags.None), ownMm: false) & FaultFlags.Remote) != 0);
        Assert.True((FlagsSeenBy((mm, p) => Plain(mm, p, FollFlags.None)) & FaultFlags.Remote) == 0);
        Assert.True((FlagsSeenBy((mm, p) => Locked(mm, p, FollFlags.None)) & FaultFlags.Remote) == 0);
    }

    [Fact]
    public void Rule08_InterruptibleWithoutUnlockableHasNoEffectOnTheFaultFlags()
    {
        var seen = FlagsSeenBy((mm, p) => Plain(mm, p, FollFlags.Interruptible));
        Assert.Equal(FaultFlags.None, seen & RetryFlags);
    }

    [Fact]
    public void Rule08_UnlockableAddsAllowRetryAndKillableAndInterruptibleOnlyOnRequest()
    {
        Assert.Equal(FaultFlags.AllowRetry | FaultFlags.Killable, FlagsSeenBy((mm, p) => Locked(mm, p, FollFlags.None)) & RetryFlags);
        Assert.Equal(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible,
            FlagsSeenBy((mm, p) => Locked(mm, p, FollFlags.Interruptible)) & RetryFlags);
        Assert.Equal(FaultFlags.AllowRetry | FaultFlags.Killable,
            FlagsSeenBy((mm, p) => Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.None, p)) & RetryFlags);
        Assert.Equal(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible,
            FlagsSeenBy((mm, p) => Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Interruptible, p)) & RetryFlags);
    }

    [Fact]
    public void Rule08_NowaitAddsAllowRetryAndRetryNowait()
    {
        Assert.Equal(FaultFlags.AllowRetry | FaultFlags.RetryNowait, FlagsSeenBy((mm, p) => Plain(mm, p, FollFlags.Nowait)) & RetryFlags);
        Assert.Equal(FaultFlags.AllowRetry | FaultFlags.RetryNowait | FaultFlags.Killable,
            FlagsSeenBy((mm, p) => Locked(mm, p, FollFlags.Nowait)) & RetryFlags);
    }

    [Fact]
    public void Rule08_TriedBecomesFaultFlagTriedTogetherWithAllowRetry()
    {
        var ops = new ScriptedOps((vmf, _) => ScriptedOps.PoliteRetry(vmf));
        var mm = OpsMm(1, ops);
        long got = 0;
        Run(mm, () =>
        {
            var pages = new Page[1];
            got = Locked(mm, pages, FollFlags.Write);
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        Assert.Equal(2, ops.Calls.Count);
        Assert.Equal(FaultFlags.Write | FaultFlags.AllowRetry | FaultFlags.Killable, ops.Calls[0].Flags);
        Assert.Equal(FaultFlags.Write | FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Tried, ops.Calls[1].Flags);
    }

    [Fact]
    public void Rule09_CompletedClearsLockedAndTheRetryFindsThePage()
    {
        ResetWarnings();
        var mine = new Page();
        var ops = new ScriptedOps((vmf, _) =>
        {
            // The handler finished the fault itself and released the lock along the way.
            vmf.InsertPage(mine);
            var mm = vmf.Vma.Mm;
            mm.MmapReadUnlock();
            return VmFaultResult.Completed;
        });
        var mm = OpsMm(1, ops);
        long got = 0;
        bool locked = true, held = true;
        Page? seen = null;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.None, pages, ref locked);
            held = mm.MmapLock.IsHeldByCurrent;
            if (locked)
            {
                mm.MmapReadUnlock();
            }

            seen = pages[0];
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        Assert.False(locked);
        Assert.False(held);
        Assert.Same(mine, seen);
        Assert.Single(ops.Calls);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule09_CompletedUnderRetryNowaitIsWarned()
    {
        ResetWarnings();
        var ops = new ScriptedOps((vmf, _) =>
        {
            vmf.InsertPage(new Page());
            var mm = vmf.Vma.Mm;
            mm.MmapReadUnlock();
            return VmFaultResult.Completed;
        });
        var mm = OpsMm(1, ops);
        long got = -1;
        var held = true;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 1, FollFlags.Nowait, null);
            held = mm.MmapLock.IsHeldByCurrent;
            if (held)
            {
                mm.MmapReadUnlock();
            }
        });
        Assert.True(Assert.Single(ops.Calls).Has(FaultFlags.RetryNowait));
        Assert.Equal(0, got);
        Assert.False(held);
        Assert.Contains(KernelDebug.Warnings, w => w.RuleId is null && w.Message.Contains("COMPLETED", StringComparison.Ordinal));
    }

    public static TheoryData<VmFaultResult, FollFlags, int> ErrorResults() => new()
    {
        { VmFaultResult.Oom, FollFlags.None, -Errno.ENOMEM },
        { VmFaultResult.Sigbus, FollFlags.None, -Errno.EFAULT },
        { VmFaultResult.Sigsegv, FollFlags.None, -Errno.EFAULT },
        { VmFaultResult.Hwpoison, FollFlags.None, -Errno.EFAULT },
        { VmFaultResult.Hwpoison, FollFlags.Hwpoison, -Errno.EHWPOISON },
        { VmFaultResult.HwpoisonLarge, FollFlags.Hwpoison, -Errno.EHWPOISON },
    };

    [Theory]
    [MemberData(nameof(ErrorResults))]
    public void Rule09_AnErrorResultBecomesItsErrno(VmFaultResult result, FollFlags foll, int errno)
    {
        var ops = new ScriptedOps((_, _) => result);
        var mm = OpsMm(1, ops);
        long plain = 0, locked = 0;
        bool stillLocked = false, held = false;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            plain = Gup.GetUserPages(mm, Base, 1, foll, pages);
            stillLocked = true;
            locked = Gup.GetUserPagesLocked(mm, Base, 1, foll, pages, ref stillLocked);
            held = mm.MmapLock.IsHeldByCurrent;
            if (stillLocked)
            {
                mm.MmapReadUnlock();
            }

            Assert.Null(pages[0]);
        });
        Assert.Equal(errno, plain);
        Assert.Equal(errno, locked);
        Assert.True(stillLocked);
        Assert.True(held);
    }

    [Fact]
    public void Rule09_RetryWithoutNowaitClearsLocked()
    {
        var ops = new ScriptedOps((vmf, _) => ScriptedOps.PoliteRetry(vmf));
        var mm = OpsMm(1, ops);
        long got = 0;
        bool locked = true, held = true;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.None, pages, ref locked);
            held = mm.MmapLock.IsHeldByCurrent;
            if (locked)
            {
                mm.MmapReadUnlock();
            }

            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        Assert.False(locked);
        Assert.False(held);
    }

    [Fact]
    public void Rule09_RetryUnderRetryNowaitKeepsTheLockAndLocked()
    {
        ResetWarnings();
        var ops = new ScriptedOps((vmf, _) => ScriptedOps.PoliteRetry(vmf));
        var mm = OpsMm(2, ops);
        Populate(mm, 0, 1);
        ops.ClearCalls();
        long none = -1, some = -1;
        bool lockedNone = false, lockedSome = false, heldNone = false, heldSome = false;
        Run(mm, () =>
        {
            var pages = new Page[2];
            mm.MmapReadLock();
            lockedNone = true;
            none = Gup.GetUserPagesLocked(mm, PageAddress(1), 1, FollFlags.Nowait, pages, ref lockedNone);
            heldNone = mm.MmapLock.IsHeldByCurrent;
            lockedSome = true;
            some = Gup.GetUserPagesLocked(mm, Base, 2, FollFlags.Nowait, pages, ref lockedSome);
            heldSome = mm.MmapLock.IsHeldByCurrent;
            mm.MmapReadUnlock();
            PutPages(pages, some);
        });
        Assert.Equal(0, none);
        Assert.Equal(1, some);
        Assert.True(lockedNone && heldNone);
        Assert.True(lockedSome && heldSome);
        Assert.All(ops.Calls, c => Assert.True(c.Has(FaultFlags.AllowRetry | FaultFlags.RetryNowait)));
        Assert.Equal(2, ops.Calls.Count);
        Assert.Empty(KernelDebug.Warnings);
    }
}
