using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.Conformance.GupConformanceKit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>SEMANTICS.md rules 15-20: __get_user_pages_locked, the retry driver and the <c>locked</c> protocol.</summary>
public class LockedProtocolRules
{
    /// <summary>What a GUP task saw: the result, <c>locked</c> on return, and whether it really held the lock.</summary>
    private sealed class Outcome
    {
        public long Result = long.MinValue;
        public bool Locked = true;
        public bool Held = true;
        public Page?[] Pages = [];
    }

    /// <summary>
    /// Starts a task that takes the mmap read lock and calls GetUserPagesLocked (or the pin form), records
    /// the outcome, unlocks only if <c>locked</c> is still true, and releases what it took.
    /// </summary>
    private static KernelTask StartLocked(MmStruct mm, ulong start, int nr, FollFlags flags, Outcome o, bool pin = false, string comm = "gup")
    {
        return KernelTask.Start(comm, mm, () =>
        {
            var pages = new Page[nr];
            mm.MmapReadLock();
            var locked = true;
            o.Result = pin
                ? Gup.PinUserPagesLocked(mm, start, nr, flags, pages, ref locked)
                : Gup.GetUserPagesLocked(mm, start, nr, flags, pages, ref locked);
            o.Locked = locked;
            o.Held = mm.MmapLock.IsHeldByCurrent;
            if (locked)
            {
                mm.MmapReadUnlock();
            }

            o.Pages = pages.ToArray();
            if (pin)
            {
                Gup.UnpinUserPages(pages, Math.Max(0, o.Result));
            }
            else
            {
                PutPages(pages, Math.Max(0, o.Result));
            }
        });
    }

    private static KernelTask StartUnlocked(MmStruct mm, ulong start, int nr, FollFlags flags, Outcome o, bool pin = false)
    {
        return KernelTask.Start("gup", mm, () =>
        {
            var pages = new Page[nr];
            o.Result = pin
                ? Gup.PinUserPagesUnlocked(mm, start, nr, flags, pages)
                : Gup.GetUserPagesUnlocked(mm, start, nr, flags, pages);
            o.Locked = false;
            o.Held = mm.MmapLock.IsHeldByCurrent;
            o.Pages = pages.ToArray();
            if (pin)
            {
                Gup.UnpinUserPages(pages, Math.Max(0, o.Result));
            }
            else
            {
                PutPages(pages, Math.Max(0, o.Result));
            }
        });
    }

    [Fact]
    public void Rule15_LockedTrueOnEntryMustMeanTheCallerHoldsTheLock()
    {
        var mm = AnonMm(1, out _);
        KernelBugException? bug = null;
        Run(mm, () =>
        {
            var locked = true;
            bug = Assert.Throws<KernelBugException>(() => Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.None, new Page[1], ref locked));
            Assert.False(mm.MmapLock.IsHeldByCurrent);
        });
        Assert.Contains("mmap lock", bug!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rule15_LockedFalseOnEntryToAnExternalLockedCallIsABug()
    {
        var mm = AnonMm(1, out _);
        KernelBugException? bug = null;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            var locked = false;
            bug = Assert.Throws<KernelBugException>(() => Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.None, new Page[1], ref locked));
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Contains("locked must be 1", bug!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rule15_LockedZeroInternallyTakesTheLockItselfAndAlwaysDropsIt()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(2, ops);
        var o = new Outcome();
        JoinOrFail(StartUnlocked(mm, Base, 2, FollFlags.None, o));
        Assert.Equal(2, o.Result);
        Assert.False(o.Held);
        Assert.Equal(2, ops.Calls.Count);
        Assert.All(ops.Calls, c => Assert.True(c.LockHeld));
    }

    [Fact]
    public void Rule15_AFailedFirstKillableLockGivesEagain()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        var writer = WriterTask.Start(mm);
        var o = new Outcome();
        var gup = StartUnlocked(mm, Base, 1, FollFlags.None, o);
        WaitUntilSleeping(gup, TaskState.Killable);
        gup.SendSignal(Signal.SIGKILL);
        JoinOrFail(gup);
        writer.Release();
        Assert.Equal(-Errno.EAGAIN, o.Result);
        Assert.False(o.Held);
        Assert.Null(o.Pages[0]);
        Assert.Empty(ops.Calls);
    }

