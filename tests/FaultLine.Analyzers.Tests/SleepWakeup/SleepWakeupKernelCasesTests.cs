using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

/// <summary>Ports of SEMANTICS.md §2 cases 8, 11, 13 and 14.</summary>
public class SleepWakeupKernelCasesTests
{
    /// <summary>
    /// Case 8 (Jens Axboe, "mm/userfaultfd: prevent busy looping for tasks with signals pending", 2025): the fault
    /// sleeps TASK_INTERRUPTIBLE, a non-fatal signal is pending, schedule() returns at once, and only a fatal signal
    /// ends the loop: 100% CPU.
    /// </summary>
    [Fact]
    public async Task Case08_interruptible_uffd_wait_that_only_checks_fatal_signals_busy_loops()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class UffdWait
            {
                private readonly WaitQueueHead faultWqh = new();
                private volatile bool resolved;

                int WaitForPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(faultWqh, entry, TaskState.Interruptible);
                        if (resolved || KernelTask.Current.FatalSignalPending)
                            break;
                        {|#0:Sched.Schedule()|};
                    }
                    Wait.FinishWait(faultWqh, entry);
                    return resolved ? 0 : -Errno.EINTR;
                }
            }
            """,
            Verify.Diagnostic("FL3004").WithLocation(0).WithArguments(
                "TaskState.Interruptible",
                "checks only for fatal signals, but any signal wakes a TaskState.Interruptible sleep",
                "Sched.Schedule()"));
    }

    /// <summary>
    /// Case 8 as it happened: the retry is driven by fault_signal_pending(), which in kernel mode only looks at
    /// fatal signals (rule 5), while the sleep is TASK_INTERRUPTIBLE because FAULT_FLAG_DEFAULT includes
    /// INTERRUPTIBLE (rule 3).
    /// </summary>
    [Fact]
    public async Task Case08_kernel_mode_retry_on_fault_signal_pending_busy_loops()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class UffdWait
            {
                private readonly WaitQueueHead faultWqh = new();
                private volatile bool resolved;

                int CopyFromUserLike()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWait(faultWqh, entry, TaskState.Interruptible);
                        if (resolved)
                            break;
                        {|#0:Sched.Schedule()|};
                        if (Signals.FaultSignalPending(VmFaultResult.Retry, false, KernelTask.Current))
                        {
                            Wait.FinishWait(faultWqh, entry);
                            return -Errno.EFAULT;
                        }
                    }
                    Wait.FinishWait(faultWqh, entry);
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL3004").WithLocation(0).WithArguments(
                "TaskState.Interruptible",
                "checks only for fatal signals, but any signal wakes a TaskState.Interruptible sleep",
                "Sched.Schedule()"));
    }

    /// <summary>Case 8, with the exit on any signal (what wait_event_interruptible does): silent.</summary>
    [Fact]
    public async Task Case08_fixed_with_a_signal_exit_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class UffdWait
            {
                private readonly WaitQueueHead faultWqh = new();
                private volatile bool resolved;

                int WaitForPage()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    int ret = 0;
                    for (;;)
                    {
                        Wait.PrepareToWait(faultWqh, entry, TaskState.Interruptible);
                        if (resolved)
                            break;
                        if (Signals.SignalPendingState(TaskState.Interruptible, KernelTask.Current))
                        {
                            ret = -Errno.ERESTARTSYS;
                            break;
                        }
                        Sched.Schedule();
                    }
                    Wait.FinishWait(faultWqh, entry);
                    return ret;
                }
            }
            """);
    }

    /// <summary>
    /// Case 11 (Andrea Arcangeli, 8d2afd96c203 "userfaultfd: solve the race between UFFDIO_COPY|ZEROPAGE and read",
    /// 2015): the fault saw the page missing, then queued and set TASK_KILLABLE and slept without rechecking; a
    /// UFFDIO_COPY that finished in between left it asleep.
    /// </summary>
    [Fact]
    public async Task Case11_handle_userfault_without_the_recheck_loses_the_wakeup()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class UffdOps : VmOperations
            {
                private readonly KSpinLock faultPendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private volatile bool pagePresent;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if ({|#0:pagePresent|})
                        return VmFaultResult.None;

                    var entry = new WaitQueueEntry(KernelTask.Current);
                    faultPendingLock.Lock();
                    Wait.AddWaitQueue(faultPendingWqh, entry);
                    {|#1:Sched.SetCurrentState(TaskState.Killable)|};
                    faultPendingLock.Unlock();

                    vmf.Vma.Mm.MmapReadUnlock();
                    Sched.Schedule();

                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(faultPendingWqh, entry);
                    return VmFaultResult.Retry;
                }
            }
            """,
            Verify.Diagnostic("FL3002").WithLocation(0).WithLocation(1).WithArguments("pagePresent", "Sched.SetCurrentState"));
    }

    /// <summary>Case 11 fixed: userfaultfd_must_wait() after queueing and setting the state; sleep only if still needed.</summary>
    [Fact]
    public async Task Case11_handle_userfault_with_the_must_wait_recheck_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class UffdOps : VmOperations
            {
                private readonly KSpinLock faultPendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private volatile bool pagePresent;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if (pagePresent)
                        return VmFaultResult.None;

                    var entry = new WaitQueueEntry(KernelTask.Current);
                    faultPendingLock.Lock();
                    Wait.AddWaitQueue(faultPendingWqh, entry);
                    Sched.SetCurrentState(TaskState.Killable);
                    faultPendingLock.Unlock();

                    bool mustWait = !pagePresent;
                    vmf.Vma.Mm.MmapReadUnlock();
                    if (mustWait)
                        Sched.Schedule();

                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(faultPendingWqh, entry);
                    return VmFaultResult.Retry;
                }
            }
            """);
    }

    /// <summary>
    /// Case 13 (Peter Xu, "mm/hugetlb: Make userfaultfd_huge_must_wait() safe to pmd unshare", 2022): the recheck
    /// needs hugetlb_vma_lock_read, a sleeping lock; taken after set_current_state it would reset the state to
    /// RUNNING and void the sleep.
    /// </summary>
    [Fact]
    public async Task Case13_sleeping_lock_taken_after_the_state_is_set()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class HugetlbUffdOps : VmOperations
            {
                private readonly KSpinLock faultPendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private readonly RwSemaphore vmaLock = new();
                private volatile bool pagePresent;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    faultPendingLock.Lock();
                    Wait.AddWaitQueue(faultPendingWqh, entry);
                    {|#1:Sched.SetCurrentState(TaskState.Killable)|};
                    faultPendingLock.Unlock();

                    {|#0:vmaLock.DownRead()|};
                    bool mustWait = !pagePresent;
                    vmaLock.UpRead();

                    vmf.Vma.Mm.MmapReadUnlock();
                    if (mustWait)
                        {|#2:Sched.Schedule()|};

                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(faultPendingWqh, entry);
                    return VmFaultResult.Retry;
                }
            }
            """,
            // The lock put the task back to Running, so the Schedule() does not sleep at all (FL3003).
            Verify.Diagnostic("FL3003").WithLocation(2).WithArguments("Sched.Schedule()", ""),
            Verify.Diagnostic("FL3007").WithLocation(0).WithLocation(1).WithArguments("RwSemaphore.DownRead", "Sched.SetCurrentState", "TaskState.Killable"));
    }

    /// <summary>Case 13 fixed: the sleeping lock is taken before the state is set.</summary>
    [Fact]
    public async Task Case13_sleeping_lock_taken_before_the_state_is_set_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class HugetlbUffdOps : VmOperations
            {
                private readonly KSpinLock faultPendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private readonly RwSemaphore vmaLock = new();
                private volatile bool pagePresent;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    vmaLock.DownRead();
                    faultPendingLock.Lock();
                    Wait.AddWaitQueue(faultPendingWqh, entry);
                    Sched.SetCurrentState(TaskState.Killable);
                    faultPendingLock.Unlock();

                    bool mustWait = !pagePresent;
                    vmaLock.UpRead();

                    vmf.Vma.Mm.MmapReadUnlock();
                    if (mustWait)
                        Sched.Schedule();

                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(faultPendingWqh, entry);
                    return VmFaultResult.Retry;
                }
            }
            """);
    }

    /// <summary>
    /// Case 14 (Linus Torvalds, "userfaultfd: simplify fault handling", 2020): no wait loop and no signal test,
    /// one schedule() and VM_FAULT_RETRY. "Once we've set the correct process sleeping state, and don't loop, the
    /// act of scheduling itself will be checking if there are any pending signals before going to sleep."
    /// </summary>
    [Fact]
    public async Task Case14_one_interruptible_schedule_then_retry_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class UffdOps : VmOperations
            {
                private readonly KSpinLock faultPendingLock = new();
                private readonly WaitQueueHead faultPendingWqh = new();
                private volatile bool pagePresent;
                private volatile bool released;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    faultPendingLock.Lock();
                    Wait.AddWaitQueue(faultPendingWqh, entry);
                    Sched.SetCurrentState(TaskState.Interruptible);
                    faultPendingLock.Unlock();

                    bool mustWait = !pagePresent;
                    vmf.Vma.Mm.MmapReadUnlock();
                    var ret = VmFaultResult.Retry;
                    if (mustWait && !released)
                    {
                        Sched.Schedule();
                        ret |= VmFaultResult.Major;
                    }

                    Sched.SetCurrentState(TaskState.Running);
                    Wait.RemoveWaitQueue(faultPendingWqh, entry);
                    return ret;
                }
            }
            """);
    }
}
