using FaultLine;
using FaultLine.Runtime.Tests.Conformance;
using Xunit;
using static FaultLine.Runtime.Tests.Conformance.GupConformanceKit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.BadInput;

/// <summary>
/// Bad input to every GUP entry point: invalid arguments give the kernel's errno (-EINVAL; 0 for the
/// slow pin_user_pages forms, rule 25) and change nothing: no fault, no page referenced or pinned, the
/// mmap lock and <c>locked</c> as they were. Contract violations the kernel would BUG() on throw a
/// <see cref="KernelBugException"/> that names the contract, again with nothing changed.
/// </summary>
public class GupBadInputTests
{
    /// <summary>One invalid call: count, caller flags, and the pages array (null, or of some length).</summary>
    public sealed record BadCall(string What, long Nr, FollFlags Flags, int? ArrayLength)
    {
        public Page[]? NewArray() => ArrayLength is { } n ? new Page[n] : null;

        public override string ToString() => What;
    }

    private static readonly BadCall[] SlowGetCases =
    [
        new("negative count", -1, FollFlags.Write, 1),
        new("array shorter than the count", 2, FollFlags.Write, 1),
        new("internal FOLL_TOUCH", 1, FollFlags.Touch, 1),
        new("internal FOLL_PIN", 1, FollFlags.Pin, 1),
        new("internal FOLL_UNLOCKABLE", 1, FollFlags.Unlockable, 1),
        new("FOLL_LONGTERM without FOLL_PIN", 1, FollFlags.Longterm, 1),
        new("FOLL_GET without a pages array", 1, FollFlags.Get, null),
    ];

    private static readonly BadCall[] SlowPinCases =
    [
        new("negative count", -1, FollFlags.Write, 1),
        new("array shorter than the count", 2, FollFlags.Write, 1),
        new("internal FOLL_TOUCH", 1, FollFlags.Touch, 1),
        new("internal FOLL_REMOTE", 1, FollFlags.Remote, 1),
        new("FOLL_GET with FOLL_PIN", 1, FollFlags.Get, 1),
        new("no pages array", 1, FollFlags.Write, null),
    ];

    private static readonly BadCall[] FastGetCases =
    [
        new("negative count", -1, FollFlags.Write, 1),
        new("array shorter than the count", 2, FollFlags.Write, 1),
        new("internal FOLL_FAST_ONLY", 1, FollFlags.FastOnly, 1),
        new("FOLL_LONGTERM without FOLL_PIN", 1, FollFlags.Longterm, 1),
        new("FOLL_INTERRUPTIBLE", 1, FollFlags.Interruptible, 1),
        new("FOLL_NOWAIT", 1, FollFlags.Nowait, 1),
        new("FOLL_DUMP", 1, FollFlags.Dump, 1),
    ];

    private static readonly BadCall[] FastPinCases =
    [
        new("negative count", -1, FollFlags.Write, 1),
        new("array shorter than the count", 2, FollFlags.Write, 1),
        new("internal FOLL_TRIED", 1, FollFlags.Tried, 1),
        new("FOLL_GET with FOLL_PIN", 1, FollFlags.Get, 1),
        new("FOLL_INTERRUPTIBLE", 1, FollFlags.Interruptible, 1),
        new("FOLL_NOWAIT", 1, FollFlags.Nowait, 1),
    ];

