using System.Runtime.ExceptionServices;

namespace FaultLine;

/// <summary>
/// A task (struct task_struct): a real thread with a comm, an mm, a state, pending signals and the
/// bookkeeping the debug checks need (held locks, spinlock depth, pins taken). A thread that was not
/// started with <see cref="Start"/> is adopted as a task the first time it asks for
/// <see cref="Current"/>, the way every kernel thread has a current.
/// </summary>
public sealed class KernelTask
{
    [ThreadStatic] private static KernelTask? current;
    private static int adoptedCount;

    private readonly Thread? thread;
    private readonly ManualResetEventSlim exited = new(false);
    private ExceptionDispatchInfo? failure;

    // pi_lock: guards State and the pending signal set against wakers, so a wakeup or signal can
    // never slip between Schedule's last check and its sleep.
    internal readonly object PiLock = new();
    private TaskState state;
    private int pendingSignals;

    private KernelTask(string comm, MmStruct? mm, Thread? thread)
    {
        Comm = comm;
        Mm = mm;
        this.thread = thread;
    }

    /// <summary>current: the task running this code. Threads not started by <see cref="Start"/> are adopted.</summary>
    public static KernelTask Current => current ??= Adopt();

    /// <summary>The current task if this thread already is one, without adopting it.</summary>
    internal static KernelTask? CurrentOrNull => current;

    /// <summary>The task's command name (task->comm).</summary>
    public string Comm { get; }

    /// <summary>The task's address space (task->mm), or null for a kernel thread.</summary>
    public MmStruct? Mm { get; }

    /// <summary>The task state (task->__state), as last set by the task or a waker.</summary>
    public TaskState State
    {
        get
        {
            lock (PiLock)
            {
                return state;
            }
        }
    }

    /// <summary>signal_pending(): any signal is pending.</summary>
    public bool SignalPending => Volatile.Read(ref pendingSignals) != 0;

    /// <summary>fatal_signal_pending(): SIGKILL is pending.</summary>
    public bool FatalSignalPending => (Volatile.Read(ref pendingSignals) & SignalBit(Signal.SIGKILL)) != 0;

    /// <summary>
    /// Where the task last went to sleep, when <see cref="KernelDebug.RecordSleepStacks"/> is set
    /// (null otherwise, or while it runs).
    /// </summary>
    public string? SleepStack { get; private set; }

    /// <summary>True once the task's body has returned or thrown.</summary>
    public bool HasExited => exited.IsSet;

    /// <summary>The signals pending right now.</summary>
    public IReadOnlyList<Signal> PendingSignals
    {
        get
        {
            var bits = Volatile.Read(ref pendingSignals);
            return Enum.GetValues<Signal>().Where(s => (bits & SignalBit(s)) != 0).ToArray();
        }
    }

    // Debug-check bookkeeping, touched only by the task itself.
    internal int AtomicDepth;
    internal int NowaitFaultDepth;
    internal bool SleepPrepared;
    internal readonly List<object> HeldLocks = new();
    // Pins and references this task took, for the exit check; see PageLedger.
    internal readonly PageLedger Ledger = new();
    internal InjectionStream? Injection;

    /// <summary>
    /// Starts a task (kernel_thread / a user thread entering the kernel) that runs <paramref name="body"/>
    /// on its own thread with <see cref="Current"/> set to it. When the body ends, the exit checks run:
    /// a lock still held is reported as FL4007, pinned or referenced pages still held as FL4005. Under
    /// <see cref="KernelDebug.PanicOnWarn"/> such a warning is rethrown by <see cref="Join()"/>, like a
    /// failure of the body. Throws <see cref="ArgumentNullException"/> for a null comm or body.
    /// </summary>
    public static KernelTask Start(string comm, MmStruct? mm, Action body)
    {
        ArgumentNullException.ThrowIfNull(comm);
        ArgumentNullException.ThrowIfNull(body);
        KernelTask? task = null;
        var injection = FaultInjection.Current;
        var thread = new Thread(() =>
        {
            current = task;
            task!.Injection = injection?.StreamFor(task.Comm);
            try
            {
                body();
            }
            catch (Exception e)
            {
                task.failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                try
                {
                    task.ExitChecks();
                }
                catch (KernelBugException e)
                {
                    // panic_on_warn at exit: surface it from Join instead of killing the process.
                    task.failure ??= ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    task.exited.Set();
                }
            }
        })
        {
            IsBackground = true,
            Name = comm,
        };
        task = new KernelTask(comm, mm, thread);
        thread.Start();
        return task;
    }

