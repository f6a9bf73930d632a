namespace FaultLine;

/// <summary>
/// struct wait_queue_entry: one sleeper on a <see cref="WaitQueueHead"/>. Created as by DEFINE_WAIT
/// (autoremove_wake_function: a successful wakeup also dequeues it) unless <c>autoRemove</c> is false
/// (DECLARE_WAITQUEUE, default_wake_function).
/// </summary>
public sealed class WaitQueueEntry
{
    /// <summary>DEFINE_WAIT / init_wait_entry for <paramref name="task"/>.</summary>
    public WaitQueueEntry(KernelTask task) : this(task, autoRemove: true)
    {
    }

    /// <summary>A wait entry for <paramref name="task"/>; <paramref name="autoRemove"/> false is DECLARE_WAITQUEUE.</summary>
    public WaitQueueEntry(KernelTask task, bool autoRemove)
    {
        ArgumentNullException.ThrowIfNull(task);
        Task = task;
        AutoRemove = autoRemove;
    }

    /// <summary>Internal entries with a custom wake function (userfaultfd_wake_function).</summary>
    internal WaitQueueEntry(KernelTask task, WakeFunctionDelegate wakeFunction)
    {
        Task = task;
        WakeFunction = wakeFunction;
    }

    /// <summary>The task this entry wakes (wait->private).</summary>
    public KernelTask Task { get; }

    /// <summary>Whether a successful wakeup dequeues the entry (autoremove_wake_function).</summary>
    public bool AutoRemove { get; }

    /// <summary>What the owner of a custom entry hangs on it (container_of in the kernel).</summary>
    internal object? Tag { get; init; }

    /// <summary>WQ_FLAG_EXCLUSIVE: wake_up() wakes one exclusive waiter.</summary>
    public bool Exclusive { get; internal set; }

    /// <summary>Whether the entry is on a queue now (!list_empty_careful(&amp;wait->entry)).</summary>
    public bool Queued => Volatile.Read(ref queued);

    /// <summary>A custom wake function: &gt;0 woke a task, 0 did not, &lt;0 stop the walk. Runs under the head's lock.</summary>
    internal delegate int WakeFunctionDelegate(WaitQueueEntry entry, WaitQueueHead head, TaskState mode, object? key);

    internal WakeFunctionDelegate? WakeFunction { get; }

    internal bool queued;

    /// <summary>Calls the wake function: &gt;0 woke a task, 0 did not, &lt;0 stop the walk.</summary>
    internal int Wake(TaskState mode, object? key, WaitQueueHead head)
    {
        if (WakeFunction is not null)
        {
            return WakeFunction(this, head, mode, key);
        }

        var woke = Task.TryToWakeUp(mode);
        if (woke && AutoRemove)
        {
            head.RemoveLocked(this);
        }

        return woke ? 1 : 0;
    }
}

/// <summary>
/// wait_queue_head_t: a spinlock-protected list of sleepers. Wakers change the condition, then call
/// <see cref="WakeUp"/> (rule 42).
/// </summary>
public sealed class WaitQueueHead
{
    internal readonly object Lock = new();
    private readonly List<WaitQueueEntry> entries = new();

    /// <summary>Optional name, for messages.</summary>
    public string? Name { get; init; }

    /// <summary>waitqueue_active(): some entry is queued.</summary>
    public bool HasSleepers
    {
        get
        {
            lock (Lock)
            {
                return entries.Count > 0;
            }
        }
    }

    /// <summary>wake_up(): wakes every non-exclusive sleeper and one exclusive sleeper (TASK_NORMAL).</summary>
    public void WakeUp() => WakeUpCommon(TaskStates.Normal, nrExclusive: 1, key: null);

    /// <summary>wake_up_all(): wakes every sleeper.</summary>
    public void WakeUpAll() => WakeUpCommon(TaskStates.Normal, nrExclusive: 0, key: null);

    /// <summary>wake_up_interruptible(): like <see cref="WakeUp"/>, but only Interruptible sleepers.</summary>
    public void WakeUpInterruptible() => WakeUpCommon(TaskState.Interruptible, nrExclusive: 1, key: null);

    /// <inheritdoc />
    public override string ToString() => Name ?? "wait_queue_head";

    /// <summary>__wake_up_common: walks the queue, stops after <paramref name="nrExclusive"/> exclusive wakeups (0 = all).</summary>
    internal int WakeUpCommon(TaskState mode, int nrExclusive, object? key)
    {
        var woken = 0;
        lock (Lock)
        {
            foreach (var entry in entries.ToArray())
            {
                if (!entry.queued)
                {
                    continue;
                }

                var ret = entry.Wake(mode, key, this);
                if (ret < 0)
                {
                    break;
                }

                if (ret > 0)
                {
                    woken++;
                    if (entry.Exclusive && nrExclusive > 0 && --nrExclusive == 0)
                    {
                        break;
                    }
                }
            }
        }

        return woken;
    }

