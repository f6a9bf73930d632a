using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;
using static FaultLine.Runtime.Tests.UffdTestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>
/// SEMANTICS.md rules 29-31: handle_mm_fault's entry checks, the lock state it returns with, and the
/// arch fault loop that copy_from_user / copy_to_user run on a missing page.
/// </summary>
public class FaultEntryRules
{
    private const FaultFlags Default = FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible;

    [Fact]
    public void Rule29_HandleMmFaultSetsTheTaskRunning()
    {
        ResetWarnings();
        var mm = AnonMm(1, out var vma);
        RunTask("fault", mm, () =>
        {
            mm.MmapReadLock();
            Sched.SetCurrentState(TaskState.Interruptible);
            Assert.Equal(VmFaultResult.None, MmFault.HandleMmFault(vma, Base, FaultFlags.Write));
            Assert.Equal(TaskState.Running, KernelTask.Current.State);
            mm.MmapReadUnlock();
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule29_TheHandlerRunsWithTheMmapLockHeld()
    {
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () => Assert.Equal((VmFaultResult.None, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.None)));
        Assert.Equal(new[] { true }, ops.LockHeldOnEntry);
    }

    [Fact]
    public void Rule29_WriteTogetherWithUnshareIsWarnedAndSigsegvWithoutCallingTheHandler()
    {
        ResetWarnings();
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
            Assert.Equal((VmFaultResult.Sigsegv, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.Write | FaultFlags.Unshare)));
        Assert.Equal(0, ops.CallCount);
        var warning = Assert.Single(KernelDebug.Warnings);
        Assert.Contains("UNSHARE", warning.Message);
    }

    [Fact]
    public void Rule29_AWriteFaultOnAVmaWithoutWriteIsWarnedAndSigsegv()
    {
        ResetWarnings();
        var ops = new HandlerOps(v => HandlerOps.Supply(v));
        var mm = HandlerOps.Map(ops, 1, out var vma, VmFlags.Read);
        RunTask("fault", mm, () =>
        {
            Assert.Equal((VmFaultResult.Sigsegv, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.Write));
            Assert.Equal((VmFaultResult.None, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.None));
        });
        Assert.Equal(1, ops.CallCount);
        Assert.Single(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule30_RetryMeansTheHandlerReleasedTheLock()
    {
        ResetWarnings();
        var ops = new HandlerOps(HandlerOps.DropAndRetry);
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
        {
            Assert.Equal((VmFaultResult.Retry, false), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable));
            Assert.False(mm.MmapLock.IsLocked);
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule30_CompletedMeansTheLockIsGoneAndThePageIsThere()
    {
        ResetWarnings();
        var ops = new HandlerOps(v =>
        {
            var page = new Page();
            page.Data[0] = 0x77;
            v.InsertPage(page);
            v.Vma.Mm.MmapReadUnlock();
            return VmFaultResult.Completed;
        });
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
        {
            Assert.Equal((VmFaultResult.Completed, false), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry));
            var b = new byte[1];
            Assert.Equal(0, Uaccess.CopyFromUser(b, Base, 1));
            Assert.Equal(0x77, b[0]);
        });
        Assert.Equal(1, ops.CallCount);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule30_RetryUnderRetryNowaitComesBackWithTheLockHeld()
    {
        ResetWarnings();
        var ops = new HandlerOps(_ => VmFaultResult.Retry);
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
            Assert.Equal((VmFaultResult.Retry, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.RetryNowait)));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Theory]
    [InlineData(VmFaultResult.None)]
    [InlineData(VmFaultResult.Nopage)]
    [InlineData(VmFaultResult.Sigbus)]
    [InlineData(VmFaultResult.Oom)]
    [InlineData(VmFaultResult.Sigsegv)]
    public void Rule30_AnyOtherResultLeavesTheLockHeld(VmFaultResult answer)
    {
        ResetWarnings();
        var ops = new HandlerOps(v => answer switch
        {
            VmFaultResult.None => HandlerOps.Supply(v),
            VmFaultResult.Nopage => v.InsertPage(new Page()),
            _ => answer,
        });
        var mm = HandlerOps.Map(ops, 1, out var vma);
        RunTask("fault", mm, () =>
            Assert.Equal((answer, true), HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable)));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule30_AUserfaultRetryHasReleasedTheLock()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var vma = mm.Vmas[0];
        (VmFaultResult, bool) outcome = default;
        var task = KernelTask.Start("fault", mm, () => outcome = HandlerOps.FaultOnce(vma, Base, FaultFlags.AllowRetry | FaultFlags.Killable));
        ReadFault(uffd);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(1)));
        JoinOrFail(task);
        Assert.Equal((VmFaultResult.Retry, false), outcome);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule31_CopyFromUserRetriesWithTriedWithoutLimit()
    {
        ResetWarnings();
        const int retries = 40;
        var calls = 0;
        var ops = new HandlerOps(v => ++calls <= retries ? HandlerOps.DropAndRetry(v) : HandlerOps.Supply(v, 0x33));
        var mm = HandlerOps.Map(ops, 1, out _);
        var buf = new byte[16];
        var notCopied = -1;
        RunTask("read", mm, () => notCopied = Uaccess.CopyFromUser(buf, Base + 8, buf.Length));

        Assert.Equal(0, notCopied);
        Assert.All(buf, b => Assert.Equal(0x33, b));
        var flags = ops.Flags;
        Assert.Equal(retries + 1, flags.Length);
        Assert.Equal(Default, flags[0]); // FAULT_FLAG_DEFAULT, also for a kernel-mode fault (rule 3)
        Assert.All(flags.Skip(1), f => Assert.Equal(Default | FaultFlags.Tried, f)); // ALLOW_RETRY stays set
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule31_CopyToUserFaultsForWriteAndFillsThePage()
    {
        ResetWarnings();
        Page? supplied = null;
        var calls = 0;
        var ops = new HandlerOps(v =>
        {
            if (++calls == 1)
            {
                return HandlerOps.DropAndRetry(v);
            }

            HandlerOps.Supply(v);
            supplied = v.Page;
            return VmFaultResult.None;
        });
        var mm = HandlerOps.Map(ops, 1, out _);
        var src = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var notCopied = -1;
        RunTask("write", mm, () => notCopied = Uaccess.CopyToUser(Base + 100, src, src.Length));

        Assert.Equal(0, notCopied);
        Assert.Equal(new[] { Default | FaultFlags.Write, Default | FaultFlags.Write | FaultFlags.Tried }, ops.Flags);
        Assert.Equal(src, supplied!.Data.Skip(100).Take(32).ToArray());
    }

    [Fact]
    public void Rule31_AFatalSignalEndsTheRetryLoopThroughTheFixup()
    {
        ResetWarnings();
        var calls = 0;
        var ops = new HandlerOps(v =>
        {
            if (++calls == 5)
            {
                KernelTask.Current.SendSignal(Signal.SIGKILL);
            }

            return HandlerOps.DropAndRetry(v);
        });
        var mm = HandlerOps.Map(ops, 1, out _);
        var buf = new byte[64];
        var notCopied = -1;
        RunTask("read", mm, () =>
        {
            notCopied = Uaccess.CopyFromUser(buf, Base, buf.Length);
            Assert.False(mm.MmapLock.IsHeldByCurrent); // "the core mm code has unlocked the mm"
        });

        Assert.Equal(buf.Length, notCopied);
        Assert.Equal(5, ops.CallCount);
        Assert.All(buf, b => Assert.Equal(0, b));
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule31_ANonFatalSignalDoesNotStopAKernelModeFault()
    {
        ResetWarnings();
        var calls = 0;
        var ops = new HandlerOps(v =>
        {
            if (++calls == 1)
            {
                KernelTask.Current.SendSignal(Signal.SIGUSR1);
            }

            return calls <= 10 ? HandlerOps.DropAndRetry(v) : HandlerOps.Supply(v, 5);
        });
        var mm = HandlerOps.Map(ops, 1, out _);
        var buf = new byte[4];
        var notCopied = -1;
        var stillPending = false;
        RunTask("read", mm, () =>
        {
            notCopied = Uaccess.CopyFromUser(buf, Base, buf.Length);
            stillPending = KernelTask.Current.SignalPending;
            KernelTask.Current.FlushSignals();
        });

        Assert.Equal(0, notCopied);
        Assert.Equal(11, ops.CallCount);
        Assert.True(stillPending);
        Assert.All(buf, b => Assert.Equal(5, b));
    }

    [Fact]
    public void Rule31_AKernelModeFaultSpinsOnAUserfaultWhileANonFatalSignalIsPending()
    {
        // Case 8: FAULT_FLAG_DEFAULT includes INTERRUPTIBLE, so handle_userfault sleeps TASK_INTERRUPTIBLE,
        // schedule() returns at once with SIGUSR1 pending, and fault_signal_pending ignores it in kernel mode.
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var buf = new byte[8];
        var notCopied = -1;
        var task = KernelTask.Start("writer", mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            notCopied = Uaccess.CopyFromUser(buf, Base, buf.Length);
            KernelTask.Current.FlushSignals();
        });

        // Three separate faults reach the resolver although nobody answered any of them: the task is
        // re-faulting in a loop instead of sleeping.
        for (var i = 0; i < 3; i++)
        {
            var msg = ReadFault(uffd);
            Assert.Equal(Base, msg.Address);
        }

        Assert.False(task.HasExited);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(0x21)));
        JoinOrFail(task);
        Assert.Equal(0, notCopied);
        Assert.All(buf, b => Assert.Equal(0x21, b));
    }

    [Fact]
    public void Rule31_SigkillEndsAKernelModeFaultThatWaitsForAUserfault()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        var buf = new byte[8];
        var notCopied = -1;
        var task = KernelTask.Start("reader", mm, () => notCopied = Uaccess.CopyFromUser(buf, Base, buf.Length));
        ReadFault(uffd);
        WaitUntilSleeping(task, TaskState.Interruptible);
        task.SendSignal(Signal.SIGKILL);
        JoinOrFail(task);
        Assert.Equal(buf.Length, notCopied);
        Assert.False(mm.MmapLock.IsLocked);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule31_CopyFromUserZeroFillsWhatItCouldNotCopy()
    {
        // Only page 0 is mapped: the copy stops at the hole and zeroes the rest of the buffer.
        var mm = AnonMm(1, out _);
        int left = -1;
        var dst = Enumerable.Repeat((byte)0xee, 2 * Page.Size).ToArray();
        RunTask("copier", mm, () => left = Uaccess.CopyFromUser(dst, Base, dst.Length));
        Assert.Equal(Page.Size, left);
        Assert.All(dst, b => Assert.Equal(0, b));
    }
}
