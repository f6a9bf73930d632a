using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>
/// SEMANTICS.md rules 32-34: folio_lock_or_retry in every branch, filemap_fault's
/// lock_folio_maybe_drop_mmap, and the legal ways for a fault handler to block. The page lock the
/// handler wants is held by the test thread, which lets go once the handler is seen asleep.
/// </summary>
public class FilemapRules
{
    /// <summary>A handler that takes its page with <see cref="Filemap.LockPageOrRetry"/> and returns it locked.</summary>
    private sealed class LockOrRetryOps(Page page) : VmOperations
    {
        public VmFaultResult Seen { get; private set; } = (VmFaultResult)(-1);

        public bool MmapLockHeldAfter { get; private set; }

        public bool PageLockedAfter { get; private set; }

        public override VmFaultResult Fault(VmFault vmf)
        {
            var r = Filemap.LockPageOrRetry(page, vmf);
            Seen = r;
            MmapLockHeldAfter = vmf.Vma.Mm.MmapLock.IsHeldByCurrent;
            PageLockedAfter = page.IsLocked;
            if (r != VmFaultResult.None)
            {
                return r;
            }

            vmf.Page = page;
            return VmFaultResult.Locked; // handle_mm_fault maps it and unlocks it
        }
    }

    private static (LockOrRetryOps Ops, MmStruct Mm, VmAreaStruct Vma) Setup(Page page)
    {
        var ops = new LockOrRetryOps(page);
        var mm = new MmStruct();
        var vma = mm.Mmap(Base, Page.Size, VmFlags.Read | VmFlags.Write, ops);
        return (ops, mm, vma);
    }