    /// <summary>
    /// Waits for the task to end. If its body threw, the exception is rethrown here so that a test
    /// sees it.
    /// </summary>
    public void Join()
    {
        exited.Wait();
        failure?.Throw();
    }

    /// <summary>
    /// Waits at most <paramref name="timeout"/> for the task to end; false if it is still running.
    /// This is a watchdog, not a way to decide an outcome: use wait queues for that.
    /// </summary>
    public bool Join(TimeSpan timeout)
    {
        if (!exited.Wait(timeout))
        {
            return false;
        }

        failure?.Throw();
        return true;
    }

    /// <summary>
    /// send_sig(): makes <paramref name="sig"/> pending and wakes the task if its sleep allows it:
    /// any signal wakes Interruptible, SIGKILL also wakes Killable (signal_wake_up).
    /// </summary>
    public void SendSignal(Signal sig)
    {
        lock (PiLock)
        {
            pendingSignals |= SignalBit(sig);
            if (Signals.SignalPendingState(state, this))
            {
                state = TaskState.Running;
                Monitor.PulseAll(PiLock);
            }
        }
    }

    /// <summary>flush_signals(): forgets every pending signal (what signal delivery does, in the model).</summary>
    public void FlushSignals()
    {
        lock (PiLock)
        {
            pendingSignals = 0;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Comm} ({state})";

    internal static int SignalBit(Signal sig) => 1 << (int)sig;

    /// <summary>set_current_state(): a locked store, which is the full barrier the kernel's smp_store_mb gives.</summary>
    internal void SetState(TaskState newState)
    {
        lock (PiLock)
        {
            state = newState;
        }
    }

    /// <summary>try_to_wake_up(p, mask): wakes the task if its state is in <paramref name="mask"/>.</summary>
    internal bool TryToWakeUp(TaskState mask)
    {
        lock (PiLock)
        {
            if (state == TaskState.Running || (state & mask) == 0)
            {
                return false;
            }

            state = TaskState.Running;
            Monitor.PulseAll(PiLock);
            return true;
        }
    }

    /// <summary>The sleep itself: blocks until a waker or a signal sets Running, or the timeout ends.</summary>
    /// <returns>False if the timeout ended first (the state is then set back to Running).</returns>
    internal bool BlockUntilRunning(int timeoutMs)
    {
        lock (PiLock)
        {
            if (state == TaskState.Running)
            {
                return true;
            }

            // Rule 45: a sleeping state with a matching signal pending does not sleep at all.
            if (Signals.SignalPendingState(state, this))
            {
                state = TaskState.Running;
                return true;
            }

            if (KernelDebug.RecordSleepStacks)
            {
                SleepStack = Environment.StackTrace;
            }

            if (timeoutMs == Timeout.Infinite)
            {
                while (state != TaskState.Running)
                {
                    Monitor.Wait(PiLock);
                }

                SleepStack = null;
                return true;
            }

            var deadline = Environment.TickCount64 + timeoutMs;
            while (state != TaskState.Running)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    state = TaskState.Running;
                    SleepStack = null;
                    return false;
                }

                Monitor.Wait(PiLock, (int)left);
            }

            SleepStack = null;
            return true;
        }
    }

    private static KernelTask Adopt()
    {
        var n = Interlocked.Increment(ref adoptedCount);
        var name = Thread.CurrentThread.Name ?? $"thread-{n}";
        var task = new KernelTask(name, null, null);
        task.Injection = FaultInjection.Current?.StreamFor(name);
        return task;
    }

    private void ExitChecks()
    {
        foreach (var held in HeldLocks.ToArray())
        {
            KernelDebug.Warn("FL4007", $"lock held when task exits: {held} still held by {Comm}");
        }

        var pins = Ledger.Outstanding(pin: true);
        if (pins > 0)
        {
            KernelDebug.Warn("FL4005", $"{pins} pinned page(s) still pinned by {Comm} when it exits");
        }

        var refs = Ledger.Outstanding(pin: false);
        if (refs > 0)
        {
            KernelDebug.Warn("FL4005", $"{refs} page reference(s) from get_user_pages still held by {Comm} when it exits");
        }

        if (State != TaskState.Running)
        {
            KernelDebug.Warn("FL3005", $"task {Comm} exits in state {State}: the state was not restored to Running");
        }
    }
}
