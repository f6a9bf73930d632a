using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.DebugChecks;

/// <summary>
/// The fault-handler contract checks (rule 34), each reported under the FL rule that catches the same
/// mistake statically, and the correct handlers that must stay silent.
/// </summary>
public class FaultHandlerChecks
{
    private const FaultFlags Nowait = FaultFlags.AllowRetry | FaultFlags.RetryNowait;

    /// <summary>Runs a NOWAIT get_user_pages (KVM's async page fault) on page 0 of <paramref name="mm"/>.</summary>
    private static void NowaitGup(MmStruct mm)
    {
        RunTask("kvm", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(0, Gup.GetUserPages(mm, Base, 1, FollFlags.Nowait, new Page[1]));
            Assert.True(mm.MmapLock.IsHeldByCurrent);
            mm.MmapReadUnlock();
        });
    }

    [Fact]
    public void Fl2001_PageLockInAHandlerCalledWithRetryNowait()
    {
        ResetWarnings();
        var page = new Page();
        var ops = new HandlerOps(v =>
        {
            page.Lock(); // free, so it does not even block: might_sleep is enough
            page.Unlock();
            return VmFaultResult.Retry;
        });
        NowaitGup(HandlerOps.Map(ops, 1, out _));
        Assert.Equal(new[] { Nowait }, ops.Flags);
        Assert.Equal(new[] { "FL2001" }, WarningIds());
        Assert.Contains("RETRY_NOWAIT", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Fl2001_MutexLockInAHandlerCalledWithRetryNowait()
    {
        ResetWarnings();
        var mutex = new KMutex("driver_lock");
        var ops = new HandlerOps(v =>
        {
            mutex.Lock();
            mutex.Unlock();
            return VmFaultResult.Retry;
        });
        NowaitGup(HandlerOps.Map(ops, 1, out _));
        Assert.Equal(new[] { "FL2001" }, WarningIds());
    }

    [Fact]
    public void Fl2001_ScheduleInAHandlerCalledWithRetryNowait()
    {
        ResetWarnings();
        var ops = new HandlerOps(v =>
        {
            // A real sleep that cannot hang the test: a pending signal makes it return at once (rule 45).
            Sched.SetCurrentState(TaskState.Interruptible);
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            Sched.Schedule();
            KernelTask.Current.FlushSignals();
            return VmFaultResult.Retry;
        });
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () => Assert.Equal((VmFaultResult.Retry, true), HandlerOps.FaultOnce(vma, Base, Nowait)));
        Assert.Equal(new[] { "FL2001" }, WarningIds());
    }

    [Fact]
    public void Fl2001_IsSilentForAHandlerThatReturnsRetryWithTheLockHeldWithoutSleeping()
    {
        ResetWarnings();
        var page = new Page();
        var ops = new HandlerOps(v =>
        {
            if (!page.TryLock())
            {
                if ((v.Flags & FaultFlags.RetryNowait) != 0)
                {
                    return VmFaultResult.Retry; // trylock-or-retry: no sleep, the lock kept
                }

                page.Lock();
            }

            v.Page = page;
            return VmFaultResult.Locked;
        });
        page.Lock();
        try
        {
            NowaitGup(HandlerOps.Map(ops, 1, out _));
        }
        finally
        {
            page.Unlock();
        }

        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Fl2001_IsSilentForFilemapLockPageOrRetryUnderRetryNowait()
    {
        ResetWarnings();
        var page = new Page();
        var ops = new HandlerOps(v =>
        {
            var r = Filemap.LockPageOrRetry(page, v); // annotated might_sleep, but honours RetryNowait
            if (r != VmFaultResult.None)
            {
                return r;
            }

            v.Page = page;
            return VmFaultResult.Locked;
        });
        page.Lock();
        try
        {
            NowaitGup(HandlerOps.Map(ops, 1, out _));
        }
        finally
        {
            page.Unlock();
        }

        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Fl2001_IsSilentWhenTheSameHandlerSleepsWithoutRetryNowait()
    {
        ResetWarnings();
        var mutex = new KMutex("driver_lock");
        var ops = new HandlerOps(v =>
        {
            mutex.Lock();
            mutex.Unlock();
            return HandlerOps.Supply(v);
        });
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("gup", mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            Assert.Equal(1, Gup.GetUserPages(mm, Base, 1, FollFlags.Write, pages));
            mm.MmapReadUnlock();
            Gup.PutPage(pages[0]);
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Fl2002_RetryReturnedWithoutAllowRetry()
    {
        ResetWarnings();
        var ops = new HandlerOps(HandlerOps.DropAndRetry);
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(VmFaultResult.Retry, MmFault.HandleMmFault(vma, Base, FaultFlags.Write));
            Assert.False(mm.MmapLock.IsHeldByCurrent); // the handler dropped it
        });
        Assert.Equal(new[] { "FL2002" }, WarningIds());
        Assert.Contains("ALLOW_RETRY", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Fl2002_RetryReturnedToAPlainGetUserPages()
    {
        ResetWarnings();
        var ops = new HandlerOps(_ => VmFaultResult.Retry); // as if it could wait; keeps the lock
        var mm = HandlerOps.Map(ops, 1, out _);
        RunTask("gup", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(-Errno.EFAULT, Gup.GetUserPages(mm, Base, 1, FollFlags.Write, new Page[1]));
            mm.MmapReadUnlock();
        });
        Assert.Contains("FL2002", WarningIds());
    }

    [Fact]
    public void Fl2002_IsSilentWithAllowRetry()
    {
        ResetWarnings();
        var ops = new HandlerOps(HandlerOps.DropAndRetry);
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
            Assert.Equal((VmFaultResult.Retry, false), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable)));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Fl2004_MmapLockDroppedUnderRetryNowait()
    {
        ResetWarnings();
        var ops = new HandlerOps(HandlerOps.DropAndRetry);
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
        {
            mm.MmapReadLock();
            Assert.Equal(VmFaultResult.Retry, MmFault.HandleMmFault(vma, Base, Nowait));
            Assert.False(mm.MmapLock.IsHeldByCurrent); // GUP would still believe it holds the lock
        });
        Assert.Equal(new[] { "FL2004" }, WarningIds());
        Assert.Contains("RETRY_NOWAIT", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Fl2004_IsSilentWhenTheLockIsKeptUnderRetryNowait()
    {
        ResetWarnings();
        var ops = new HandlerOps(_ => VmFaultResult.Retry);
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () => Assert.Equal((VmFaultResult.Retry, true), HandlerOps.FaultOnce(vma, Base, Nowait)));
        Assert.Empty(KernelDebug.Warnings);
    }
}