    internal void AddLocked(WaitQueueEntry entry, bool tail)
    {
        if (entry.queued)
        {
            return;
        }

        if (tail)
        {
            entries.Add(entry);
        }
        else
        {
            entries.Insert(0, entry);
        }

        Volatile.Write(ref entry.queued, true);
    }

    internal void RemoveLocked(WaitQueueEntry entry)
    {
        // Only the list that holds the entry may mark it unqueued: an entry that read() moved to
        // another queue must stay findable there (userfaultfd dequeues from both).
        if (!entry.queued || !entries.Remove(entry))
        {
            return;
        }

        Volatile.Write(ref entry.queued, false);
    }

    internal IReadOnlyList<WaitQueueEntry> SnapshotLocked() => entries.ToArray();
}

/// <summary>Named task-state masks of include/linux/sched.h.</summary>
internal static class TaskStates
{
    /// <summary>TASK_NORMAL: what wake_up() wakes.</summary>
    internal const TaskState Normal = TaskState.Interruptible | TaskState.Uninterruptible;
}

/// <summary>
/// The wait API of kernel/sched/wait.c and include/linux/wait.h: the open-coded
/// prepare/test/schedule/finish loop, and the <c>wait_event*</c> helpers that do it right.
/// </summary>
public static class Wait
{
    /// <summary>
    /// prepare_to_wait(): queues <paramref name="entry"/> (non-exclusive) if it is not queued and sets
    /// the current state to <paramref name="state"/>, under the queue lock. Test the condition after it.
    /// Throws <see cref="ArgumentOutOfRangeException"/> for a state that is not a <see cref="TaskState"/>.
    /// </summary>
    public static void PrepareToWait(WaitQueueHead wq, WaitQueueEntry entry, TaskState state)
    {
        ArgumentNullException.ThrowIfNull(wq);
        ArgumentNullException.ThrowIfNull(entry);
        Sched.CheckState(state);
        lock (wq.Lock)
        {
            entry.Exclusive = false;
            wq.AddLocked(entry, tail: false);
            Sched.SetCurrentState(state);
        }
    }

    /// <summary>prepare_to_wait_exclusive(): like <see cref="PrepareToWait"/>, queued at the tail as exclusive.</summary>
    public static void PrepareToWaitExclusive(WaitQueueHead wq, WaitQueueEntry entry, TaskState state)
    {
        ArgumentNullException.ThrowIfNull(wq);
        ArgumentNullException.ThrowIfNull(entry);
        Sched.CheckState(state);
        lock (wq.Lock)
        {
            entry.Exclusive = true;
            wq.AddLocked(entry, tail: true);
            Sched.SetCurrentState(state);
        }
    }

    /// <summary>
    /// finish_wait(): sets the state back to Running and dequeues <paramref name="entry"/> if a wakeup
    /// did not already (list_empty_careful, then list_del_init under the lock).
    /// </summary>
    public static void FinishWait(WaitQueueHead wq, WaitQueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(wq);
        ArgumentNullException.ThrowIfNull(entry);
        var task = KernelTask.Current;
        task.SetState(TaskState.Running);
        task.SleepPrepared = false;
        if (entry.Queued)
        {
            lock (wq.Lock)
            {
                wq.RemoveLocked(entry);
            }
        }
    }

    /// <summary>add_wait_queue(): queues <paramref name="entry"/> without touching the task state.</summary>
    public static void AddWaitQueue(WaitQueueHead wq, WaitQueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(wq);
        ArgumentNullException.ThrowIfNull(entry);
        lock (wq.Lock)
        {
            entry.Exclusive = false;
            wq.AddLocked(entry, tail: false);
        }
    }

    /// <summary>remove_wait_queue(): dequeues <paramref name="entry"/> if it is queued.</summary>
    public static void RemoveWaitQueue(WaitQueueHead wq, WaitQueueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(wq);
        ArgumentNullException.ThrowIfNull(entry);
        lock (wq.Lock)
        {
            wq.RemoveLocked(entry);
        }
    }

    /// <summary>
    /// wait_event(wq, condition): sleeps uninterruptibly until <paramref name="condition"/> is true,
    /// rechecking it after every wakeup (rule 40). Returns nothing.
    /// </summary>
    [MaySleep]
    public static void Event(WaitQueueHead wq, Func<bool> condition)
    {
        Validate(wq, condition);
        SleepChecks.MightSleep("wait_event", blockingPrimitive: true);
        if (condition())
        {
            return;
        }

        WaitEventCore(wq, condition, TaskState.Uninterruptible, exclusive: false);
    }

