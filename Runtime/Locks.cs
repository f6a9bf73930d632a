namespace FaultLine;

/// <summary>A lock the current task holds, as lockdep records it.</summary>
internal sealed record HeldLock(object Lock, string Name, bool Write)
{
    public override string ToString() => Write ? $"{Name} (write)" : Name;
}

/// <summary>Lockdep-style bookkeeping of the locks each task holds, shared by every lock type.</summary>
internal static class Lockdep
{
    internal static void Acquired(object lockObject, string name, bool write) =>
        KernelTask.Current.HeldLocks.Add(new HeldLock(lockObject, name, write));

    /// <summary>Forgets one hold of <paramref name="lockObject"/> by the current task; false if it held none.</summary>
    internal static bool Released(object lockObject)
    {
        var held = KernelTask.Current.HeldLocks;
        for (var i = held.Count - 1; i >= 0; i--)
        {
            if (held[i] is HeldLock h && ReferenceEquals(h.Lock, lockObject))
            {
                held.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    internal static bool IsHeld(object lockObject, bool? write = null)
    {
        // Asked on every fault and GUP call: a plain loop, no allocation.
        var held = KernelTask.Current.HeldLocks;
        for (var i = 0; i < held.Count; i++)
        {
            if (held[i] is HeldLock l && ReferenceEquals(l.Lock, lockObject) && (write is null || l.Write == write))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The slow path every sleeping lock shares (rwsem_down_*_slowpath, __mutex_lock, folio_lock): queue
/// on the lock's wait queue, set the sleep state, try again, give up with -EINTR on a signal the state
/// lets in, otherwise sleep; dequeue and return to Running on the way out.
/// </summary>
internal static class LockWait
{
    internal static int Acquire(WaitQueueHead waiters, TaskState state, bool exclusive, Func<bool> tryAcquire)
    {
        var task = KernelTask.Current;
        var entry = new WaitQueueEntry(task);
        var result = 0;
        for (;;)
        {
            if (exclusive)
            {
                Wait.PrepareToWaitExclusive(waiters, entry, state);
            }
            else
            {
                Wait.PrepareToWait(waiters, entry, state);
            }

            if (tryAcquire())
            {
                break;
            }

            if (Signals.SignalPendingState(state, task))
            {
                result = -Errno.EINTR;
                break;
            }

            Sched.ScheduleCore(Sched.MaxScheduleTimeout);
        }

        Wait.FinishWait(waiters, entry);
        return result;
    }
}

/// <summary>
/// struct rw_semaphore: a sleeping reader-writer lock. Waiters sleep through <see cref="Sched"/>, so
/// signals, fault injection and the debug checks apply to them as to any sleeper. Waiting writers
/// hold back new readers, so a reader that takes it twice can deadlock behind a writer, as in Linux.
/// </summary>
public sealed class RwSemaphore
{
    private readonly object gate = new();
    private readonly WaitQueueHead waiters = new();
    private int readers;
    private KernelTask? writer;
    private int writersWaiting;

    /// <summary>init_rwsem(); <paramref name="name"/> is used in warnings.</summary>
    public RwSemaphore(string? name = null)
    {
        Name = name ?? "rw_semaphore";
    }

    /// <summary>The lock's name in warnings.</summary>
    public string Name { get; }

    /// <summary>rwsem_is_locked(): held by a reader or a writer.</summary>
    public bool IsLocked
    {
        get
        {
            lock (gate)
            {
                return readers > 0 || writer is not null;
            }
        }
    }

    /// <summary>Whether the current task holds it, for read or write (lockdep_is_held).</summary>
    public bool IsHeldByCurrent => Lockdep.IsHeld(this);

    /// <summary>Whether the current task holds it for write.</summary>
    public bool IsWriteHeldByCurrent => Lockdep.IsHeld(this, write: true);

    /// <summary>down_read(): takes it for read, sleeping uninterruptibly while a writer holds or waits for it.</summary>
    [MaySleep]
    public void DownRead() => Acquire(write: false, TaskState.Uninterruptible, "down_read");

    /// <summary>down_read_killable(): 0 once taken for read, or -EINTR if a fatal signal arrives first.</summary>
    [MaySleep]
    public int DownReadKillable() => Acquire(write: false, TaskState.Killable, "down_read_killable");

    /// <summary>down_read_trylock(): takes it for read if that needs no wait; never sleeps.</summary>
    public bool DownReadTrylock() => TryAcquire(write: false);

    /// <summary>down_write(): takes it exclusively, sleeping uninterruptibly.</summary>
    [MaySleep]
    public void DownWrite() => Acquire(write: true, TaskState.Uninterruptible, "down_write");

    /// <summary>down_write_killable(): 0 once taken exclusively, or -EINTR if a fatal signal arrives first.</summary>
    [MaySleep]
    public int DownWriteKillable() => Acquire(write: true, TaskState.Killable, "down_write_killable");

    /// <summary>down_write_trylock(): takes it exclusively if that needs no wait; never sleeps.</summary>
    public bool DownWriteTrylock() => TryAcquire(write: true);

    /// <summary>
    /// up_read(): releases a read hold. Releasing a lock the caller does not hold for read (nobody holds
    /// it, or only other tasks do: lockdep's "bad unlock balance") is reported (FL4007) and ignored.
    /// </summary>
    public void UpRead()
    {
        lock (gate)
        {
            if (readers == 0 || !Lockdep.IsHeld(this, write: false))
            {
                KernelDebug.Warn("FL4007", readers == 0
                    ? $"up_read: {Name} is not held for read (released twice?)"
                    : $"up_read: {Name} is not held for read by {KernelTask.Current.Comm} (bad unlock balance)");
                return;
            }

            readers--;
        }

        Lockdep.Released(this);
        waiters.WakeUpAll();
    }

    /// <summary>up_write(): releases the write hold. Releasing a lock the caller does not hold for write is reported (FL4007) and ignored.</summary>
    public void UpWrite()
    {
        lock (gate)
        {
            if (writer is null || !ReferenceEquals(writer, KernelTask.Current))
            {
                KernelDebug.Warn("FL4007", writer is null
                    ? $"up_write: {Name} is not held for write (released twice?)"
                    : $"up_write: {Name} is held for write by {writer.Comm}, not by {KernelTask.Current.Comm}");
                return;
            }

            writer = null;
        }

        Lockdep.Released(this);
        waiters.WakeUpAll();
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private bool TryAcquire(bool write)
    {
        lock (gate)
        {
            if (write)
            {
                if (readers > 0 || writer is not null)
                {
                    return false;
                }

                writer = KernelTask.Current;
            }
            else
            {
                if (writer is not null || writersWaiting > 0)
                {
                    return false;
                }

                readers++;
            }
        }

        Lockdep.Acquired(this, Name, write);
        return true;
    }

    private int Acquire(bool write, TaskState sleepState, string what)
    {
        SleepChecks.MightSleep(what, blockingPrimitive: true);
        if (TryAcquire(write))
        {
            return 0;
        }

        if (write)
        {
            lock (gate)
            {
                writersWaiting++;
            }
        }

        try
        {
            return LockWait.Acquire(waiters, sleepState, exclusive: false, () => TryAcquireWaiting(write));
        }
        finally
        {
            if (write)
            {
                lock (gate)
                {
                    writersWaiting--;
                }

                // Readers held back by this writer must look again if it gave up.
                waiters.WakeUpAll();
            }
        }
    }

    // A waiting writer counts itself in writersWaiting; it must not block on its own count.
    private bool TryAcquireWaiting(bool write)
    {
        if (!write)
        {
            return TryAcquire(write: false);
        }

        lock (gate)
        {
            if (readers > 0 || writer is not null)
            {
                return false;
            }

            writer = KernelTask.Current;
        }

        Lockdep.Acquired(this, Name, write: true);
        return true;
    }
}

/// <summary>struct mutex: a sleeping lock with one owner.</summary>
public sealed class KMutex
{
    private readonly object gate = new();
    private readonly WaitQueueHead waiters = new();
    private KernelTask? owner;

    /// <summary>mutex_init(); <paramref name="name"/> is used in warnings.</summary>
    public KMutex(string? name = null)
    {
        Name = name ?? "mutex";
    }

    /// <summary>The lock's name in warnings.</summary>
    public string Name { get; }

    /// <summary>mutex_is_locked().</summary>
    public bool IsLocked => Volatile.Read(ref owner) is not null;

    /// <summary>mutex_lock(): sleeps uninterruptibly until it is free.</summary>
    [MaySleep]
    public void Lock() => Acquire(TaskState.Uninterruptible, "mutex_lock");

    /// <summary>mutex_lock_interruptible(): 0 once taken, -EINTR if any signal arrives first.</summary>
    [MaySleep]
    public int LockInterruptible() => Acquire(TaskState.Interruptible, "mutex_lock_interruptible");

    /// <summary>mutex_lock_killable(): 0 once taken, -EINTR if a fatal signal arrives first.</summary>
    [MaySleep]
    public int LockKillable() => Acquire(TaskState.Killable, "mutex_lock_killable");

    /// <summary>mutex_trylock(): true if taken without waiting; never sleeps.</summary>
    public bool TryLock()
    {
        var me = KernelTask.Current;
        lock (gate)
        {
            if (owner is not null)
            {
                return false;
            }

            owner = me;
        }

        Lockdep.Acquired(this, Name, write: true);
        return true;
    }

    /// <summary>mutex_unlock(): releases it. Unlocking a mutex the caller does not hold is reported and ignored.</summary>
    public void Unlock()
    {
        var me = KernelTask.Current;
        lock (gate)
        {
            if (owner is null)
            {
                KernelDebug.Warn("FL4007", $"mutex_unlock: {Name} is not locked (released twice?)");
                return;
            }

            if (!ReferenceEquals(owner, me))
            {
                KernelDebug.Warn(null, $"mutex_unlock: {Name} is owned by {owner.Comm}, not {me.Comm}");
                return;
            }

            owner = null;
        }

        Lockdep.Released(this);
        waiters.WakeUp();
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private int Acquire(TaskState sleepState, string what)
    {
        SleepChecks.MightSleep(what, blockingPrimitive: true);
        if (TryLock())
        {
            return 0;
        }

        var result = LockWait.Acquire(waiters, sleepState, exclusive: true, TryLock);
        if (result != 0)
        {
            // An exclusive waiter that gives up passes on a wakeup it may have consumed.
            waiters.WakeUp();
        }

        return result;
    }
}

/// <summary>
/// spinlock_t: a busy-waiting lock. Holding one is atomic context: any sleep while it is held is
/// reported as FL3006. Taking it twice on one task is the kernel's "spinlock recursion" BUG.
/// </summary>
public sealed class KSpinLock
{
    private KernelTask? owner;

    /// <summary>spin_lock_init(); <paramref name="name"/> is used in messages.</summary>
    public KSpinLock(string? name = null)
    {
        Name = name ?? "spinlock";
    }

    /// <summary>The lock's name in messages.</summary>
    public string Name { get; }

    /// <summary>spin_is_locked().</summary>
    public bool IsLocked => Volatile.Read(ref owner) is not null;

    /// <summary>spin_lock(): spins until free, then the task is in atomic context until <see cref="Unlock"/>.</summary>
    public void Lock()
    {
        var me = KernelTask.Current;
        if (ReferenceEquals(Volatile.Read(ref owner), me))
        {
            throw new KernelBugException($"spinlock recursion: {Name} already held by {me.Comm}");
        }

        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref owner, me, null) is not null)
        {
            spin.SpinOnce();
        }

        me.AtomicDepth++;
        Lockdep.Acquired(this, Name, write: true);
    }

    /// <summary>spin_trylock(): true if taken at once.</summary>
    public bool TryLock()
    {
        var me = KernelTask.Current;
        if (Interlocked.CompareExchange(ref owner, me, null) is not null)
        {
            return false;
        }

        me.AtomicDepth++;
        Lockdep.Acquired(this, Name, write: true);
        return true;
    }

    /// <summary>spin_unlock(): releases it; the kernel BUGs on a wrong owner or an unlocked lock.</summary>
    public void Unlock()
    {
        var me = KernelTask.Current;
        var held = Volatile.Read(ref owner);
        if (held is null)
        {
            throw new KernelBugException($"spinlock already unlocked: {Name}");
        }

        if (!ReferenceEquals(held, me))
        {
            throw new KernelBugException($"spinlock wrong owner: {Name} is held by {held.Comm}, released by {me.Comm}");
        }

        me.AtomicDepth--;
        Lockdep.Released(this);
        Volatile.Write(ref owner, null);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