    [Fact]
    public void Rule32_AFreePageIsLockedAtOnceAndTheLockIsUntouched()
    {
        ResetWarnings();
        var page = new Page();
        var (ops, mm, vma) = Setup(page);
        RunTask("fault", mm, () =>
            Assert.Equal((VmFaultResult.None, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable)));
        Assert.Equal(VmFaultResult.None, ops.Seen);
        Assert.True(ops.PageLockedAfter);
        Assert.True(ops.MmapLockHeldAfter);
        Assert.False(page.IsLocked); // VM_FAULT_LOCKED: the fault path unlocked it after mapping
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule32_FirstAttemptUnderRetryNowaitReturnsRetryAtOnceWithTheLockHeld()
    {
        ResetWarnings();
        var page = new Page();
        var (ops, mm, vma) = Setup(page);
        page.Lock();
        try
        {
            // Had it slept, the page would never be unlocked and the watchdog would fire.
            RunTask("fault", mm, () =>
                Assert.Equal((VmFaultResult.Retry, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.RetryNowait)));
        }
        finally
        {
            page.Unlock();
        }

        Assert.Equal(VmFaultResult.Retry, ops.Seen);
        Assert.True(ops.MmapLockHeldAfter);
        Assert.Empty(KernelDebug.Warnings); // no FL2001: folio_lock_or_retry honours RetryNowait
    }

    [Theory]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Killable, TaskState.Killable)]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible, TaskState.Killable)]
    [InlineData(FaultFlags.AllowRetry, TaskState.Uninterruptible)]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Interruptible, TaskState.Uninterruptible)]
    public void Rule32_FirstAttemptReleasesTheLockWaitsForTheUnlockAndRetries(FaultFlags flags, TaskState sleep)
    {
        ResetWarnings();
        var page = new Page();
        var (ops, mm, vma) = Setup(page);
        (VmFaultResult, bool) outcome = default;
        page.Lock();
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, flags));
        try
        {
            WaitUntilSleeping(task, sleep); // INTERRUPTIBLE is ignored: killable or uninterruptible only
            Assert.False(mm.MmapLock.IsLocked); // released before waiting
        }
        finally
        {
            page.Unlock();
        }

        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
        Assert.False(ops.PageLockedAfter); // it waited for the unlock, it did not take the lock
        Assert.False(page.IsLocked);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule32_FirstAttemptIgnoresFaultFlagInterruptible()
    {
        var page = new Page();
        var (_, mm, vma) = Setup(page);
        (VmFaultResult, bool) outcome = default;
        page.Lock();
        var task = KernelTask.Start("fault", mm, () =>
        {
            outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Interruptible);
            KernelTask.Current.FlushSignals();
        });
        try
        {
            WaitUntilSleeping(task, TaskState.Uninterruptible);
            task.SendSignal(Signal.SIGUSR1);
            Assert.Equal(TaskState.Uninterruptible, task.State); // the signal did not wake it
            Assert.False(task.HasExited);
        }
        finally
        {
            page.Unlock();
        }

        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
    }

    [Fact]
    public void Rule32_FirstAttemptKillableWaitEndsOnSigkillWithRetry()
    {
        ResetWarnings();
        var page = new Page();
        var (ops, mm, vma) = Setup(page);
        (VmFaultResult, bool) outcome = default;
        page.Lock();
        try
        {
            var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable));
            WaitUntilSleeping(task, TaskState.Killable);
            task.SendSignal(Signal.SIGKILL);
            JoinOrFail(task);
            Assert.True(page.IsLocked); // still the test's
        }
        finally
        {
            page.Unlock(); // would BUG if the fault had taken (and so released) the lock itself
        }

        Assert.Equal((VmFaultResult.Retry, false), outcome);
        Assert.Equal(VmFaultResult.Retry, ops.Seen);
        Assert.False(page.IsLocked);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule32_LaterAttemptWithKillableLocksKillablyKeepingTheLockAndRetriesOnSigkill()
    {
        ResetWarnings();
        var page = new Page();
        var (ops, mm, vma) = Setup(page);
        (VmFaultResult, bool) outcome = default;
        page.Lock();
        try
        {
            var task = KernelTask.Start("fault", mm, () =>
                outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Tried));
            WaitUntilSleeping(task, TaskState.Killable);
            Assert.True(mm.MmapLock.IsLocked); // a TRIED attempt blocks while holding the lock (rule 4)
            task.SendSignal(Signal.SIGKILL);
            JoinOrFail(task);
            Assert.True(page.IsLocked); // still the test's: the killable lock gave up
        }
        finally
        {
            page.Unlock();
        }

        Assert.Equal((VmFaultResult.Retry, false), outcome); // the fault lock was released on the way out
        Assert.Equal(VmFaultResult.Retry, ops.Seen);
        Assert.False(ops.MmapLockHeldAfter);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Theory]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Tried, TaskState.Killable)]
    [InlineData(FaultFlags.AllowRetry | FaultFlags.Tried, TaskState.Uninterruptible)]
    [InlineData(FaultFlags.Killable, TaskState.Killable)]
    [InlineData(FaultFlags.None, TaskState.Uninterruptible)]
    public void Rule32_LaterAttemptOrNoRetryLocksThePageWithTheLockHeld(FaultFlags flags, TaskState sleep)
    {
        ResetWarnings();
        var page = new Page();
        var (ops, mm, vma) = Setup(page);
        (VmFaultResult, bool) outcome = default;
        page.Lock();
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, flags));
        try
        {
            WaitUntilSleeping(task, sleep);
            Assert.True(mm.MmapLock.IsLocked);
        }
        finally
        {
            page.Unlock();
        }

        JoinOrFail(task);
        Assert.Equal((VmFaultResult.None, true), outcome);
        Assert.True(ops.PageLockedAfter);
        Assert.True(ops.MmapLockHeldAfter);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule32_WithoutKillableSigkillDoesNotInterruptThePageLock()
    {
        var page = new Page();
        var (_, mm, vma) = Setup(page);
        (VmFaultResult, bool) outcome = default;
        page.Lock();
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.None));
        try
        {
            WaitUntilSleeping(task, TaskState.Uninterruptible);
            task.SendSignal(Signal.SIGKILL);
            Assert.Equal(TaskState.Uninterruptible, task.State);
            Assert.False(task.HasExited);
        }
        finally
        {
            page.Unlock();
        }

        JoinOrFail(task);
        Assert.Equal((VmFaultResult.None, true), outcome);
    }

    /// <summary>filemap_fault's page lock, as lock_folio_maybe_drop_mmap does it (rule 33).</summary>
    private static VmFaultResult FilemapFault(VmFault vmf, Page page)
    {
        var mm = vmf.Vma.Mm;
        if (!page.TryLock())
        {
            if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
            {
                return VmFaultResult.Retry; // "That's how FAULT_FLAG_RETRY_NOWAIT is supposed to work"
            }

            var fpin = false;
            if (MmFault.FaultFlagAllowRetryFirst(vmf.Flags))
            {
                mm.MmapReadUnlock(); // maybe_unlock_mmap_for_io
                fpin = true;
            }

            if ((vmf.Flags & FaultFlags.Killable) != 0)
            {
                if (page.LockKillable() != 0)
                {
                    if (!fpin)
                    {
                        mm.MmapReadUnlock();
                    }

                    return VmFaultResult.Retry;
                }
            }
            else
            {
                page.Lock();
            }

            if (fpin)
            {
                page.Unlock(); // once fpin is set the fault must return RETRY and not use the vma
                return VmFaultResult.Retry;
            }
        }

        vmf.Page = page;
        return VmFaultResult.Locked;
    }

    [Fact]
    public void Rule33_UnderRetryNowaitFilemapFaultReturnsRetryAndGupKeepsTheLock()
    {
        ResetWarnings();
        var page = new Page();
        var ops = new HandlerOps(v => FilemapFault(v, page));
        var mm = HandlerOps.Map(ops, 1, out _);
        page.Lock();
        try
        {
            RunTask("kvm", mm, () =>
            {
                var pages = new Page[1];
                mm.MmapReadLock();
                Assert.Equal(0, Gup.GetUserPages(mm, Base, 1, FollFlags.Nowait, pages)); // 0 only with NOWAIT
                Assert.True(mm.MmapLock.IsHeldByCurrent);
                mm.MmapReadUnlock();
            });
            Assert.True(page.IsLocked);
        }
        finally
        {
            page.Unlock();
        }

        Assert.Equal(new[] { FaultFlags.AllowRetry | FaultFlags.RetryNowait }, ops.Flags);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule33_FirstAttemptDropsTheLockForTheIoAndTheRetryLocksThePage()
    {
        ResetWarnings();
        var page = new Page();
        page.Data[0] = 0x44;
        var ops = new HandlerOps(v => FilemapFault(v, page));
        var mm = HandlerOps.Map(ops, 1, out _);
        long got = 0;
        byte seen = 0;
        page.Lock();
        var task = KernelTask.Start("reader", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.None, pages);
            if (got == 1)
            {
                seen = pages[0].Data[0];
                Gup.PutPage(pages[0]);
            }
        });
        try
        {
            WaitUntilSleeping(task, TaskState.Killable);
            Assert.False(mm.MmapLock.IsLocked); // dropped for the I/O
        }
        finally
        {
            page.Unlock();
        }

        JoinOrFail(task);
        Assert.Equal(1, got);
        Assert.Equal(0x44, seen);
        var first = FaultFlags.AllowRetry | FaultFlags.Killable;
        Assert.Equal(new[] { first, first | FaultFlags.Tried }, ops.Flags);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule33_AFailedKillableLockReturnsRetryAndGupStopsWithEintr()
    {
        ResetWarnings();
        var page = new Page();
        var ops = new HandlerOps(v => FilemapFault(v, page));
        var mm = HandlerOps.Map(ops, 1, out _);
        long got = 0;
        page.Lock();
        try
        {
            var task = KernelTask.Start("reader", mm, () => got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.None, new Page[1]));
            WaitUntilSleeping(task, TaskState.Killable);
            task.SendSignal(Signal.SIGKILL);
            JoinOrFail(task);
        }
        finally
        {
            page.Unlock();
        }

        Assert.Equal(-Errno.EINTR, got);
        Assert.Equal(1, ops.CallCount);
        Assert.False(mm.MmapLock.IsLocked);
        Assert.Empty(KernelDebug.Warnings);
    }

    /// <summary>A handler that must wait for <c>ready</c>, written with the three legal options of rule 34.</summary>
    private static VmFaultResult PoliteBlockingFault(VmFault vmf, WaitQueueHead wq, Func<bool> ready)
    {
        if (ready())
        {
            return HandlerOps.Supply(vmf, 0x34);
        }

        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
        {
            return VmFaultResult.Retry; // no sleep, lock kept
        }

        if (MmFault.FaultFlagAllowRetryFirst(vmf.Flags))
        {
            vmf.Vma.Mm.MmapReadUnlock(); // release, wait killably, Retry, do not touch the vma again
            Wait.EventKillable(wq, ready);
            return VmFaultResult.Retry;
        }

        if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
        {
            Wait.Event(wq, ready); // no retry possible: block holding the lock
            return HandlerOps.Supply(vmf, 0x34);
        }

        Wait.EventKillable(wq, ready); // a TRIED attempt blocks holding the lock
        return HandlerOps.Supply(vmf, 0x34);
    }

    [Fact]
    public void Rule34_WithAllowRetryFirstTheHandlerReleasesWaitsAndReturnsRetry()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var ready = false;
        var ops = new HandlerOps(v => PoliteBlockingFault(v, wq, () => Volatile.Read(ref ready)));
        var mm = HandlerOps.Map(ops, 1, out _);
        long got = 0;
        var task = KernelTask.Start("gup", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages);
            if (got == 1)
            {
                Gup.PutPage(pages[0]);
            }
        });
        WaitUntilSleeping(task, TaskState.Killable);
        Assert.False(mm.MmapLock.IsLocked);
        Volatile.Write(ref ready, true);
        wq.WakeUp();
        JoinOrFail(task);

        Assert.Equal(1, got);
        Assert.Equal(2, ops.CallCount);
        Assert.Equal(FaultFlags.Tried, ops.Flags[1] & FaultFlags.Tried);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule34_UnderRetryNowaitTheHandlerReturnsRetryWithoutSleepingOrUnlocking()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var ops = new HandlerOps(v => PoliteBlockingFault(v, wq, () => false));
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("kvm", mm, () =>
        {
            mm.MmapReadLock();
            var locked = true;
            Assert.Equal(0, Gup.GetUserPagesLocked(mm, Base, 1, FollFlags.Nowait, new Page[1], ref locked));
            Assert.True(locked);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Equal(1, ops.CallCount);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule34_WithoutAllowRetryTheHandlerBlocksHoldingTheLock()
    {
        ResetWarnings();
        var wq = new WaitQueueHead();
        var ready = false;
        var ops = new HandlerOps(v => PoliteBlockingFault(v, wq, () => Volatile.Read(ref ready)));
        var mm = HandlerOps.Map(ops, 1, out _);
        long got = 0;
        var task = KernelTask.Start("gup", mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 1, FollFlags.Write, pages);
            mm.MmapReadUnlock();
            if (got == 1)
            {
                Gup.PutPage(pages[0]);
            }
        });
        WaitUntilSleeping(task, TaskState.Uninterruptible);
        Assert.True(mm.MmapLock.IsLocked);
        Volatile.Write(ref ready, true);
        wq.WakeUp();
        JoinOrFail(task);
        Assert.Equal(1, got);
        Assert.Equal(new[] { FaultFlags.Write }, ops.Flags);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule34_WithoutAllowRetryTheHandlerMayReturnSigbusWhichGupReportsAsEfault()
    {
        ResetWarnings();
        var ops = new HandlerOps(v => (v.Flags & FaultFlags.AllowRetry) == 0 ? VmFaultResult.Sigbus : HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("gup", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(-Errno.EFAULT, Gup.GetUserPages(mm, Base, 1, FollFlags.Write, new Page[1]));
            mm.MmapReadUnlock();
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule34_ReturningRetryWithoutReleasingTheLockOutsideRetryNowaitIsReported()
    {
        ResetWarnings();
        var ops = new HandlerOps(_ => VmFaultResult.Retry);
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
            Assert.Equal((VmFaultResult.Retry, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable)));
        Assert.Equal(new[] { "FL2003" }, WarningIds());
    }
}
