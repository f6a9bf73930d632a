using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.Conformance.GupConformanceKit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>SEMANTICS.md rules 1-7: the flag and return-code vocabulary.</summary>
public class VocabularyRules
{
    [Fact]
    public void Rule01_VmFaultResultBitsAreTheKernels()
    {
        Assert.Equal(0x1, (int)VmFaultResult.Oom);
        Assert.Equal(0x2, (int)VmFaultResult.Sigbus);
        Assert.Equal(0x4, (int)VmFaultResult.Major);
        Assert.Equal(0x10, (int)VmFaultResult.Hwpoison);
        Assert.Equal(0x20, (int)VmFaultResult.HwpoisonLarge);
        Assert.Equal(0x40, (int)VmFaultResult.Sigsegv);
        Assert.Equal(0x100, (int)VmFaultResult.Nopage);
        Assert.Equal(0x200, (int)VmFaultResult.Locked);
        Assert.Equal(0x400, (int)VmFaultResult.Retry);
        Assert.Equal(0x800, (int)VmFaultResult.Fallback);
        Assert.Equal(0x1000, (int)VmFaultResult.DoneCow);
        Assert.Equal(0x2000, (int)VmFaultResult.NeedDsync);
        Assert.Equal(0x4000, (int)VmFaultResult.Completed);
    }

    [Fact]
    public void Rule01_VmFaultErrorIsOomSigbusSigsegvHwpoisonHwpoisonLargeFallback()
    {
        Assert.Equal(
            VmFaultResult.Oom | VmFaultResult.Sigbus | VmFaultResult.Sigsegv | VmFaultResult.Hwpoison
                | VmFaultResult.HwpoisonLarge | VmFaultResult.Fallback,
            VmFaultResult.Error);
        Assert.Equal(VmFaultResult.None, VmFaultResult.Error & (VmFaultResult.Retry | VmFaultResult.Completed | VmFaultResult.Major
            | VmFaultResult.Nopage | VmFaultResult.Locked | VmFaultResult.DoneCow | VmFaultResult.NeedDsync));
    }

