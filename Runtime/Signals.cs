namespace FaultLine;

/// <summary>The signal predicates of include/linux/sched/signal.h.</summary>
public static class Signals
{
    /// <summary>
    /// signal_pending_state(state, p): whether a task sleeping in <paramref name="state"/> must not
    /// sleep (or must be woken): any signal for Interruptible, SIGKILL for Killable, never for
    /// Uninterruptible or Running.
    /// </summary>
    public static bool SignalPendingState(TaskState state, KernelTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if ((state & (TaskState.Interruptible | WakeKill)) == 0)
        {
            return false;
        }

        if (!task.SignalPending)
        {
            return false;
        }

        return (state & TaskState.Interruptible) != 0 || task.FatalSignalPending;
    }

    /// <summary>
    /// fault_signal_pending(fault, regs): after a fault returned Retry, whether the fault path must
    /// give up: a fatal signal always, any signal only for a user-mode fault (rule 5). A kernel-mode
    /// fault (copy_from_user) with only a non-fatal signal pending keeps retrying.
    /// </summary>
    public static bool FaultSignalPending(VmFaultResult fault, bool userMode, KernelTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if ((fault & VmFaultResult.Retry) == 0)
        {
            return false;
        }

        return task.FatalSignalPending || (userMode && task.SignalPending);
    }

    /// <summary>gup_signal_pending(flags): fatal signal, or any signal when FOLL_INTERRUPTIBLE (rule 19).</summary>
    internal static bool GupSignalPending(FollFlags flags, KernelTask task)
    {
        if (task.FatalSignalPending)
        {
            return true;
        }

        return (flags & FollFlags.Interruptible) != 0 && task.SignalPending;
    }

    /// <summary>TASK_WAKEKILL, the bit that makes Killable wake for SIGKILL.</summary>
    internal const TaskState WakeKill = (TaskState)0x100;
}
