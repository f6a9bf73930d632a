using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;
using static FaultLine.Runtime.Tests.UffdTestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>
/// SEMANTICS.md rules 27-28: populate_vma_page_range's two lock modes (the model has no populate entry
/// point, so the test drives the GUP forms it is built on, the way __mm_populate does) and
/// fixup_user_fault.
/// </summary>
public class FixupUserFaultRules
{
    [Fact]
    public void Rule27_WithoutLockedTheLockMayBeHeldForWriteAndIsNeverDropped()
    {
        ResetWarnings();
        var mm = AnonMm(4, out _);
        RunTask("populate", mm, () =>
        {
            // populate_vma_page_range(vma, start, end, NULL) under mmap_write_lock (mlock, mmap MAP_POPULATE).
            mm.MmapWriteLock();
            Assert.Equal(4, Gup.GetUserPages(mm, Base, 4, FollFlags.Write, null));
            Assert.True(mm.MmapLock.IsWriteHeldByCurrent);
            mm.MmapWriteUnlock();
        });

        // A userfaultfd range cannot be waited for without UNLOCKABLE: it fails at once, lock still held.
        var umm = UffdMm(1, out var uffd);
        RunTask("populate", umm, () =>
        {
            umm.MmapWriteLock();
            Assert.Equal(-Errno.EFAULT, Gup.GetUserPages(umm, Base, 1, FollFlags.Write, null));
            Assert.True(umm.MmapLock.IsWriteHeldByCurrent);
            umm.MmapWriteUnlock();
        });
        Assert.False(uffd.TryRead(out _));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule27_WithLockedTheLockMayBeDroppedAndTheCallerFindsTheVmaAgain()
    {
        ResetWarnings();
        var mm = UffdMm(2, out var uffd);
        long got = 0;
        bool lockedAfter = true, heldAfter = true;
        VmAreaStruct? refound = null;
        var task = KernelTask.Start("populate", mm, () =>
        {
            // __mm_populate: locked = 1, populate_vma_page_range(vma, ..., &locked).
            mm.MmapReadLock();
            var locked = true;
            got = Gup.GetUserPagesLocked(mm, Base, 2, FollFlags.Write, null, ref locked);
            lockedAfter = locked;
            heldAfter = mm.MmapLock.IsHeldByCurrent;
            if (!locked)
            {
                // "if (!locked) { mmap_read_lock(mm); locked = 1; vma = find_vma_intersection(...) }"
                mm.MmapReadLock();
                refound = mm.VmaLookup(Base);
            }

            mm.MmapReadUnlock();
        });
        for (var i = 0; i < 2; i++)
        {
            var msg = ReadFault(uffd);
            Assert.Equal(Page.Size, uffd.Copy(msg.Address, PageOf(1)));
        }

        JoinOrFail(task);
        Assert.Equal(2, got);
        Assert.False(lockedAfter);
        Assert.False(heldAfter);
        Assert.NotNull(refound);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule28_WithUnlockedItWaitsRetakesTheLockAndReportsUnlocked()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        int ret = -1;
        bool unlocked = false, heldAfter = false;
        var data = new byte[8];
        int notCopied = -1;
        var task = KernelTask.Start("kvm", mm, () =>
        {
            mm.MmapReadLock();
            ret = Gup.FixupUserFault(mm, Base, FaultFlags.Write, ref unlocked);
            heldAfter = mm.MmapLock.IsHeldByCurrent;
            mm.MmapReadUnlock();
            notCopied = Uaccess.CopyFromUser(data, Base, data.Length);
        });
        var msg = ReadFault(uffd);
        Assert.True(msg.Write);
        WaitUntilSleeping(task, TaskState.Killable); // ALLOW_RETRY | KILLABLE, not INTERRUPTIBLE
        Assert.False(mm.MmapLock.IsLocked);          // dropped while it waits
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(0x42)));
        JoinOrFail(task);

