namespace FaultLine;

/// <summary>The scheduler entry points of kernel/sched/core.c that sleeping code uses.</summary>
public static class Sched
{
    /// <summary>MAX_SCHEDULE_TIMEOUT: sleep without a timeout.</summary>
    public const long MaxScheduleTimeout = long.MaxValue;

    /// <summary>
    /// set_current_state(state): stores the state with a full barrier, so that a condition tested
    /// after it cannot be read before the store (rule 43). Set the state, then test the condition,
    /// then <see cref="Schedule"/>. Throws <see cref="ArgumentOutOfRangeException"/> for a value that is
    /// not a <see cref="TaskState"/> (no waker could ever match it).
    /// </summary>
    public static void SetCurrentState(TaskState state)
    {
        CheckState(state);
        var task = KernelTask.Current;
        task.SetState(state);
        task.SleepPrepared = state != TaskState.Running;
    }

    /// <summary>
    /// schedule(): sleeps until a wakeup sets the task Running. Returns at once when a waker already
    /// did, or when a signal matching the sleeping state is pending (rule 45: the task stays Running,
    /// so an interruptible waiter that ignores signals spins). Calling it while Running with no sleep
    /// state set is reported (FL3003); so is sleeping with a spinlock held (FL3006) or in a fault
    /// handler under RetryNowait (FL2001). With <see cref="FaultInjection"/> it may return spuriously
    /// or find a signal delivered.
    /// </summary>
    [MaySleep]
    public static void Schedule() => ScheduleTimeout(MaxScheduleTimeout);

    /// <summary>
    /// schedule_timeout(ticks): like <see cref="Schedule"/> with a timer of <paramref name="ticks"/>
    /// jiffies (HZ = 1000 in the model, so a tick is a millisecond). Returns 0 when the timer ran out,
    /// otherwise the ticks left (at least 1). The state is Running on return.
    /// </summary>
    [MaySleep]
    public static long ScheduleTimeout(long ticks)
    {
        if (ticks < 0)
        {
            // schedule_timeout() prints "schedule_timeout: wrong timeout value" and does not sleep.
            KernelDebug.Warn(null, $"schedule_timeout: wrong timeout value {ticks}");
            KernelTask.Current.SetState(TaskState.Running);
            return 0;
        }

        var task = KernelTask.Current;
        if (task.AtomicDepth > 0)
        {
            KernelDebug.Warn("FL3006", $"BUG: scheduling while atomic: {task.Comm} holds {task.AtomicDepth} spinlock(s)");
        }

        if (task.NowaitFaultDepth > 0)
        {
            KernelDebug.Warn("FL2001",
                "schedule() in a fault handler called with FAULT_FLAG_RETRY_NOWAIT: the handler must return VM_FAULT_RETRY without sleeping");
        }

        if (task.State == TaskState.Running && !task.SleepPrepared)
        {
            KernelDebug.Warn("FL3003", "schedule() called in TASK_RUNNING: no sleep state was set, so the task does not sleep");
        }

        return ScheduleCore(ticks);
    }

    /// <summary>Rejects a task state the model does not know: a sleep in it could never be woken.</summary>
    internal static void CheckState(TaskState state)
    {
        if (state is not (TaskState.Running or TaskState.Interruptible or TaskState.Uninterruptible or TaskState.Killable))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "not a task state: Running, Interruptible, Uninterruptible or Killable");
        }
    }

    /// <summary>The sleep without the entry checks, for primitives that already ran their own.</summary>
    internal static long ScheduleCore(long ticks)
    {
        var task = KernelTask.Current;
        task.SleepPrepared = false;
        var injection = task.Injection;
        if (injection is not null)
        {
            injection.AtSleepPoint(task);
            if (injection.SpuriousWakeup())
            {
                task.SetState(TaskState.Running);
                return ticks == MaxScheduleTimeout ? ticks : Math.Max(1, ticks);
            }
        }

        if (ticks == MaxScheduleTimeout)
        {
            task.BlockUntilRunning(Timeout.Infinite);
            return ticks;
        }

        var started = Environment.TickCount64;
        var timeoutMs = (int)Math.Min(ticks, int.MaxValue - 1);
        if (!task.BlockUntilRunning(timeoutMs))
        {
            return 0;
        }

        var left = ticks - (Environment.TickCount64 - started);
        return Math.Max(1, left);
    }
}