    /// <summary>
    /// wait_event_interruptible(wq, condition): 0 once the condition is true, or -ERESTARTSYS if any
    /// signal is pending first (rule 42).
    /// </summary>
    [MaySleep]
    public static int EventInterruptible(WaitQueueHead wq, Func<bool> condition)
    {
        Validate(wq, condition);
        SleepChecks.MightSleep("wait_event_interruptible", blockingPrimitive: true);
        if (condition())
        {
            return 0;
        }

        return (int)WaitEventCore(wq, condition, TaskState.Interruptible, exclusive: false);
    }

    /// <summary>
    /// wait_event_killable(wq, condition): 0 once the condition is true, or -ERESTARTSYS if a fatal
    /// signal (SIGKILL) is pending first; other signals do not interrupt it (rule 42).
    /// </summary>
    [MaySleep]
    public static int EventKillable(WaitQueueHead wq, Func<bool> condition)
    {
        Validate(wq, condition);
        SleepChecks.MightSleep("wait_event_killable", blockingPrimitive: true);
        if (condition())
        {
            return 0;
        }

        return (int)WaitEventCore(wq, condition, TaskState.Killable, exclusive: false);
    }

    /// <summary>
    /// wait_event_timeout(wq, condition, timeout): 0 if the condition is still false when the timeout
    /// ends, 1 if it became true as the timeout ended, otherwise the ticks left (at least 1).
    /// </summary>
    [MaySleep]
    public static long EventTimeout(WaitQueueHead wq, Func<bool> condition, long timeout)
    {
        Validate(wq, condition);
        SleepChecks.MightSleep("wait_event_timeout", blockingPrimitive: true);
        return EventTimeoutCore(wq, condition, TaskState.Uninterruptible, timeout);
    }

    /// <summary>
    /// wait_event_interruptible_timeout(): as <see cref="EventTimeout"/>, or -ERESTARTSYS when a
    /// signal is pending first.
    /// </summary>
    [MaySleep]
    public static long EventInterruptibleTimeout(WaitQueueHead wq, Func<bool> condition, long timeout)
    {
        Validate(wq, condition);
        SleepChecks.MightSleep("wait_event_interruptible_timeout", blockingPrimitive: true);
        return EventTimeoutCore(wq, condition, TaskState.Interruptible, timeout);
    }

    /// <summary>
    /// prepare_to_wait_event(): under the queue lock, a pending signal that the state lets in dequeues
    /// the entry and returns -ERESTARTSYS without setting the state; otherwise queue and set the state.
    /// </summary>
    internal static int PrepareToWaitEvent(WaitQueueHead wq, WaitQueueEntry entry, TaskState state)
    {
        var task = KernelTask.Current;
        lock (wq.Lock)
        {
            if (Signals.SignalPendingState(state, task))
            {
                wq.RemoveLocked(entry);
                return -Errno.ERESTARTSYS;
            }

            wq.AddLocked(entry, tail: entry.Exclusive);
            Sched.SetCurrentState(state);
            return 0;
        }
    }

    /// <summary>___wait_event without a timeout; returns 0 or the -ERESTARTSYS that interrupted it.</summary>
    internal static long WaitEventCore(WaitQueueHead wq, Func<bool> condition, TaskState state, bool exclusive)
    {
        var entry = new WaitQueueEntry(KernelTask.Current) { Exclusive = exclusive };
        for (;;)
        {
            var interrupted = PrepareToWaitEvent(wq, entry, state);
            if (condition())
            {
                break;
            }

            if (IsInterruptible(state) && interrupted != 0)
            {
                return interrupted;
            }

            Sched.ScheduleCore(Sched.MaxScheduleTimeout);
        }

        FinishWait(wq, entry);
        return 0;
    }

    private static long EventTimeoutCore(WaitQueueHead wq, Func<bool> condition, TaskState state, long timeout)
    {
        // ___wait_cond_timeout: a true condition with the timer already out still reports 1.
        var ret = timeout;
        bool CondTimeout()
        {
            var cond = condition();
            if (cond && ret == 0)
            {
                ret = 1;
            }

            return cond || ret == 0;
        }

        if (CondTimeout())
        {
            return ret;
        }

        var entry = new WaitQueueEntry(KernelTask.Current);
        for (;;)
        {
            var interrupted = PrepareToWaitEvent(wq, entry, state);
            if (CondTimeout())
            {
                break;
            }

            if (IsInterruptible(state) && interrupted != 0)
            {
                return interrupted;
            }

            ret = Sched.ScheduleCore(ret);
        }

        FinishWait(wq, entry);
        return ret;
    }

    private static bool IsInterruptible(TaskState state) =>
        (state & (TaskState.Interruptible | Signals.WakeKill)) != 0;

    private static void Validate(WaitQueueHead wq, Func<bool> condition)
    {
        ArgumentNullException.ThrowIfNull(wq);
        ArgumentNullException.ThrowIfNull(condition);
    }
}