        Assert.Equal(0, ret);
        Assert.True(unlocked);  // any vma the caller held is stale
        Assert.True(heldAfter); // but it never returns without the lock
        Assert.Equal(0, notCopied);
        Assert.All(data, b => Assert.Equal(0x42, b));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule28_WithoutUnlockedAUserfaultRangeFailsWithEfaultWithoutWaiting()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        RunTask("fixup", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(-Errno.EFAULT, Gup.FixupUserFault(mm, Base, FaultFlags.Write));
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.False(uffd.TryRead(out _));
        Assert.False(uffd.HasWaiters);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule28_WithoutUnlockedTheCallerMustNotPassAllowRetry()
    {
        ResetWarnings();
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("fixup", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(-Errno.EINVAL, Gup.FixupUserFault(mm, Base, FaultFlags.AllowRetry));
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Equal(0, ops.CallCount);
        Assert.Single(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule28_NoVmaOrNoPermissionIsEfaultBeforeAnyFault()
    {
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out _, VmFlags.Read);
        RunTask("fixup", mm, () =>
        {
            mm.MmapReadLock();
            var unlocked = false;
            Assert.Equal(-Errno.EFAULT, Gup.FixupUserFault(mm, PageAddress(5), FaultFlags.None, ref unlocked));
            Assert.Equal(-Errno.EFAULT, Gup.FixupUserFault(mm, Base - Page.Size, FaultFlags.None, ref unlocked));
            Assert.Equal(-Errno.EFAULT, Gup.FixupUserFault(mm, Base, FaultFlags.Write, ref unlocked));
            Assert.False(unlocked);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Equal(0, ops.CallCount);
    }

    [Fact]
    public void Rule28_KillableWithAFatalSignalPendingIsEintrBeforeTheFault()
    {
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 2, out _);
        RunTask("fixup", mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            mm.MmapReadLock();
            var unlocked = false;
            Assert.Equal(-Errno.EINTR, Gup.FixupUserFault(mm, Base, FaultFlags.Write, ref unlocked));
            Assert.Equal(0, ops.CallCount);

            // Without `unlocked` there is no KILLABLE unless the caller asks, so the fault runs.
            Assert.Equal(0, Gup.FixupUserFault(mm, PageAddress(1), FaultFlags.Write));
            Assert.Equal(1, ops.CallCount);
            mm.MmapReadUnlock();
        });
    }

    [Fact]
    public void Rule28_RetryRetakesTheLockAddsTriedAndLoopsUntilTheFaultIsDone()
    {
        ResetWarnings();
        var calls = 0;
        var ops = new HandlerOps(v => ++calls <= 3 ? HandlerOps.DropAndRetry(v) : HandlerOps.Supply(v, 9));
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("fixup", mm, () =>
        {
            mm.MmapReadLock();
            var unlocked = false;
            // Case 4: a second retry used to fall through and return 0 with nothing faulted in.
            Assert.Equal(0, Gup.FixupUserFault(mm, Base, FaultFlags.Write, ref unlocked));
            Assert.True(unlocked);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
            var b = new byte[1];
            Assert.Equal(0, Uaccess.CopyFromUser(b, Base, 1));
            Assert.Equal(9, b[0]);
        });

        var expectFirst = FaultFlags.Write | FaultFlags.AllowRetry | FaultFlags.Killable;
        Assert.Equal(new[] { expectFirst, expectFirst | FaultFlags.Tried, expectFirst | FaultFlags.Tried, expectFirst | FaultFlags.Tried }, ops.Flags);
        Assert.All(ops.LockHeldOnEntry, Assert.True); // re-taken before every new lookup and fault
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule28_CompletedRetakesTheLockAndReturnsZero()
    {
        ResetWarnings();
        var ops = new HandlerOps(v =>
        {
            v.InsertPage(new Page());
            v.Vma.Mm.MmapReadUnlock();
            return VmFaultResult.Completed;
        });
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("fixup", mm, () =>
        {
            mm.MmapReadLock();
            var unlocked = false;
            Assert.Equal(0, Gup.FixupUserFault(mm, Base, FaultFlags.None, ref unlocked));
            Assert.True(unlocked);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Equal(1, ops.CallCount);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Theory]
    [InlineData(VmFaultResult.Oom, -Errno.ENOMEM)]
    [InlineData(VmFaultResult.Sigbus, -Errno.EFAULT)]
    [InlineData(VmFaultResult.Sigsegv, -Errno.EFAULT)]
    [InlineData(VmFaultResult.Hwpoison, -Errno.EFAULT)]
    public void Rule28_AnErrorFromTheFaultIsReturnedAsItsErrno(VmFaultResult error, int expected)
    {
        var ops = new HandlerOps(_ => error);
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("fixup", mm, () =>
        {
            mm.MmapReadLock();
            var unlocked = false;
            Assert.Equal(expected, Gup.FixupUserFault(mm, Base, FaultFlags.Write, ref unlocked));
            Assert.False(unlocked);
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
        Assert.Equal(1, ops.CallCount);
    }
}
