using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;
using static FaultLine.Runtime.Tests.UffdTestKit;

namespace FaultLine.Runtime.Tests.BadInput;

/// <summary>
/// Bad input to every public entry point outside <see cref="Gup"/>: invalid arguments give the kernel's
/// errno (or <see cref="ArgumentException"/> / <see cref="ArgumentNullException"/> where the API returns
/// no errno) and change nothing; contract violations the kernel would BUG() on throw
/// <see cref="KernelBugException"/> with a message that names the contract.
/// </summary>
public class OtherBadInputTests
{
    // ---- MmStruct.Mmap / FindVma ----

    [Theory]
    [InlineData(Base + 1, (ulong)Page.Size)]              // unaligned start
    [InlineData(Base, 0UL)]                                // empty
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 2UL * Page.Size)] // wraps around the address space
    [InlineData(Base, ulong.MaxValue)]                     // rounding the length up overflows
    public void Mmap_InvalidRange_IsEinvalAndMapsNothing(ulong start, ulong length)
    {
        var mm = new MmStruct();
        var e = Assert.Throws<ArgumentException>(() => mm.Mmap(start, length, VmFlags.Read | VmFlags.Write, null));
        Assert.Contains("-EINVAL", e.Message);
        Assert.Empty(mm.Vmas);
        Assert.False(mm.MmapLock.IsLocked);
    }

    [Fact]
    public void Mmap_Overlap_IsEexistAndKeepsTheOldMapping()
    {
        var mm = AnonMm(2, out var old);
        var e = Assert.Throws<ArgumentException>(() => mm.Mmap(PageAddress(1), 2 * Page.Size, VmFlags.Read, null));
        Assert.Contains("-EEXIST", e.Message);
        Assert.Same(old, Assert.Single(mm.Vmas));
        Assert.False(mm.MmapLock.IsLocked);
    }

    [Fact]
    public void Mmap_WithTheMmapLockHeld_IsAKernelBugNamingTheLock()
    {
        var mm = AnonMm(1, out _);
        RunTask("mapper", mm, () =>
        {
            mm.MmapReadLock();
            var e = Assert.Throws<KernelBugException>(() => mm.Mmap(PageAddress(4), Page.Size, VmFlags.Read, null));
            Assert.Contains("mmap_lock", e.Message);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Single(mm.Vmas);
    }

    [Fact]
    public void FindVma_WithoutTheLock_IsReportedAsFl4002()
    {
        ResetWarnings();
        var mm = AnonMm(1, out var vma);
        RunTask("finder", mm, () => Assert.Same(vma, mm.FindVma(Base)));
        Assert.Equal(new[] { "FL4002" }, WarningIds());
    }

    [Fact]
    public void FindVma_AboveEveryMappingIsNullAndVmaLookupInAHoleIsNull()
    {
        ResetWarnings();
        var mm = AnonMm(1, out var vma);
        RunTask("finder", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Null(mm.FindVma(PageAddress(1)));
            Assert.Same(vma, mm.FindVma(Base - Page.Size)); // find_vma: the next one above
            Assert.Null(mm.VmaLookup(Base - Page.Size));
            mm.MmapReadUnlock();
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    // ---- Userfaultfd ----

    [Fact]
    public void UserfaultfdCreate_NullMm_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => Userfaultfd.Create(null!));
        Assert.Throws<ArgumentNullException>(() => Userfaultfd.HandleUserfault(null!, UffdReason.Missing));
    }

    [Theory]
    [InlineData(Base + 8, (ulong)Page.Size)]              // unaligned start
    [InlineData(Base, (ulong)Page.Size + 1)]               // unaligned length
    [InlineData(Base, 0UL)]                                // empty
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 2UL * Page.Size)] // wraps
    [InlineData(Base + 8 * Page.Size, (ulong)Page.Size)]   // no vma there
    public void Register_InvalidRange_IsEinvalAndRegistersNothing(ulong start, ulong len)
    {
        var mm = AnonMm(2, out var vma);
        var uffd = Userfaultfd.Create(mm);
        Assert.Equal(-Errno.EINVAL, uffd.Register(start, len, UffdRegisterMode.Missing));
        Assert.Equal(VmFlags.Read | VmFlags.Write, vma.Flags);
        AssertFaultsAreNotServed(mm, uffd);
    }

    [Theory]
    [InlineData(UffdRegisterMode.Wp)]
    [InlineData(UffdRegisterMode.Missing | UffdRegisterMode.Wp)]
    [InlineData((UffdRegisterMode)0)]
    [InlineData((UffdRegisterMode)8)]
    public void Register_UnsupportedMode_IsEinval(UffdRegisterMode mode)
    {
        var mm = AnonMm(1, out var vma);
        var uffd = Userfaultfd.Create(mm);
        Assert.Equal(-Errno.EINVAL, uffd.Register(Base, Page.Size, mode));
        Assert.Equal(VmFlags.Read | VmFlags.Write, vma.Flags);
    }

    [Fact]
    public void Register_AVmaWithFaultHandlersOrIo_IsEinval()
    {
        var mm = new MmStruct();
        var file = mm.Mmap(Base, Page.Size, VmFlags.Read, new HandlerOps(v => HandlerOps.Supply(v)));
        var io = mm.Mmap(PageAddress(1), Page.Size, VmFlags.Read | VmFlags.Io, null);
        var uffd = Userfaultfd.Create(mm);
        Assert.Equal(-Errno.EINVAL, uffd.Register(Base, Page.Size, UffdRegisterMode.Missing));
        Assert.Equal(-Errno.EINVAL, uffd.Register(PageAddress(1), Page.Size, UffdRegisterMode.Missing));
        Assert.Equal(VmFlags.Read, file.Flags);
        Assert.Equal(VmFlags.Read | VmFlags.Io, io.Flags);
    }

    [Fact]
    public void Register_ARangeOfAnotherContext_IsEbusyAndTheOwnerKeepsIt()
    {
        var mm = UffdMm(1, out var owner);
        var other = Userfaultfd.Create(mm);
        Assert.Equal(-Errno.EBUSY, other.Register(Base, Page.Size, UffdRegisterMode.Missing));

        // UFFDIO_COPY through the wrong context: not its range.
        Assert.Equal(-Errno.ENOENT, other.Copy(Base, PageOf(1)));

        long got = 0;
        var task = KernelTask.Start("vcpu", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.None, pages);
            if (got == 1)
            {
                Assert.Equal(2, pages[0].Data[0]);
                Gup.PutPage(pages[0]);
            }
        });
        Assert.Equal(Base, ReadFault(owner).Address); // the fault still goes to the owner
        Assert.False(other.TryRead(out _));
        Assert.Equal(Page.Size, owner.Copy(Base, PageOf(2)));
        JoinOrFail(task);
        Assert.Equal(1, got);
    }

    [Fact]
    public void Copy_InvalidArguments_GiveTheKernelsErrnoAndFillNothing()
    {
        var mm = UffdMm(2, out var uffd);
        Assert.Throws<ArgumentNullException>(() => uffd.Copy(Base, null!));
        Assert.Equal(-Errno.EINVAL, uffd.Copy(Base + 16, PageOf(1)));                   // unaligned dst
        Assert.Equal(-Errno.EINVAL, uffd.Copy(Base, Array.Empty<byte>()));              // empty
        Assert.Equal(-Errno.EINVAL, uffd.Copy(Base, new byte[Page.Size / 2]));          // not whole pages
        Assert.Equal(-Errno.EINVAL, uffd.Copy(0xFFFF_FFFF_FFFF_F000UL, new byte[2 * Page.Size])); // wraps
        Assert.Equal(-Errno.EINVAL, uffd.Copy(Base, PageOf(1), (UffdCopyMode)4));        // unknown mode bit
        Assert.Equal(-Errno.ENOENT, uffd.Copy(PageAddress(5), PageOf(1)));              // not a registered range
        AssertFaultsAreServed(mm, uffd, fill: 9);

        // A page that is already there: -EEXIST, and its contents stay.
        Assert.Equal(-Errno.EEXIST, uffd.Copy(Base, PageOf(3)));
        RunTask("reader", mm, () =>
        {
            var b = new byte[1];
            Assert.Equal(0, Uaccess.CopyFromUser(b, Base, 1));
            Assert.Equal(9, b[0]);
        });
    }

    [Fact]
    public void Read_WithASignalPendingAndNoFault_IsErestartsysAndAQueuedFaultStillWins()
    {
        var mm = UffdMm(1, out var uffd);
        UffdMsg empty = default, queued = default;
        RunTask("resolver", null, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            empty = uffd.Read(); // would block forever without the signal: nobody faults yet
            KernelTask.Current.FlushSignals();
        });
        Assert.True(empty.IsError);
        Assert.Equal(-Errno.ERESTARTSYS, empty.Error);
        Assert.Equal(UffdEvent.None, empty.Event);

        var vcpu = KernelTask.Start("vcpu", mm, () =>
        {
            var pages = new Page[1];
            if (Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.None, pages) == 1)
            {
                Gup.PutPage(pages[0]);
            }
        });
        WaitUntilSleeping(vcpu, TaskState.Killable);
        RunTask("resolver", null, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            queued = uffd.Read(); // a pending message is returned before the signal is looked at
            KernelTask.Current.FlushSignals();
        });
        Assert.Equal(UffdEvent.Pagefault, queued.Event);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(1)));
        JoinOrFail(vcpu);
    }

    [Fact]
    public void AReleasedContext_ReadsEbadfAndRefusesRegisterAndCopyWithEbadf()
    {
        var mm = AnonMm(2, out var vma);
        var uffd = Userfaultfd.Create(mm);
        Assert.Equal(0, uffd.Register(Base, 2 * Page.Size, UffdRegisterMode.Missing));
        uffd.Release();
        uffd.Release(); // a second close changes nothing
        Assert.Equal(VmFlags.Read | VmFlags.Write, vma.Flags);

        var msg = default(UffdMsg);
        RunTask("resolver", null, () => msg = uffd.Read()); // returns at once: nothing will ever come
        Assert.Equal(-Errno.EBADF, msg.Error);
        Assert.Equal(-Errno.EBADF, uffd.Register(Base, 2 * Page.Size, UffdRegisterMode.Missing));
        Assert.Equal(-Errno.EBADF, uffd.Copy(Base, PageOf(1)));
        Assert.Equal(VmFlags.Read | VmFlags.Write, vma.Flags);
        Assert.False(uffd.TryRead(out _));
    }

    [Theory]
    [InlineData(Base + 1, (ulong)Page.Size)]
    [InlineData(Base, (ulong)Page.Size - 1)]
    [InlineData(Base, 0UL)]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL, 2UL * Page.Size)]
    public void Wake_InvalidRange_ThrowsEinvalAndWakesNobody(ulong start, ulong len)
    {
        var mm = UffdMm(2, out var uffd);
        var vma = mm.Vmas[0];
        (VmFaultResult, bool) outcome = default;
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, PageAddress(1), FaultFlags.AllowRetry));
        ReadFault(uffd);
        WaitUntilSleeping(task, TaskState.Uninterruptible);

        var e = Assert.Throws<ArgumentException>(() => uffd.Wake(start, len));
        Assert.Contains("-EINVAL", e.Message);
        Assert.Equal(TaskState.Uninterruptible, task.State);
        Assert.False(task.HasExited);

        uffd.Wake(PageAddress(1), Page.Size);
        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
    }

    // ---- Wait / Sched ----

    [Fact]
    public void Wait_NullArguments_ThrowArgumentNullAndLeaveTheTaskRunningAndUnqueued()
    {
        var wq = new WaitQueueHead();
        RunTask("waiter", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            var calls = new Action[]
            {
                () => Wait.PrepareToWait(null!, entry, TaskState.Interruptible),
                () => Wait.PrepareToWait(wq, null!, TaskState.Interruptible),
                () => Wait.PrepareToWaitExclusive(null!, entry, TaskState.Interruptible),
                () => Wait.PrepareToWaitExclusive(wq, null!, TaskState.Interruptible),
                () => Wait.FinishWait(null!, entry),
                () => Wait.FinishWait(wq, null!),
                () => Wait.AddWaitQueue(null!, entry),
                () => Wait.AddWaitQueue(wq, null!),
                () => Wait.RemoveWaitQueue(null!, entry),
                () => Wait.RemoveWaitQueue(wq, null!),
                () => Wait.Event(null!, () => true),
                () => Wait.Event(wq, null!),
                () => Wait.EventInterruptible(null!, () => true),
                () => Wait.EventInterruptible(wq, null!),
                () => Wait.EventKillable(null!, () => true),
                () => Wait.EventKillable(wq, null!),
                () => Wait.EventTimeout(null!, () => true, 1),
                () => Wait.EventTimeout(wq, null!, 1),
                () => Wait.EventInterruptibleTimeout(null!, () => true, 1),
                () => Wait.EventInterruptibleTimeout(wq, null!, 1),
            };
            foreach (var call in calls)
            {
                Assert.Throws<ArgumentNullException>(call);
                Assert.Equal(TaskState.Running, KernelTask.Current.State);
                Assert.False(entry.Queued);
                Assert.False(wq.HasSleepers);
            }
        });
        Assert.Throws<ArgumentNullException>(() => new WaitQueueEntry(null!));
        Assert.Throws<ArgumentNullException>(() => new WaitQueueEntry(null!, autoRemove: false));
    }

    [Fact]
    public void Wait_AnUndefinedTaskState_ThrowsAndChangesNothing()
    {
        var wq = new WaitQueueHead();
        RunTask("waiter", null, () =>
        {
            var entry = new WaitQueueEntry(KernelTask.Current);
            var bogus = (TaskState)0x40;
            Assert.Throws<ArgumentOutOfRangeException>(() => Sched.SetCurrentState(bogus));
            Assert.Throws<ArgumentOutOfRangeException>(() => Wait.PrepareToWait(wq, entry, bogus));
            Assert.Throws<ArgumentOutOfRangeException>(() => Wait.PrepareToWaitExclusive(wq, entry, bogus));
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
            Assert.False(entry.Queued);
        });
    }

    [Fact]
    public void EventTimeout_NegativeTimeout_ReturnsZeroWithoutSleeping()
    {
        var wq = new WaitQueueHead();
        long ret = -1;
        RunTask("waiter", null, () =>
        {
            ret = Wait.EventTimeout(wq, () => false, -5);
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
        });
        Assert.Equal(0, ret);
        Assert.False(wq.HasSleepers);
    }

    [Fact]
    public void ScheduleTimeout_NegativeTicks_WarnsReturnsZeroAndLeavesTheTaskRunning()
    {
        ResetWarnings();
        long ret = -1;
        RunTask("sleeper", null, () =>
        {
            Sched.SetCurrentState(TaskState.Interruptible);
            ret = Sched.ScheduleTimeout(-1);
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
        });
        Assert.Equal(0, ret);
        var w = Assert.Single(KernelDebug.Warnings);
        Assert.Contains("wrong timeout value", w.Message);
    }

    // ---- Locks ----

    [Fact]
    public void RwSemaphore_ReleasingALockNotHeld_IsReportedAndIgnored()
    {
        ResetWarnings();
        var sem = new RwSemaphore("sem");
        RunTask("t", null, () =>
        {
            sem.UpRead();
            sem.UpWrite();
            Assert.False(sem.IsLocked);
            sem.DownRead();
            sem.UpWrite(); // held for read, released as write
            Assert.True(sem.IsHeldByCurrent);
            sem.UpRead();
            Assert.False(sem.IsLocked);
        });
        Assert.Equal(new[] { "FL4007", "FL4007", "FL4007" }, WarningIds());
    }

    [Fact]
    public void RwSemaphore_ReleasedByATaskThatDoesNotHoldIt_IsReportedAndTheOwnerKeepsIt()
    {
        ResetWarnings();
        var sem = new RwSemaphore("sem");
        var wq = new WaitQueueHead();
        var mode = 0; // 0: hold for read, 1: hold for write, 2: done
        var holding = false;
        var release = false;
        var owner = KernelTask.Start("owner", null, () =>
        {
            sem.DownRead();
            Volatile.Write(ref holding, true);
            Wait.Event(wq, () => Volatile.Read(ref release));
            Assert.True(sem.IsHeldByCurrent);
            sem.UpRead();
            Volatile.Write(ref mode, 1);
            sem.DownWrite();
            Volatile.Write(ref release, false);
            Volatile.Write(ref holding, true);
            Wait.Event(wq, () => Volatile.Read(ref release));
            Assert.True(sem.IsWriteHeldByCurrent);
            sem.UpWrite();
            Volatile.Write(ref mode, 2);
        });

        WaitUntil(() => Volatile.Read(ref holding), "the owner holding it for read");
        RunTask("intruder", null, () => sem.UpRead());
        Assert.True(sem.IsLocked);
        Volatile.Write(ref holding, false);
        Volatile.Write(ref release, true);
        wq.WakeUpAll();

        WaitUntil(() => Volatile.Read(ref mode) == 1 && Volatile.Read(ref holding), "the owner holding it for write");
        RunTask("intruder", null, () => sem.UpWrite());
        Assert.True(sem.IsLocked);
        Volatile.Write(ref release, true);
        wq.WakeUpAll();
        JoinOrFail(owner);
        Assert.False(sem.IsLocked);
        Assert.Equal(new[] { "FL4007", "FL4007" }, WarningIds());
    }

    [Fact]
    public void RwSemaphore_KillableDownWithSigkillPendingAndContention_IsEintrAndTakesNothing()
    {
        var sem = new RwSemaphore("sem");
        var wq = new WaitQueueHead();
        var holding = false;
        var release = false;
        var writer = KernelTask.Start("writer", null, () =>
        {
            sem.DownWrite();
            Volatile.Write(ref holding, true);
            Wait.Event(wq, () => Volatile.Read(ref release));
            sem.UpWrite();
        });
        WaitUntil(() => Volatile.Read(ref holding), "the writer holding it");
        RunTask("reader", null, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            Assert.Equal(-Errno.EINTR, sem.DownReadKillable());
            Assert.Equal(-Errno.EINTR, sem.DownWriteKillable());
            Assert.False(sem.IsHeldByCurrent);
        });
        Volatile.Write(ref release, true);
        wq.WakeUpAll();
        JoinOrFail(writer);
        Assert.False(sem.IsLocked);
        Assert.True(sem.DownWriteTrylock()); // nothing was left behind by the failed attempts
        sem.UpWrite();
    }

    [Fact]
    public void KMutex_UnlockingAnUnlockedMutex_IsReportedAndIgnored()
    {
        ResetWarnings();
        var mutex = new KMutex("m");
        RunTask("t", null, () => mutex.Unlock());
        Assert.False(mutex.IsLocked);
        Assert.Equal(new[] { "FL4007" }, WarningIds());
    }

    [Fact]
    public void KMutex_UnlockedByANonOwner_IsReportedAndTheOwnerKeepsIt()
    {
        ResetWarnings();
        var mutex = new KMutex("m");
        mutex.Lock();
        try
        {
            RunTask("intruder", null, () => mutex.Unlock());
            Assert.True(mutex.IsLocked);
        }
        finally
        {
            mutex.Unlock();
        }

        Assert.False(mutex.IsLocked);
        var w = Assert.Single(KernelDebug.Warnings);
        Assert.Contains("owned by", w.Message);
    }

    [Fact]
    public void KMutex_InterruptibleAndKillableLocksGiveEintrAndTakeNothing()
    {
        var mutex = new KMutex("m");
        mutex.Lock();
        try
        {
            RunTask("waiter", null, () =>
            {
                KernelTask.Current.SendSignal(Signal.SIGUSR1);
                Assert.Equal(-Errno.EINTR, mutex.LockInterruptible());
                KernelTask.Current.SendSignal(Signal.SIGKILL);
                Assert.Equal(-Errno.EINTR, mutex.LockKillable());
            });
            Assert.True(mutex.IsLocked);
        }
        finally
        {
            mutex.Unlock();
        }

        Assert.True(mutex.TryLock());
        mutex.Unlock();
    }

    [Fact]
    public void KSpinLock_RecursionUnlockWhenUnlockedAndWrongOwner_AreKernelBugs()
    {
        ResetWarnings();
        var spin = new KSpinLock("ptl");
        RunTask("t", null, () =>
        {
            Assert.Contains("already unlocked", Assert.Throws<KernelBugException>(() => spin.Unlock()).Message);
            spin.Lock();
            Assert.Contains("spinlock recursion", Assert.Throws<KernelBugException>(() => spin.Lock()).Message);
            Assert.True(spin.IsLocked);
            Assert.False(spin.TryLock());

            var other = KernelTask.Start("other", null, () =>
                Assert.Contains("wrong owner", Assert.Throws<KernelBugException>(() => spin.Unlock()).Message));
            JoinOrFail(other);
            Assert.True(spin.IsLocked);
            spin.Unlock(); // held exactly once
            Assert.False(spin.IsLocked);

            // And the task is out of atomic context again: a sleeping lock is fine.
            var m = new KMutex();
            m.Lock();
            m.Unlock();
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    // ---- Page / Filemap ----

    [Fact]
    public void Page_UnlockingAnUnlockedPage_IsAKernelBug()
    {
        var page = new Page();
        var e = Assert.Throws<KernelBugException>(() => page.Unlock());
        Assert.Contains("unlock_page", e.Message);
        Assert.Contains("not locked", e.Message);
        Assert.False(page.IsLocked);
    }

    [Fact]
    public void Page_LockKillableWithSigkillPending_IsEintrAndLeavesTheHolder()
    {
        var page = new Page();
        page.Lock();
        try
        {
            RunTask("waiter", null, () =>
            {
                KernelTask.Current.SendSignal(Signal.SIGKILL);
                Assert.Equal(-Errno.EINTR, page.LockKillable());
            });
            Assert.True(page.IsLocked);
        }
        finally
        {
            page.Unlock();
        }

        Assert.False(page.IsLocked);
    }

    [Fact]
    public void Filemap_NullArguments_ThrowArgumentNull()
    {
        var page = new Page();
        Exception? nullPage = null, nullVmf = null;
        var ops = new HandlerOps(v =>
        {
            nullPage = Record.Exception(() => Filemap.LockPageOrRetry(null!, v));
            nullVmf = Record.Exception(() => Filemap.LockPageOrRetry(page, null!));
            return HandlerOps.Supply(v);
        });
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () => Assert.Equal((VmFaultResult.None, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry)));
        Assert.IsType<ArgumentNullException>(nullPage);
        Assert.IsType<ArgumentNullException>(nullVmf);
        Assert.False(page.IsLocked);
    }

    // ---- MmFault.HandleMmFault ----

    [Fact]
    public void HandleMmFault_NullVma_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => MmFault.HandleMmFault(null!, Base, FaultFlags.None));
    }

    [Fact]
    public void HandleMmFault_WithoutTheMmapLock_IsAKernelBugAndFaultsNothing()
    {
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
        {
            var e = Assert.Throws<KernelBugException>(() => MmFault.HandleMmFault(vma, Base, FaultFlags.AllowRetry));
            Assert.Contains("mmap lock must be held", e.Message);
        });
        Assert.Equal(0, ops.CallCount);
    }

    [Fact]
    public void HandleMmFault_AnAddressOutsideTheVma_IsAKernelBugAndFaultsNothing()
    {
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
        {
            mm.MmapReadLock();
            var e = Assert.Throws<KernelBugException>(() => MmFault.HandleMmFault(vma, PageAddress(1), FaultFlags.None));
            Assert.Contains("outside", e.Message);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Equal(0, ops.CallCount);
    }

    // ---- Uaccess ----

    [Fact]
    public void Uaccess_NullBuffersAndBadCounts_ThrowAndCopyNothing()
    {
        var mm = AnonMm(1, out _);
        RunTask("copier", mm, () =>
        {
            var buf = new byte[8];
            Assert.Throws<ArgumentNullException>(() => Uaccess.CopyFromUser(null!, Base, 1));
            Assert.Throws<ArgumentNullException>(() => Uaccess.CopyToUser(Base, null!, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Uaccess.CopyFromUser(buf, Base, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Uaccess.CopyFromUser(buf, Base, 9));
            Assert.Throws<ArgumentOutOfRangeException>(() => Uaccess.CopyToUser(Base, buf, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => Uaccess.CopyToUser(Base, buf, 9));
        });

        // Nothing was faulted in by the rejected calls.
        RunTask("check", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(-Errno.EFAULT, Gup.GetUserPages(mm, Base, 1, FollFlags.Nofault, null));
            mm.MmapReadUnlock();
        });
    }

    [Fact]
    public void Uaccess_UnmappedOrWrappingAddresses_ReturnEveryByteAsNotCopied()
    {
        var mm = AnonMm(1, out _);
        RunTask("copier", mm, () =>
        {
            var buf = new byte[16];
            Assert.Equal(16, Uaccess.CopyFromUser(buf, PageAddress(3), 16));
            Assert.Equal(16, Uaccess.CopyToUser(PageAddress(3), buf, 16));
            Assert.Equal(16, Uaccess.CopyFromUser(buf, ulong.MaxValue - 3, 16));
            Assert.Equal(16, Uaccess.CopyToUser(ulong.MaxValue - 3, buf, 16));
            Assert.Equal(0, Uaccess.CopyFromUser(buf, PageAddress(3), 0));
        });
    }

    [Fact]
    public void Uaccess_AcrossTheEndOfAMapping_CopiesThePrefixAndReportsTheRest()
    {
        var mm = AnonMm(1, out _);
        RunTask("copier", mm, () =>
        {
            var src = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
            Assert.Equal(8, Uaccess.CopyToUser(PageAddress(1) - 8, src, 16));
            var back = new byte[8];
            Assert.Equal(0, Uaccess.CopyFromUser(back, PageAddress(1) - 8, 8));
            Assert.Equal(src.Take(8), back);
        });
    }

    [Fact]
    public void Uaccess_WriteToAReadOnlyMapping_CopiesNothing()
    {
        var mm = new MmStruct();
        mm.Mmap(Base, Page.Size, VmFlags.Read, null);
        RunTask("copier", mm, () =>
        {
            var zero = new byte[4];
            Assert.Equal(0, Uaccess.CopyFromUser(zero, Base, 4)); // read faults the zero page in
            Assert.Equal(4, Uaccess.CopyToUser(Base, new byte[] { 1, 2, 3, 4 }, 4));
            var back = new byte[4] { 9, 9, 9, 9 };
            Assert.Equal(0, Uaccess.CopyFromUser(back, Base, 4));
            Assert.Equal(new byte[4], back);
        });
    }

    [Fact]
    public void Uaccess_FromAKernelThreadWithoutAnMm_CopiesNothing()
    {
        RunTask("kthread", null, () =>
        {
            var buf = new byte[4];
            Assert.Equal(4, Uaccess.CopyFromUser(buf, Base, 4));
            Assert.Equal(4, Uaccess.CopyToUser(Base, buf, 4));
        });
    }

    // ---- KernelTask / Signals / KernelDebug ----

    [Fact]
    public void KernelTaskStart_NullCommOrBody_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => KernelTask.Start(null!, null, () => { }));
        Assert.Throws<ArgumentNullException>(() => KernelTask.Start("t", null, null!));
    }

    [Fact]
    public void SignalsAndLockdep_NullArguments_ThrowArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => Signals.SignalPendingState(TaskState.Interruptible, null!));
        Assert.Throws<ArgumentNullException>(() => Signals.FaultSignalPending(VmFaultResult.Retry, false, null!));
        Assert.Throws<ArgumentNullException>(() => KernelDebug.LockdepAssertHeld(null!));
    }

    // ---- helpers ----

    /// <summary>A fault in [Base, +1 page) is not queued on <paramref name="uffd"/>: anonymous memory serves it.</summary>
    private static void AssertFaultsAreNotServed(MmStruct mm, Userfaultfd uffd)
    {
        RunTask("toucher", mm, () =>
        {
            var pages = new Page[1];
            Assert.Equal(1, Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages));
            Gup.PutPage(pages[0]);
        });
        Assert.False(uffd.TryRead(out _));
    }

    /// <summary>A fault at Base goes to <paramref name="uffd"/> and is filled with <paramref name="fill"/>.</summary>
    private static void AssertFaultsAreServed(MmStruct mm, Userfaultfd uffd, byte fill)
    {
        var task = KernelTask.Start("toucher", mm, () =>
        {
            var pages = new Page[1];
            Assert.Equal(1, Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages));
            Assert.Equal(fill, pages[0].Data[0]);
            Gup.PutPage(pages[0]);
        });
        Assert.Equal(Base, ReadFault(uffd).Address);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(fill)));
        JoinOrFail(task);
    }
}