    [Fact]
    public void Rule16_PlainGupOnAUserfaultRangeReturnsEfaultWithoutWaiting()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        long got = 0, pinned = 0, interruptible = 0;
        var held = false;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 1, FollFlags.Write, pages);
            pinned = Gup.PinUserPages(mm, Base, 1, FollFlags.Write, pages);
            interruptible = Gup.GetUserPages(mm, Base, 1, FollFlags.Write | FollFlags.Interruptible, pages);
            held = mm.MmapLock.IsHeldByCurrent;
            mm.MmapReadUnlock();
            Assert.Null(pages[0]);
        });
        Assert.Equal(-Errno.EFAULT, got);
        Assert.Equal(-Errno.EFAULT, pinned);
        Assert.Equal(-Errno.EFAULT, interruptible);
        Assert.True(held);
        Assert.False(uffd.HasWaiters);
        Assert.False(uffd.TryRead(out _));
    }

    [Fact]
    public void Rule16_WithoutUnlockableThereIsOnePassAndNoRetryFlags()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(3, ops);
        long got = 0;
        Run(mm, () =>
        {
            var pages = new Page[3];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 3, FollFlags.Interruptible, pages);
            mm.MmapReadUnlock();
            PutPages(pages, got);
        });
        Assert.Equal(3, got);
        Assert.Equal(new ulong[] { 0, 1, 2 }, ops.Calls.Select(c => c.Pgoff));
        Assert.All(ops.Calls, c => Assert.Equal(FaultFlags.None, c.Flags & (FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible | FaultFlags.Tried)));
    }

    [Fact]
    public void Rule16_PlainGupReturnsZeroOnlyWithNowait()
    {
        var mm = UffdMm(1, out var uffd);
        long nowait = -1, wait = -1;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            nowait = Gup.GetUserPages(mm, Base, 1, FollFlags.Nowait, new Page[1]);
            wait = Gup.GetUserPages(mm, Base, 1, FollFlags.None, new Page[1]);
            mm.MmapReadUnlock();
        });
        Assert.Equal(0, nowait);
        Assert.Equal(-Errno.EFAULT, wait);
        Assert.False(uffd.TryRead(out _));
    }

    [Fact]
    public void Rule17_AfterARetryExactlyOnePageIsRetriedWithTriedAndTheRestGoesAsABatchWithoutIt()
    {
        var ops = new ScriptedOps((vmf, _) => vmf.Pgoff == 1 ? ScriptedOps.PoliteRetry(vmf) : ScriptedOps.Fill(vmf));
        var mm = OpsMm(4, ops);
        var o = new Outcome();
        JoinOrFail(StartLocked(mm, Base, 4, FollFlags.Write, o));
        Assert.Equal(4, o.Result);
        Assert.False(o.Locked);
        Assert.False(o.Held);
        var calls = ops.Calls;
        Assert.Equal(new ulong[] { 0, 1, 1, 2, 3 }, calls.Select(c => c.Pgoff));
        Assert.Equal(new[] { false, false, true, false, false }, calls.Select(c => c.Has(FaultFlags.Tried)));
        Assert.Single(calls, c => c.Has(FaultFlags.Tried));

        // The retry ran with the lock re-taken, and still with AllowRetry.
        Assert.True(calls[2].LockHeld);
        Assert.True(calls[2].Has(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Tried));
    }

    [Fact]
    public void Rule17_ThereIsNoRetryLimit()
    {
        // The handler blocks (drops the lock, Retry) on its first five attempts, Tried ones included.
        var ops = new ScriptedOps((vmf, attempt) => attempt < 5 ? ScriptedOps.DropLockAndRetry(vmf) : ScriptedOps.Fill(vmf));
        var mm = OpsMm(1, ops);
        var o = new Outcome();
        JoinOrFail(StartLocked(mm, Base, 1, FollFlags.None, o));
        Assert.Equal(1, o.Result);
        Assert.False(o.Locked);
        Assert.Equal(6, ops.Calls.Count);
        Assert.All(ops.Calls.Skip(1), c => Assert.True(c.Has(FaultFlags.Tried) && c.LockHeld));
    }

    [Fact]
    public void Rule17_ARetriedPageThatFailsStopsWithTheErrnoOrTheCount()
    {
        // Page 1 blocks once, then fails with SIGBUS on the retry.
        var ops = new ScriptedOps((vmf, attempt) => vmf.Pgoff != 1 ? ScriptedOps.Fill(vmf)
            : attempt == 0 ? ScriptedOps.DropLockAndRetry(vmf) : VmFaultResult.Sigbus);
        var mm = OpsMm(3, ops);
        var alone = new Outcome();
        JoinOrFail(StartLocked(mm, PageAddress(1), 1, FollFlags.None, alone));
        ops.ClearCalls();
        var after = new Outcome();
        JoinOrFail(StartLocked(mm, Base, 3, FollFlags.None, after));
        Assert.Equal(-Errno.EFAULT, alone.Result);
        Assert.False(alone.Locked || alone.Held);
        Assert.Equal(1, after.Result);
        Assert.False(after.Locked || after.Held);
        Assert.NotNull(after.Pages[0]);
        Assert.Null(after.Pages[1]);
        Assert.DoesNotContain(ops.Calls, c => c.Pgoff == 2);
    }

    [Fact]
    public void Rule17_WhenTheLockWasNotDroppedTheDriverStops()
    {
        // FOLL_NOWAIT: the userfault returns Retry with the lock held, so there is no retry step.
        var mm = UffdMm(3, out var uffd);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(7)));
        var o = new Outcome();
        JoinOrFail(StartLocked(mm, Base, 3, FollFlags.Nowait, o));
        Assert.Equal(1, o.Result);
        Assert.True(o.Locked);
        Assert.True(o.Held);
        Assert.Null(o.Pages[1]);
        Assert.False(uffd.TryRead(out _));
    }

    [Fact]
    public void Rule17_NowaitNeverSleepsAndNeverDropsTheLock()
    {
        ResetWarnings();
        var mm = UffdMm(3, out var uffd);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(4)));
        var injection = new FaultInjection(17) { SignalRate = 1.0 };
        long none = -1, some = -1;
        bool lockedNone = false, lockedSome = false, heldNone = false, heldSome = false;
        using (injection.Install())
        {
            Run(mm, () =>
            {
                var pages = new Page[3];
                mm.MmapReadLock();
                lockedNone = true;
                none = Gup.GetUserPagesLocked(mm, PageAddress(1), 2, FollFlags.Nowait | FollFlags.Write, pages, ref lockedNone);
                heldNone = mm.MmapLock.IsHeldByCurrent;
                lockedSome = true;
                some = Gup.GetUserPagesLocked(mm, Base, 3, FollFlags.Nowait | FollFlags.Write, pages, ref lockedSome);
                heldSome = mm.MmapLock.IsHeldByCurrent;
                mm.MmapReadUnlock();
                PutPages(pages, some);
            }, "nowait");
        }

        Assert.Equal(0, none);
        Assert.Equal(1, some);
        Assert.True(lockedNone && heldNone);
        Assert.True(lockedSome && heldSome);
        Assert.Empty(injection.EventsOf("nowait"));
        Assert.False(uffd.TryRead(out _));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule18_LockedIsFalseOnReturnExactlyWhenTheLockIsNoLongerHeld()
    {
        var calm = new ScriptedOps();
        var calmMm = OpsMm(2, calm);
        var noRetry = new Outcome();
        JoinOrFail(StartLocked(calmMm, Base, 2, FollFlags.None, noRetry));

        var blocking = new ScriptedOps((vmf, _) => ScriptedOps.PoliteRetry(vmf));
        var blockingMm = OpsMm(2, blocking);
        var retried = new Outcome();
        JoinOrFail(StartLocked(blockingMm, Base, 2, FollFlags.None, retried));

        Assert.Equal(2, noRetry.Result);
        Assert.True(noRetry.Locked);
        Assert.True(noRetry.Held);
        Assert.Equal(2, retried.Result);
        Assert.False(retried.Locked);
        Assert.False(retried.Held);
    }

    [Fact]
    public void Rule18_ZeroProgressWithoutNowaitIsEfaultNotZero()
    {
        ResetWarnings();

        // A handler that returns Retry while keeping the lock even though retry is not allowed (FL2002):
        // the walker gets no page and no error, and the driver turns that 0 into -EFAULT.
        var ops = new ScriptedOps((_, _) => VmFaultResult.Retry);
        var mm = OpsMm(1, ops);
        long wait = 0, nowait = -1;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            wait = Gup.GetUserPages(mm, Base, 1, FollFlags.None, new Page[1]);
            nowait = Gup.GetUserPages(mm, Base, 1, FollFlags.Nowait, new Page[1]);
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EFAULT, wait);
        Assert.Equal(0, nowait);
        Assert.Contains("FL2002", WarningIds());
        Assert.Single(KernelDebug.Warnings, w => w.RuleId is null && w.Message.Contains("without FOLL_NOWAIT", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rule18_AFailedRelockInTheRetryStepLeavesLockedFalse(bool withProgress)
    {
        // Page 1 blocks: its handler drops the lock and lets a writer in before returning Retry, so the
        // retry step's killable lock sleeps; SIGKILL then makes it fail.
        WriterTask? writer = null;
        var ops = new ScriptedOps((vmf, attempt) =>
        {
            if (vmf.Pgoff != 1 || attempt > 0)
            {
                return ScriptedOps.Fill(vmf);
            }

            var mm = vmf.Vma.Mm;
            mm.MmapReadUnlock();
            writer = WriterTask.StartAndWait(mm);
            return VmFaultResult.Retry;
        });
        var mm = OpsMm(2, ops);
        var o = new Outcome();
        var gup = StartLocked(mm, withProgress ? Base : PageAddress(1), withProgress ? 2 : 1, FollFlags.None, o);
        WaitUntil(() => writer is { Holding: true }, "the handler's writer");
        WaitUntilSleeping(gup, TaskState.Killable);
        gup.SendSignal(Signal.SIGKILL);
        JoinOrFail(gup);
        writer!.Release();
        Assert.Equal(withProgress ? 1 : -Errno.EINTR, o.Result);
        Assert.False(o.Locked);
        Assert.False(o.Held);
        Assert.Single(ops.Calls, c => c.Pgoff == 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rule19_InterruptibleGupBlockedOnAUserfaultReturnsEintrOnANonFatalSignal(bool unlockedForm)
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var o = new Outcome();
        var flags = FollFlags.Write | FollFlags.Interruptible;
        var gup = unlockedForm ? StartUnlocked(mm, Base, 1, flags, o) : StartLocked(mm, Base, 1, flags, o);
        Assert.Equal(Base, AwaitFault(uffd).Address);
        WaitUntilSleeping(gup, TaskState.Interruptible);
        gup.SendSignal(Signal.SIGUSR1);
        JoinOrFail(gup);
        Assert.Equal(-Errno.EINTR, o.Result);
        Assert.False(o.Locked);
        Assert.False(o.Held);
        Assert.Null(o.Pages[0]);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rule19_InterruptibleGupReturnsTheShortCountWhenInterruptedAfterProgress(bool unlockedForm)
    {
        var mm = UffdMm(3, out var uffd);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(3)));
        var o = new Outcome();
        var gup = unlockedForm
            ? StartUnlocked(mm, Base, 3, FollFlags.Interruptible, o)
            : StartLocked(mm, Base, 3, FollFlags.Interruptible, o);
        Assert.Equal(PageAddress(1), AwaitFault(uffd).Address);
        WaitUntilSleeping(gup, TaskState.Interruptible);
        gup.SendSignal(Signal.SIGUSR1);
        JoinOrFail(gup);
        Assert.Equal(1, o.Result);
        Assert.False(o.Locked);
        Assert.False(o.Held);
        Assert.NotNull(o.Pages[0]);
        Assert.Null(o.Pages[1]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rule19_WithoutInterruptibleANonFatalSignalDoesNotInterrupt(bool unlockedForm)
    {
        var mm = UffdMm(1, out var uffd);
        var o = new Outcome();
        var gup = unlockedForm ? StartUnlocked(mm, Base, 1, FollFlags.Write, o) : StartLocked(mm, Base, 1, FollFlags.Write, o);
        AwaitFault(uffd);
        WaitUntilSleeping(gup, TaskState.Killable);
        gup.SendSignal(Signal.SIGUSR1);

        // send_sig decides the wakeup synchronously: a killable sleeper stays asleep for SIGUSR1.
        Assert.Equal(TaskState.Killable, gup.State);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(9)));
        JoinOrFail(gup);
        Assert.Equal(1, o.Result);
        Assert.False(o.Locked);
        Assert.False(o.Held);
    }

    [Fact]
    public void Rule19_PlainGetUserPagesIgnoresInterruptible()
    {
        // No FOLL_UNLOCKABLE: no ALLOW_RETRY, so handle_userfault gives SIGBUS at once; the signal never matters.
        var mm = UffdMm(1, out var uffd);
        long got = 0;
        Run(mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 1, FollFlags.Interruptible, new Page[1]);
            mm.MmapReadUnlock();
        });
        Assert.Equal(-Errno.EFAULT, got);
        Assert.False(uffd.TryRead(out _));
    }

    [Fact]
    public void Rule19_InterruptibleAlsoStopsARetryingHandlerLoop()
    {
        // The handler makes a non-fatal signal pending and blocks: the retry step's gup_signal_pending
        // stops only the Interruptible caller; the other retries and gets its page.
        static ScriptedOps Ops() => new((vmf, attempt) =>
        {
            if (attempt > 0)
            {
                return ScriptedOps.Fill(vmf);
            }

            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            return ScriptedOps.DropLockAndRetry(vmf);
        });
        var opsI = Ops();
        var opsK = Ops();
        var interruptible = new Outcome();
        var killable = new Outcome();
        JoinOrFail(StartLocked(OpsMm(1, opsI), Base, 1, FollFlags.Interruptible, interruptible));
        JoinOrFail(StartLocked(OpsMm(1, opsK), Base, 1, FollFlags.None, killable));
        Assert.Equal(-Errno.EINTR, interruptible.Result);
        Assert.Single(opsI.Calls);
        Assert.Equal(1, killable.Result);
        Assert.Equal(2, opsK.Calls.Count);
    }

    public static TheoryData<string> RetryingForms() => new() { "locked", "unlocked", "pin_locked", "pin_unlocked", "fast", "pin_fast" };

    [Theory]
    [MemberData(nameof(RetryingForms))]
    public void Rule19_SigkillInterruptsAnyRetryingGup(string form)
    {
        var mm = UffdMm(1, out var uffd);
        var o = new Outcome();
        KernelTask gup = form switch
        {
            "locked" => StartLocked(mm, Base, 1, FollFlags.Write, o),
            "pin_locked" => StartLocked(mm, Base, 1, FollFlags.Write, o, pin: true),
            "unlocked" => StartUnlocked(mm, Base, 1, FollFlags.Write, o),
            "pin_unlocked" => StartUnlocked(mm, Base, 1, FollFlags.Write, o, pin: true),
            _ => KernelTask.Start("gup", mm, () =>
            {
                var pages = new Page[1];
                var pin = form == "pin_fast";
                o.Result = pin ? Gup.PinUserPagesFast(Base, 1, FollFlags.Write, pages) : Gup.GetUserPagesFast(Base, 1, FollFlags.Write, pages);
                o.Locked = false;
                o.Held = mm.MmapLock.IsHeldByCurrent;
                o.Pages = pages.ToArray();
            }),
        };
        AwaitFault(uffd);
        WaitUntilSleeping(gup, TaskState.Killable);
        gup.SendSignal(Signal.SIGKILL);
        JoinOrFail(gup);
        Assert.Equal(-Errno.EINTR, o.Result);
        Assert.False(o.Locked);
        Assert.False(o.Held);
        Assert.Null(o.Pages[0]);
    }

    [Fact]
    public void Rule20_AnErrorAfterProgressIsHiddenBehindTheShortCount()
    {
        var mm = AnonMm(2, out _);
        var locked = new Outcome();
        JoinOrFail(StartLocked(mm, Base, 4, FollFlags.Write, locked));
        var unlocked = new Outcome();
        JoinOrFail(StartUnlocked(mm, Base, 4, FollFlags.Write, unlocked));
        Assert.Equal(2, locked.Result);
        Assert.True(locked.Locked && locked.Held);
        Assert.Equal(2, unlocked.Result);
        Assert.False(unlocked.Held);
    }

    [Fact]
    public void Rule20_ASignalAfterProgressIsHiddenBehindTheShortCount()
    {
        var mm = UffdMm(3, out var uffd);
        Assert.Equal(2 * Page.Size, uffd.Copy(Base, PageOf(1).Concat(PageOf(2)).ToArray()));
        var o = new Outcome();
        var gup = StartLocked(mm, Base, 3, FollFlags.Write, o);
        Assert.Equal(PageAddress(2), AwaitFault(uffd).Address);
        WaitUntilSleeping(gup, TaskState.Killable);
        gup.SendSignal(Signal.SIGKILL);
        JoinOrFail(gup);
        Assert.Equal(2, o.Result);
        Assert.False(o.Locked);
        Assert.False(o.Held);
    }

    [Fact]
    public void Rule20_TheCallerHoldsExactlyThePagesOfTheShortCount()
    {
        var mm = AnonMm(2, out _);
        Populate(mm, 0, 2);
        long got = 0;
        int[] refsHeld = [], pinsHeld = [];
        Page?[] taken = [];
        Run(mm, () =>
        {
            var pages = new Page[4];
            got = Gup.PinUserPagesUnlocked(mm, Base, 4, FollFlags.Write, pages);
            taken = pages.ToArray();
            pinsHeld = pages.Take(2).Select(p => p.PinCount).ToArray();
            refsHeld = pages.Take(2).Select(p => p.RefCount).ToArray();
            Gup.UnpinUserPages(pages, got);
        });
        Assert.Equal(2, got);
        Assert.Equal(new[] { 1, 1 }, pinsHeld);
        Assert.Equal(new[] { 1, 1 }, refsHeld);
        Assert.Null(taken[2]);
        Assert.Null(taken[3]);
        Assert.All(taken.Take(2), p => Assert.Equal(0, p!.PinCount));
    }
}
