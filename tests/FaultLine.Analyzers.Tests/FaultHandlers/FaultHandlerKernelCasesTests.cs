using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

/// <summary>Ports of SEMANTICS.md §2 cases 9, 10, 16 and 18, and of today's handle_userfault (rules 35-38).</summary>
public class FaultHandlerKernelCasesTests
{
    /// <summary>Case 9, vfio-pci (Alex Williamson, 2020): trylock; RETRY_NOWAIT → Retry holding the lock; ALLOW_RETRY → drop, killable wait, Retry; else Sigbus.</summary>
    [Fact]
    public async Task Case9_vfio_pci_draft_with_the_RetryNowait_branch_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class VfioPciMmapOps : VmOperations
            {
                private readonly RwSemaphore memoryLock = new("vdev->memory_lock");

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (!memoryLock.DownReadTrylock())
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                            return VmFaultResult.Sigbus;

                        vmf.Vma.Mm.MmapReadUnlock();
                        if (memoryLock.DownReadKillable() == 0)
                            memoryLock.UpRead();
                        return VmFaultResult.Retry;
                    }

                    var ret = VmFaultResult.Nopage;
                    memoryLock.UpRead();
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Case9_vfio_pci_that_waits_under_RetryNowait_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class VfioPciMmapOps : VmOperations
            {
                private readonly RwSemaphore memoryLock = new("vdev->memory_lock");

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (!memoryLock.DownReadTrylock())
                    {
                        if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                            return VmFaultResult.Sigbus;

                        {|#0:vmf.Vma.Mm.MmapReadUnlock()|};
                        if ({|#1:memoryLock.DownReadKillable()|} == 0)
                            memoryLock.UpRead();
                        return VmFaultResult.Retry;
                    }

                    memoryLock.UpRead();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2004").WithLocation(0).WithArguments("VfioPciMmapOps.Fault"),
            Verify.Diagnostic("FL2001").WithLocation(1).WithArguments("VfioPciMmapOps.Fault", "calls RwSemaphore.DownReadKillable"));
    }

    /// <summary>Case 10, shmem hole (Hugh Dickins, CVE-2014-4171): on-stack waitqueue, drop the lock and Retry only if AllowRetry and not RetryNowait.</summary>
    [Fact]
    public async Task Case10_shmem_hole_waits_only_with_AllowRetry_and_not_RetryNowait_and_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ShmemOps : VmOperations
            {
                private readonly KSpinLock iLock = new("inode->i_lock");
                private readonly WaitQueueHead holeWq = new();
                private volatile bool punching = true;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (punching)
                    {
                        var ret = VmFaultResult.Nopage;
                        if ((vmf.Flags & FaultFlags.AllowRetry) != 0 && (vmf.Flags & FaultFlags.RetryNowait) == 0)
                        {
                            vmf.Vma.Mm.MmapReadUnlock();
                            var entry = new WaitQueueEntry(KernelTask.Current);
                            iLock.Lock();
                            Wait.PrepareToWait(holeWq, entry, TaskState.Killable);
                            iLock.Unlock();
                            Sched.Schedule();
                            iLock.Lock();
                            Wait.FinishWait(holeWq, entry);
                            iLock.Unlock();
                            return VmFaultResult.Retry;
                        }

                        return ret;
                    }

                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task Case10_shmem_hole_that_ignores_RetryNowait_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ShmemOps : VmOperations
            {
                private readonly WaitQueueHead holeWq = new();
                private volatile bool punching = true;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (punching && (vmf.Flags & FaultFlags.AllowRetry) != 0)
                    {
                        {|#0:vmf.Vma.Mm.MmapReadUnlock()|};
                        var entry = new WaitQueueEntry(KernelTask.Current);
                        Wait.PrepareToWait(holeWq, entry, TaskState.Killable);
                        {|#1:Sched.Schedule()|};
                        Wait.FinishWait(holeWq, entry);
                        return VmFaultResult.Retry;
                    }

                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2004").WithLocation(0).WithArguments("ShmemOps.Fault"),
            Verify.Diagnostic("FL2001").WithLocation(1).WithArguments("ShmemOps.Fault", "calls Sched.Schedule"));
    }

    /// <summary>
    /// Case 16 (Peter Xu, "userfaultfd: Don't retake mmap_sem to emulate NOPAGE"): the old handle_userfault re-took the
    /// lock (uninterruptibly) after a non-fatal signal and returned Nopage as if it had held it all along (FL2003).
    /// </summary>
    [Fact]
    public async Task Case16_handle_userfault_retaking_the_lock_to_emulate_Nopage_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class UffdOps : VmOperations
            {
                private readonly WaitQueueHead faultPendingWqh = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var mm = vmf.Vma.Mm;
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;

                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(faultPendingWqh, entry, TaskState.Killable);
                    mm.MmapReadUnlock();
                    Sched.Schedule();
                    Wait.FinishWait(faultPendingWqh, entry);
                    if (KernelTask.Current.SignalPending && !KernelTask.Current.FatalSignalPending)
                    {
                        {|#0:mm.MmapReadLock()|};
                        return {|#1:VmFaultResult.Nopage|};
                    }

                    return VmFaultResult.Retry;
                }
            }
            """,
            Verify.Diagnostic("FL2003").WithLocation(1).WithArguments("UffdOps.Fault", FL2003RetakenLockTests.Retaken("VmFaultResult.Nopage")),
            Verify.Diagnostic("FL2005").WithLocation(0).WithArguments("MmStruct.MmapReadLock", "UffdOps.Fault", "MmStruct.MmapReadLockKillable"));
    }

    /// <summary>Case 18 (Suren Baghdasaryan): Retry returned while the fault lock is still held.</summary>
    [Fact]
    public async Task Case18_Retry_while_still_holding_the_lock_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class SwapOps : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    var page = vmf.Page!;
                    if (!page.TryLock())
                    {
                        if (MmFault.FaultFlagAllowRetryFirst(vmf.Flags))
                            return {|#0:VmFaultResult.Retry|};
                        return VmFaultResult.Sigbus;
                    }

                    page.Unlock();
                    return VmFaultResult.None;
                }
            }
            """,
            Verify.Diagnostic("FL2003").WithLocation(0).WithArguments("SwapOps.Fault", "returns VmFaultResult.Retry without releasing the mmap lock on a path where FaultFlags.RetryNowait is not known to be set"));
    }

    /// <summary>Today's handle_userfault (rules 35-38): Sigbus without AllowRetry, Retry holding the lock under RetryNowait, else queue, recheck, release, one schedule, Retry.</summary>
    [Fact]
    public async Task Todays_handle_userfault_shape_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class UffdOps : VmOperations
            {
                private readonly object pendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private volatile bool released;
                private volatile bool filled;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var mm = vmf.Vma.Mm;
                    var flags = vmf.Flags;
                    if ((flags & FaultFlags.AllowRetry) == 0)
                    {
                        KernelDebug.WarnOn((flags & FaultFlags.RetryNowait) != 0, "FAULT_FLAG_ALLOW_RETRY missing");
                        return VmFaultResult.Sigbus;
                    }

                    if ((flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;

                    if (released)
                    {
                        mm.MmapReadUnlock();
                        return VmFaultResult.Retry;
                    }

                    var entry = new WaitQueueEntry(KernelTask.Current);
                    lock (pendingLock)
                    {
                        Wait.PrepareToWait(faultPendingWqh, entry, (flags & FaultFlags.Killable) != 0 ? TaskState.Killable : TaskState.Uninterruptible);
                    }

                    var mustWait = !filled;
                    mm.MmapReadUnlock();
                    if (mustWait && !released)
                        Sched.Schedule();
                    Wait.FinishWait(faultPendingWqh, entry);
                    return VmFaultResult.Retry;
                }
            }
            """);
    }
}