    [Fact]
    public void Rule01_NopageMeansTheHandlerInstalledThePteItself()
    {
        var mine = new Page();
        var ops = new ScriptedOps((vmf, _) => vmf.InsertPage(mine));
        var mm = OpsMm(1, ops);
        long got = 0;
        Page? seen = null;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 1, FollFlags.Write, pages);
            mm.MmapReadUnlock();
            seen = pages[0];
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        Assert.Same(mine, seen);
        Assert.Single(ops.Calls);
    }

    [Fact]
    public void Rule01_LockedMeansThePageCameBackLockedAndTheFaultPathUnlocksIt()
    {
        var mine = new Page();
        var ops = new ScriptedOps((vmf, _) =>
        {
            mine.Lock();
            vmf.Page = mine;
            return VmFaultResult.Locked;
        });
        var mm = OpsMm(1, ops);
        long got = 0;
        Page? seen = null;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 1, FollFlags.None, pages);
            mm.MmapReadUnlock();
            seen = pages[0];
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        Assert.Same(mine, seen);
        Assert.False(mine.IsLocked);
    }

    [Fact]
    public void Rule01_MajorIsNotAnError()
    {
        var ops = new ScriptedOps((vmf, _) =>
        {
            vmf.Page = new Page();
            return VmFaultResult.Major;
        });
        var mm = OpsMm(2, ops);
        long got = 0;
        Run(mm, () =>
        {
            var pages = new Page[2];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 2, FollFlags.None, pages);
            mm.MmapReadUnlock();
            PutPages(pages, got);
        });
        Assert.Equal(2, got);
    }

    [Fact]
    public void Rule02_FaultFlagBitsAreTheKernels()
    {
        Assert.Equal(1 << 0, (int)FaultFlags.Write);
        Assert.Equal(1 << 1, (int)FaultFlags.Mkwrite);
        Assert.Equal(1 << 2, (int)FaultFlags.AllowRetry);
        Assert.Equal(1 << 3, (int)FaultFlags.RetryNowait);
        Assert.Equal(1 << 4, (int)FaultFlags.Killable);
        Assert.Equal(1 << 5, (int)FaultFlags.Tried);
        Assert.Equal(1 << 6, (int)FaultFlags.User);
        Assert.Equal(1 << 7, (int)FaultFlags.Remote);
        Assert.Equal(1 << 8, (int)FaultFlags.Instruction);
        Assert.Equal(1 << 9, (int)FaultFlags.Interruptible);
        Assert.Equal(1 << 10, (int)FaultFlags.Unshare);
    }

    [Fact]
    public void Rule02_TriedWithoutAllowRetryIsIllegalAndWarned()
    {
        ResetWarnings();
        var mm = AnonMm(1, out var vma);
        var ret = VmFaultResult.None;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            ret = MmFault.HandleMmFault(vma, Base, FaultFlags.Tried);
            mm.MmapReadUnlock();
        });
        Assert.Contains(KernelDebug.Warnings, w => w.Message.Contains("TRIED", StringComparison.Ordinal)
            && w.Message.Contains("ALLOW_RETRY", StringComparison.Ordinal));
        Assert.Equal(VmFaultResult.None, ret & VmFaultResult.Error);
    }

    [Fact]
    public void Rule02_TriedWithAllowRetryIsALegalRetryAndNotWarned()
    {
        ResetWarnings();
        var mm = AnonMm(1, out var vma);
        var ret = VmFaultResult.Sigbus;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            ret = MmFault.HandleMmFault(vma, Base, FaultFlags.AllowRetry | FaultFlags.Tried);
            mm.MmapReadUnlock();
        });
        Assert.Equal(VmFaultResult.None, ret);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule02_WriteWithUnshareIsIllegalAndGivesSigsegv()
    {
        ResetWarnings();
        var mm = AnonMm(1, out var vma);
        var ret = VmFaultResult.None;
        var heldAfter = false;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            ret = MmFault.HandleMmFault(vma, Base, FaultFlags.Write | FaultFlags.Unshare);
            heldAfter = mm.MmapLock.IsHeldByCurrent;
            mm.MmapReadUnlock();
        });
        Assert.Equal(VmFaultResult.Sigsegv, ret);
        Assert.True(heldAfter);
        Assert.Contains(KernelDebug.Warnings, w => w.Message.Contains("UNSHARE", StringComparison.Ordinal));
    }

    [Fact]
    public void Rule03_FaultFlagDefaultIsAllowRetryKillableInterruptible()
    {
        Assert.Equal(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.Interruptible, FaultFlags.Default);
    }

    [Fact]
    public void Rule03_KernelModeUaccessFaultsUseFaultFlagDefault()
    {
        var ops = new ScriptedOps();
        var mm = OpsMm(2, ops);
        int notRead = -1, notWritten = -1;
        Run(mm, () =>
        {
            notRead = Uaccess.CopyFromUser(new byte[16], Base, 16);
            notWritten = Uaccess.CopyToUser(PageAddress(1), new byte[16], 16);
        });
        Assert.Equal(0, notRead);
        Assert.Equal(0, notWritten);
        Assert.Equal(2, ops.Calls.Count);
        Assert.Equal(FaultFlags.Default, ops.Calls[0].Flags);
        Assert.Equal(FaultFlags.Default | FaultFlags.Write, ops.Calls[1].Flags);
    }

    [Fact]
    public void Rule04_AllowRetryFirstIsAllowRetryWithoutTried()
    {
        Assert.True(MmFault.FaultFlagAllowRetryFirst(FaultFlags.AllowRetry));
        Assert.True(MmFault.FaultFlagAllowRetryFirst(FaultFlags.AllowRetry | FaultFlags.Killable | FaultFlags.RetryNowait));
        Assert.False(MmFault.FaultFlagAllowRetryFirst(FaultFlags.AllowRetry | FaultFlags.Tried));
        Assert.False(MmFault.FaultFlagAllowRetryFirst(FaultFlags.None));
        Assert.False(MmFault.FaultFlagAllowRetryFirst(FaultFlags.Tried));
        Assert.False(MmFault.FaultFlagAllowRetryFirst(FaultFlags.Killable | FaultFlags.Interruptible));
    }

    [Fact]
    public void Rule04_OnlyTheFirstAttemptOfARetryingGupIsAllowRetryFirst()
    {
        var ops = new ScriptedOps((vmf, _) => ScriptedOps.PoliteRetry(vmf));
        var mm = OpsMm(1, ops);
        long got = 0;
        Run(mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.None, pages);
            PutPages(pages, got);
        });
        Assert.Equal(1, got);
        Assert.Equal(2, ops.Calls.Count);
        Assert.True(MmFault.FaultFlagAllowRetryFirst(ops.Calls[0].Flags));
        Assert.False(MmFault.FaultFlagAllowRetryFirst(ops.Calls[1].Flags));
        Assert.True(ops.Calls[1].Has(FaultFlags.AllowRetry | FaultFlags.Tried));
    }

    [Fact]
    public void Rule05_FaultSignalPendingNeedsRetryAndThenFatalOrUserModeSignal()
    {
        bool[] none = [], usr = [], kill = [];
        Run(null, () =>
        {
            var me = KernelTask.Current;
            none = Matrix(me);
            me.SendSignal(Signal.SIGUSR1);
            usr = Matrix(me);
            me.SendSignal(Signal.SIGKILL);
            kill = Matrix(me);
            me.FlushSignals();
        }, "sigcheck");

        // Columns: (Retry, kernel), (Retry, user), (None, kernel), (None, user), (Completed, user).
        Assert.Equal(new[] { false, false, false, false, false }, none);
        Assert.Equal(new[] { false, true, false, false, false }, usr);
        Assert.Equal(new[] { true, true, false, false, false }, kill);

        static bool[] Matrix(KernelTask t) =>
        [
            Signals.FaultSignalPending(VmFaultResult.Retry, userMode: false, t),
            Signals.FaultSignalPending(VmFaultResult.Retry, userMode: true, t),
            Signals.FaultSignalPending(VmFaultResult.None, userMode: false, t),
            Signals.FaultSignalPending(VmFaultResult.None, userMode: true, t),
            Signals.FaultSignalPending(VmFaultResult.Completed, userMode: true, t),
        ];
    }

    [Fact]
    public void Rule05_KernelModeFaultKeepsRetryingWithOnlyANonFatalSignalPending()
    {
        // The handler blocks (drops the lock, Retry) three times before it has the page.
        var ops = new ScriptedOps((vmf, attempt) => attempt < 3 ? ScriptedOps.DropLockAndRetry(vmf) : ScriptedOps.Fill(vmf));
        var mm = OpsMm(1, ops);
        var notCopied = -1;
        Run(mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGUSR1);
            notCopied = Uaccess.CopyFromUser(new byte[8], Base, 8);
            KernelTask.Current.FlushSignals();
        });
        Assert.Equal(0, notCopied);
        Assert.Equal(4, ops.Calls.Count);
        Assert.False(ops.Calls[0].Has(FaultFlags.Tried));
        Assert.All(ops.Calls.Skip(1), c => Assert.True(c.Has(FaultFlags.Tried)));
    }

    [Fact]
    public void Rule05_KernelModeFaultStopsOnAFatalSignalAfterRetry()
    {
        var ops = new ScriptedOps((vmf, attempt) => attempt < 3 ? ScriptedOps.DropLockAndRetry(vmf) : ScriptedOps.Fill(vmf));
        var mm = OpsMm(1, ops);
        var notCopied = -1;
        var heldAfter = true;
        Run(mm, () =>
        {
            KernelTask.Current.SendSignal(Signal.SIGKILL);
            notCopied = Uaccess.CopyFromUser(new byte[8], Base, 8);
            heldAfter = mm.MmapLock.IsHeldByCurrent;
        });
        Assert.Equal(8, notCopied);
        Assert.Single(ops.Calls);
        Assert.False(heldAfter);
    }

    [Fact]
    public void Rule06_FollFlagBitsAreTheKernels()
    {
        Assert.Equal(1 << 0, (int)FollFlags.Write);
        Assert.Equal(1 << 1, (int)FollFlags.Get);
        Assert.Equal(1 << 2, (int)FollFlags.Dump);
        Assert.Equal(1 << 3, (int)FollFlags.Force);
        Assert.Equal(1 << 4, (int)FollFlags.Nowait);
        Assert.Equal(1 << 5, (int)FollFlags.Nofault);
        Assert.Equal(1 << 6, (int)FollFlags.Hwpoison);
        Assert.Equal(1 << 7, (int)FollFlags.Anon);
        Assert.Equal(1 << 8, (int)FollFlags.Longterm);
        Assert.Equal(1 << 9, (int)FollFlags.SplitPmd);
        Assert.Equal(1 << 11, (int)FollFlags.Interruptible);
        Assert.Equal(1 << 16, (int)FollFlags.Touch);
        Assert.Equal(1 << 17, (int)FollFlags.Tried);
        Assert.Equal(1 << 18, (int)FollFlags.Remote);
        Assert.Equal(1 << 19, (int)FollFlags.Pin);
        Assert.Equal(1 << 20, (int)FollFlags.FastOnly);
        Assert.Equal(1 << 21, (int)FollFlags.Unlockable);
    }

    public static TheoryData<FollFlags> InternalFollFlags() =>
        new() { FollFlags.Touch, FollFlags.Tried, FollFlags.Remote, FollFlags.Pin, FollFlags.FastOnly, FollFlags.Unlockable };

    [Theory]
    [MemberData(nameof(InternalFollFlags))]
    public void Rule06_InternalFlagsFromACallerAreWarnedAndRejected(FollFlags internalFlag)
    {
        ResetWarnings();
        var ops = new ScriptedOps();
        var mm = OpsMm(1, ops);
        long got = 0, gotUnlocked = 0;
        Page? taken = null;
        Run(mm, () =>
        {
            var pages = new Page[1];
            mm.MmapReadLock();
            got = Gup.GetUserPages(mm, Base, 1, FollFlags.Write | internalFlag, pages);
            mm.MmapReadUnlock();
            gotUnlocked = Gup.GetUserPagesUnlocked(mm, Base, 1, internalFlag, pages);
            taken = pages[0];
        });
        Assert.Equal(-Errno.EINVAL, got);
        Assert.Equal(-Errno.EINVAL, gotUnlocked);
        Assert.Null(taken);
        Assert.Empty(ops.Calls);
        Assert.Equal(2, KernelDebug.Warnings.Count(w => w.Message.Contains("internal", StringComparison.Ordinal)));
    }

    [Fact]
    public void Rule07_VmFaultToErrnoMapsEachCode()
    {
        Assert.Equal(-Errno.ENOMEM, MmFault.VmFaultToErrno(VmFaultResult.Oom, FollFlags.None));
        Assert.Equal(-Errno.ENOMEM, MmFault.VmFaultToErrno(VmFaultResult.Oom | VmFaultResult.Sigbus, FollFlags.None));
        Assert.Equal(-Errno.EFAULT, MmFault.VmFaultToErrno(VmFaultResult.Hwpoison, FollFlags.None));
        Assert.Equal(-Errno.EFAULT, MmFault.VmFaultToErrno(VmFaultResult.HwpoisonLarge, FollFlags.None));
        Assert.Equal(-Errno.EHWPOISON, MmFault.VmFaultToErrno(VmFaultResult.Hwpoison, FollFlags.Hwpoison));
        Assert.Equal(-Errno.EHWPOISON, MmFault.VmFaultToErrno(VmFaultResult.HwpoisonLarge, FollFlags.Hwpoison));
        Assert.Equal(-Errno.EFAULT, MmFault.VmFaultToErrno(VmFaultResult.Sigbus, FollFlags.None));
        Assert.Equal(-Errno.EFAULT, MmFault.VmFaultToErrno(VmFaultResult.Sigsegv, FollFlags.Hwpoison));
        Assert.Equal(0, MmFault.VmFaultToErrno(VmFaultResult.Fallback, FollFlags.None));
        Assert.Equal(0, MmFault.VmFaultToErrno(VmFaultResult.Retry, FollFlags.None));
        Assert.Equal(0, MmFault.VmFaultToErrno(VmFaultResult.None, FollFlags.None));
    }

    [Fact]
    public void Rule07_AnErrorThatMapsToZeroIsABugInGup()
    {
        // VM_FAULT_FALLBACK is in VM_FAULT_ERROR but vm_fault_to_errno gives 0: faultin_page BUG()s.
        var ops = new ScriptedOps((_, _) => VmFaultResult.Fallback);
        var mm = OpsMm(1, ops);
        KernelBugException? bug = null;
        Run(mm, () =>
        {
            mm.MmapReadLock();
            try
            {
                Gup.GetUserPages(mm, Base, 1, FollFlags.None, new Page[1]);
            }
            catch (KernelBugException e)
            {
                bug = e;
            }
            finally
            {
                mm.MmapReadUnlock();
            }
        });
        Assert.NotNull(bug);
        Assert.Contains("vm_fault_to_errno", bug!.Message, StringComparison.Ordinal);
    }
}