    /// <summary>A two-page ops mapping whose page 0 is present; the handler's calls are cleared.</summary>
    private static MmStruct Setup(out ScriptedOps ops, out Page present)
    {
        ops = new ScriptedOps();
        var mm = OpsMm(2, ops);
        Page? p = null;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            Assert.Equal(1, Gup.GetUserPages(mm, Base, 1, FollFlags.Write, pages));
            mm.MmapReadUnlock();
            p = pages[0];
            Gup.PutPage(pages[0]);
        }, "setup");
        ops.ClearCalls();
        present = p!;
        return mm;
    }

    private static void AssertNothingTaken(ScriptedOps ops, Page present, IEnumerable<Page[]?> arrays, string because)
    {
        Assert.True(ops.Calls.Count == 0, $"{because}: a fault was raised");
        Assert.True(present.RefCount == 1, $"{because}: the present page gained a reference ({present.RefCount})");
        Assert.True(present.PinCount == 0, $"{because}: the present page was pinned ({present.PinCount})");
        Assert.All(arrays, a => Assert.True(a is null || a.All(p => p is null), $"{because}: a page was stored"));
    }

    private static void CheckSlowLockedForm(BadCall[] cases, long expected, Func<MmStruct, ulong, BadCall, Page[]?, long> call)
    {
        var mm = Setup(out var ops, out var present);
        var arrays = new List<Page[]?>();
        var results = new List<(string, long, bool)>();
        Run(mm, () =>
        {
            mm.MmapReadLock();
            foreach (var c in cases)
            {
                foreach (var start in new[] { Base, PageAddress(1) })
                {
                    var pages = c.NewArray();
                    arrays.Add(pages);
                    var r = call(mm, start, c, pages);
                    results.Add(($"{c} at 0x{start:x}", r, mm.MmapLock.IsHeldByCurrent));
                }
            }

            mm.MmapReadUnlock();
        });
        Assert.All(results, r =>
        {
            Assert.True(r.Item2 == expected, $"{r.Item1}: returned {Errno.Name(r.Item2)}, expected {Errno.Name(expected)}");
            Assert.True(r.Item3, $"{r.Item1}: the caller's mmap lock was dropped");
        });
        AssertNothingTaken(ops, present, arrays, "bad arguments");
    }

    private static void CheckLockedForm(BadCall[] cases, long expected, LockedCall call)
    {
        var mm = Setup(out var ops, out var present);
        var arrays = new List<Page[]?>();
        var results = new List<(string, long, bool, bool)>();
        Run(mm, () =>
        {
            mm.MmapReadLock();
            foreach (var c in cases)
            {
                foreach (var start in new[] { Base, PageAddress(1) })
                {
                    var pages = c.NewArray();
                    arrays.Add(pages);
                    var locked = true;
                    var r = call(mm, start, c, pages, ref locked);
                    results.Add(($"{c} at 0x{start:x}", r, locked, mm.MmapLock.IsHeldByCurrent));
                }
            }

            mm.MmapReadUnlock();
        });
        Assert.All(results, r =>
        {
            Assert.True(r.Item2 == expected, $"{r.Item1}: returned {Errno.Name(r.Item2)}, expected {Errno.Name(expected)}");
            Assert.True(r.Item3 && r.Item4, $"{r.Item1}: locked={r.Item3}, held={r.Item4}; both must stay true");
        });
        AssertNothingTaken(ops, present, arrays, "bad arguments");
    }

    private delegate long LockedCall(MmStruct mm, ulong start, BadCall c, Page[]? pages, ref bool locked);

    private static void CheckUnlockedForm(BadCall[] cases, long expected, Func<MmStruct, ulong, BadCall, Page[]?, long> call)
    {
        var mm = Setup(out var ops, out var present);
        var arrays = new List<Page[]?>();
        var results = new List<(string, long, bool)>();
        Run(mm, () =>
        {
            foreach (var c in cases)
            {
                foreach (var start in new[] { Base, PageAddress(1) })
                {
                    var pages = c.NewArray();
                    arrays.Add(pages);
                    var r = call(mm, start, c, pages);
                    results.Add(($"{c} at 0x{start:x}", r, mm.MmapLock.IsHeldByCurrent || mm.MmapLock.IsLocked));
                }
            }
        });
        Assert.All(results, r =>
        {
            Assert.True(r.Item2 == expected, $"{r.Item1}: returned {Errno.Name(r.Item2)}, expected {Errno.Name(expected)}");
            Assert.False(r.Item3, $"{r.Item1}: the mmap lock is held after the call");
        });
        AssertNothingTaken(ops, present, arrays, "bad arguments");
    }

    private static void CheckFastForm(BadCall[] cases, Func<ulong, BadCall, Page[], long> call)
    {
        ResetWarnings();
        var mm = Setup(out var ops, out var present);
        var arrays = new List<Page[]?>();
        var results = new List<(string, long)>();
        Run(mm, () =>
        {
            foreach (var c in cases)
            {
                foreach (var start in new[] { Base, PageAddress(1) })
                {
                    var pages = c.NewArray()!;
                    arrays.Add(pages);
                    results.Add(($"{c} at 0x{start:x}", call(start, c, pages)));
                }
            }
        });
        Assert.All(results, r => Assert.True(r.Item2 == -Errno.EINVAL, $"{r.Item1}: returned {Errno.Name(r.Item2)}, expected -EINVAL"));
        AssertNothingTaken(ops, present, arrays, "bad arguments");
        Assert.Equal(4, KernelDebug.Warnings.Count(w => w.RuleId == "FL1009"));
    }

    private static KernelBugException ExpectBug(MmStruct mm, Action<MmStruct> setupLock, Action call, Func<bool> lockStateAfter)
    {
        KernelBugException? bug = null;
        var stateOk = false;
        Run(mm, () =>
        {
            setupLock(mm);
            bug = Assert.Throws<KernelBugException>(call);
            stateOk = lockStateAfter();
            if (mm.MmapLock.IsHeldByCurrent)
            {
                mm.MmapReadUnlock();
            }
        });
        Assert.True(stateOk, "the lock state changed");
        return bug!;
    }

    [Fact]
    public void GetUserPages_InvalidArgumentsReturnEinvalAndChangeNothing() =>
        CheckSlowLockedForm(SlowGetCases, -Errno.EINVAL, (mm, start, c, pages) => Gup.GetUserPages(mm, start, c.Nr, c.Flags, pages));

    [Fact]
    public void GetUserPages_NullMmIsRejected()
    {
        Run(null, () => Assert.Throws<ArgumentNullException>(() => Gup.GetUserPages(null!, Base, 1, FollFlags.None, new Page[1])));
    }

    [Fact]
    public void GetUserPagesLocked_InvalidArgumentsReturnEinvalAndKeepTheLock() =>
        CheckLockedForm(SlowGetCases, -Errno.EINVAL,
            (MmStruct mm, ulong start, BadCall c, Page[]? pages, ref bool locked) => Gup.GetUserPagesLocked(mm, start, c.Nr, c.Flags, pages, ref locked));

    [Fact]
    public void GetUserPagesLocked_LockedFalseOnEntryIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var lockedAfter = true;
        var pages = new Page[1];
        var bug = ExpectBug(mm, m => m.MmapReadLock(), () =>
        {
            var locked = false;
            try
            {
                Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Write, pages, ref locked);
            }
            finally
            {
                lockedAfter = locked;
            }
        }, () => mm.MmapLock.IsHeldByCurrent);
        Assert.Contains("locked must be 1 on entry", bug.Message, StringComparison.Ordinal);
        Assert.False(lockedAfter);
        AssertNothingTaken(ops, present, [pages], "locked false");
    }

    [Fact]
    public void GetUserPagesLocked_LockedTrueWithoutTheLockIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var pages = new Page[1];
        var bug = ExpectBug(mm, _ => { }, () =>
        {
            var locked = true;
            Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Write, pages, ref locked);
        }, () => !mm.MmapLock.IsLocked);
        Assert.Contains("does not hold the mmap lock", bug.Message, StringComparison.Ordinal);
        AssertNothingTaken(ops, present, [pages], "lock not held");
    }

    [Fact]
    public void GetUserPagesUnlocked_InvalidArgumentsReturnEinvalAndTakeNoLock() =>
        CheckUnlockedForm(SlowGetCases, -Errno.EINVAL, (mm, start, c, pages) => Gup.GetUserPagesUnlocked(mm, start, c.Nr, c.Flags, pages));

    [Fact]
    public void GetUserPagesUnlocked_CallingWithTheLockHeldIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var pages = new Page[1];
        var bug = ExpectBug(mm, m => m.MmapReadLock(), () => Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages),
            () => mm.MmapLock.IsHeldByCurrent);
        Assert.Contains("must not hold the mmap lock", bug.Message, StringComparison.Ordinal);
        AssertNothingTaken(ops, present, [pages], "lock held");
    }

    [Fact]
    public void GetUserPagesFast_InvalidArgumentsReturnEinvalAndChangeNothing() =>
        CheckFastForm(FastGetCases, (start, c, pages) => Gup.GetUserPagesFast(start, c.Nr, c.Flags, pages));

    [Fact]
    public void GetUserPagesFast_CallingWithTheLockHeldIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var pages = new Page[2];
        var bug = ExpectBug(mm, m => m.MmapReadLock(), () => Gup.GetUserPagesFast(Base, 2, FollFlags.Write, pages),
            () => mm.MmapLock.IsHeldByCurrent);
        Assert.Contains("mmap lock held", bug.Message, StringComparison.Ordinal);
        AssertNothingTaken(ops, present, [pages], "lock held");
    }

    [Fact]
    public void GetUserPagesFast_NullPagesIsRejected()
    {
        var mm = AnonMm(1, out _);
        Run(mm, () => Assert.Throws<ArgumentNullException>(() => Gup.GetUserPagesFast(Base, 1, FollFlags.None, null!)));
    }

    [Fact]
    public void PinUserPages_InvalidArgumentsReturnZeroAndChangeNothing() =>
        CheckSlowLockedForm(SlowPinCases, 0, (mm, start, c, pages) => Gup.PinUserPages(mm, start, c.Nr, c.Flags, pages));

    [Fact]
    public void PinUserPagesLocked_InvalidArgumentsReturnZeroAndKeepTheLock() =>
        CheckLockedForm(SlowPinCases, 0,
            (MmStruct mm, ulong start, BadCall c, Page[]? pages, ref bool locked) => Gup.PinUserPagesLocked(mm, start, c.Nr, c.Flags, pages, ref locked));

    [Fact]
    public void PinUserPagesLocked_LockedFalseOnEntryIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var pages = new Page[1];
        var bug = ExpectBug(mm, m => m.MmapReadLock(), () =>
        {
            var locked = false;
            Gup.PinUserPagesLocked(mm, Base, 1, FollFlags.Write, pages, ref locked);
        }, () => mm.MmapLock.IsHeldByCurrent);
        Assert.Contains("locked must be 1 on entry", bug.Message, StringComparison.Ordinal);
        AssertNothingTaken(ops, present, [pages], "locked false");
    }

    [Fact]
    public void PinUserPagesLocked_LockedTrueWithoutTheLockIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var pages = new Page[1];
        var bug = ExpectBug(mm, _ => { }, () =>
        {
            var locked = true;
            Gup.PinUserPagesLocked(mm, Base, 1, FollFlags.Write, pages, ref locked);
        }, () => !mm.MmapLock.IsLocked);
        Assert.Contains("does not hold the mmap lock", bug.Message, StringComparison.Ordinal);
        AssertNothingTaken(ops, present, [pages], "lock not held");
    }

    [Fact]
    public void PinUserPagesUnlocked_InvalidArgumentsReturnZeroAndTakeNoLock() =>
        CheckUnlockedForm(SlowPinCases, 0, (mm, start, c, pages) => Gup.PinUserPagesUnlocked(mm, start, c.Nr, c.Flags, pages));

    [Fact]
    public void PinUserPagesUnlocked_CallingWithTheLockHeldIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var pages = new Page[1];
        var bug = ExpectBug(mm, m => m.MmapReadLock(), () => Gup.PinUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages),
            () => mm.MmapLock.IsHeldByCurrent);
        Assert.Contains("must not hold the mmap lock", bug.Message, StringComparison.Ordinal);
        AssertNothingTaken(ops, present, [pages], "lock held");
    }

    [Fact]
    public void PinUserPagesFast_InvalidArgumentsReturnEinvalAndChangeNothing() =>
        CheckFastForm(FastPinCases, (start, c, pages) => Gup.PinUserPagesFast(start, c.Nr, c.Flags, pages));

    [Fact]
    public void PinUserPagesFast_CallingWithTheLockHeldIsAKernelBug()
    {
        var mm = Setup(out var ops, out var present);
        var pages = new Page[2];
        var bug = ExpectBug(mm, m => m.MmapReadLock(), () => Gup.PinUserPagesFast(Base, 2, FollFlags.Write, pages),
            () => mm.MmapLock.IsHeldByCurrent);
        Assert.Contains("mmap lock held", bug.Message, StringComparison.Ordinal);
        AssertNothingTaken(ops, present, [pages], "lock held");
    }

    [Fact]
    public void PutPage_OnAPinnedPageIsReportedAndLeavesThePin()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        int pinsAfter = -1, refsAfter = -1;
        Run(mm, () =>
        {
            var pages = new Page[1];
            Assert.Equal(1, Gup.PinUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages));
            Gup.PutPage(pages[0]);
            pinsAfter = pages[0].PinCount;
            refsAfter = pages[0].RefCount;
            Gup.UnpinUserPage(pages[0]);
        });
        Assert.Equal(1, pinsAfter);
        Assert.Equal(1, refsAfter);
        Assert.Equal(new[] { "FL4006" }, WarningIds());
    }

    [Fact]
    public void PutPage_WithoutAReferenceIsReportedAndChangesNothing()
    {
        ResetWarnings();
        var mm = AnonMm(1, out _);
        int refsAfterExtraPut = -1, refsOfFreshPage = -1;
        Run(mm, () =>
        {
            var pages = new Page[1];
            Assert.Equal(1, Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages));
            Gup.PutPage(pages[0]);
            Gup.PutPage(pages[0]);
            refsAfterExtraPut = pages[0].RefCount;
            var fresh = new Page();
            Gup.PutPage(fresh);
            refsOfFreshPage = fresh.RefCount;
            Assert.Throws<ArgumentNullException>(() => Gup.PutPage(null!));
        });
        Assert.Equal(1, refsAfterExtraPut);
        Assert.Equal(1, refsOfFreshPage);
        Assert.Equal(new[] { "FL4006", "FL4006" }, WarningIds());
    }

    [Fact]
    public void UnpinUserPage_OnAReferencedOrUnpinnedPageIsReportedAndChangesNothing()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        int refsAfter = -1, pinsAfterDouble = -1;
        Run(mm, () =>
        {
            var got = new Page[1];
            Assert.Equal(1, Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, got));
            Gup.UnpinUserPage(got[0]);
            refsAfter = got[0].RefCount;
            Gup.PutPage(got[0]);

            var pinned = new Page[1];
            Assert.Equal(1, Gup.PinUserPagesUnlocked(mm, PageAddress(1), 1, FollFlags.Write, pinned));
            Gup.UnpinUserPage(pinned[0]);
            Gup.UnpinUserPage(pinned[0]);
            pinsAfterDouble = pinned[0].PinCount;
            Assert.Throws<ArgumentNullException>(() => Gup.UnpinUserPage(null!));
        });
        Assert.Equal(2, refsAfter);
        Assert.Equal(0, pinsAfterDouble);
        Assert.Equal(new[] { "FL4006", "FL4006" }, WarningIds());
    }

    [Fact]
    public void UnpinUserPages_NegativeCountIsReportedAndUnpinsNothing()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        int[] pinsAfter = [];
        Run(mm, () =>
        {
            var pages = new Page[2];
            Assert.Equal(2, Gup.PinUserPagesUnlocked(mm, Base, 2, FollFlags.Write, pages));
            Gup.UnpinUserPages(pages, -Errno.EFAULT);
            pinsAfter = pages.Select(p => p.PinCount).ToArray();
            Gup.UnpinUserPages(pages, 2);
        });
        Assert.Equal(new[] { 1, 1 }, pinsAfter);
        var warning = Assert.Single(KernelDebug.Warnings);
        Assert.Equal("FL4005", warning.RuleId);
        Assert.Contains("-EFAULT", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnpinUserPages_CountBeyondTheArrayIsRejectedBeforeUnpinningAnything()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        int[] pinsAfter = [];
        Run(mm, () =>
        {
            var pages = new Page[2];
            Assert.Equal(2, Gup.PinUserPagesUnlocked(mm, Base, 2, FollFlags.Write, pages));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gup.UnpinUserPages(pages, 3));
            pinsAfter = pages.Select(p => p.PinCount).ToArray();
            Gup.UnpinUserPages(pages, 2);
            Assert.Throws<ArgumentNullException>(() => Gup.UnpinUserPages(null!, 0));
        });
        Assert.Equal(new[] { 1, 1 }, pinsAfter);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void UnpinUserPages_SkipsNullEntries()
    {
        ResetWarnings();
        var mm = AnonMm(2, out _);
        int[] pinsAfter = [];
        Run(mm, () =>
        {
            var pinned = new Page[2];
            Assert.Equal(2, Gup.PinUserPagesUnlocked(mm, Base, 2, FollFlags.Write, pinned));
            var withHole = new[] { pinned[0], null!, pinned[1] };
            Gup.UnpinUserPages(withHole, 3);
            pinsAfter = pinned.Select(p => p.PinCount).ToArray();
        });
        Assert.Equal(new[] { 0, 0 }, pinsAfter);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void FixupUserFault_BadAddressOrAccessReturnsEfaultAndKeepsTheLock()
    {
        var ops = new ScriptedOps();
        var mm = new MmStruct();
        mm.Mmap(Base, Page.Size, VmFlags.Read, ops);
        int noVma = 0, readOnly = 0, noVmaPlain = 0;
        bool unlocked = false, held = false;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            noVma = Gup.FixupUserFault(mm, PageAddress(7), FaultFlags.None, ref unlocked);
            readOnly = Gup.FixupUserFault(mm, Base, FaultFlags.Write, ref unlocked);
            noVmaPlain = Gup.FixupUserFault(mm, Base - Page.Size, FaultFlags.None);
            held = mm.MmapLock.IsHeldByCurrent;
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EFAULT, noVma);
        Assert.Equal(-Errno.EFAULT, readOnly);
        Assert.Equal(-Errno.EFAULT, noVmaPlain);
        Assert.False(unlocked);
        Assert.True(held);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void FixupUserFault_AllowRetryWithoutUnlockedIsEinval()
    {
        ResetWarnings();
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        int got = 0;
        var held = false;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            got = Gup.FixupUserFault(mm, Base, FaultFlags.AllowRetry);
            held = mm.MmapLock.IsHeldByCurrent;
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EINVAL, got);
        Assert.True(held);
        Assert.Empty(ops.Calls);
        Assert.Contains(KernelDebug.Warnings, w => w.Message.Contains("ALLOW_RETRY", StringComparison.Ordinal));
    }

    [Fact]
    public void FixupUserFault_WithoutTheMmapLockIsAKernelBug()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        var unlocked = false;
        var bug = ExpectBug(mm, _ => { }, () => Gup.FixupUserFault(mm, Base, FaultFlags.None, ref unlocked), () => !mm.MmapLock.IsLocked);
        var bugPlain = ExpectBug(mm, _ => { }, () => Gup.FixupUserFault(mm, Base, FaultFlags.None), () => !mm.MmapLock.IsLocked);
        Assert.Contains("must hold the mmap lock", bug.Message, StringComparison.Ordinal);
        Assert.Contains("must hold the mmap lock", bugPlain.Message, StringComparison.Ordinal);
        Assert.False(unlocked);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void FixupUserFault_RetryNowaitIsAContractViolationNotAnEndlessRetry()
    {
        var mm = UffdMm(1, out _);
        KernelBugException? bug = null;
        RunTask("fixup", mm, () =>
        {
            mm.MmapReadLock();
            var unlocked = false;
            bug = Assert.Throws<KernelBugException>(() => Gup.FixupUserFault(mm, Base, FaultFlags.RetryNowait, ref unlocked));
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            Assert.False(unlocked);
            mm.MmapReadUnlock();
        });
        Assert.Contains("FAULT_FLAG_RETRY_NOWAIT", bug!.Message);
    }
}
