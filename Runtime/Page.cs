namespace FaultLine;

/// <summary>
/// struct page: one 4 KiB frame with its contents, reference count, pin count and page lock.
/// <see cref="RefCount"/> counts the mapping (1 while mapped) and FOLL_GET references;
/// <see cref="PinCount"/> counts FOLL_PIN pins. The kernel folds pins into the refcount with
/// GUP_PIN_COUNTING_BIAS; the model keeps them apart so each release can be checked against its kind.
/// </summary>
public sealed class Page
{
    /// <summary>PAGE_SIZE.</summary>
    public const int Size = 4096;

    /// <summary>PAGE_SHIFT.</summary>
    public const int Shift = 12;

    private static long nextPfn = 0x1000;

    // The kernel keeps no wait queue in struct page (folio_waitqueue hashes into a shared table);
    // the model gives a page its own, but only once a task waits on it: most pages never see a
    // waiter, and the GUP hot paths stay on small objects.
    private WaitQueueHead? lockWaiters;
    private int refCount = 1;
    private int pinCount;
    private int pinHandoffs;
    private int refHandoffs;
    private KernelTask? lockOwner;

    /// <summary>alloc_page(): a new zeroed page with one reference (its mapping).</summary>
    public Page()
    {
        Pfn = Interlocked.Increment(ref nextPfn);
    }

    /// <summary>The page frame number.</summary>
    public long Pfn { get; }

    /// <summary>The page contents; allocated on first use, so untouched pages cost no 4 KiB (a zero page until then).</summary>
    public byte[] Data
    {
        get
        {
            var data = Volatile.Read(ref contents);
            return data ?? Interlocked.CompareExchange(ref contents, new byte[Size], null) ?? contents!;
        }
    }

    private byte[]? contents;

    /// <summary>page_ref_count(): 1 for the mapping plus one per FOLL_GET reference.</summary>
    public int RefCount => Volatile.Read(ref refCount);

    /// <summary>The number of FOLL_PIN pins (folio_maybe_dma_pinned when &gt; 0).</summary>
    public int PinCount => Volatile.Read(ref pinCount);

    /// <summary>PageLocked().</summary>
    public bool IsLocked => Volatile.Read(ref lockOwner) is not null;

    /// <summary>lock_page(): takes the page lock, sleeping uninterruptibly while another task holds it.</summary>
    [MaySleep]
    public void Lock()
    {
        SleepChecks.MightSleep("lock_page", blockingPrimitive: true);
        LockSlow(TaskState.Uninterruptible);
    }

    /// <summary>trylock_page(): true if the page lock was free and is now held; never sleeps.</summary>
    public bool TryLock()
    {
        var me = KernelTask.Current;
        if (Interlocked.CompareExchange(ref lockOwner, me, null) is not null)
        {
            return false;
        }

        // Like the kernel's lockdep, the model does not track page locks: they are handed between
        // tasks (VM_FAULT_LOCKED) and released by whoever finishes the I/O.
        return true;
    }

    /// <summary>lock_page_killable(): 0 with the page locked, or -EINTR if a fatal signal arrives first.</summary>
    [MaySleep]
    public int LockKillable()
    {
        SleepChecks.MightSleep("lock_page_killable", blockingPrimitive: true);
        return LockSlow(TaskState.Killable);
    }

    /// <summary>unlock_page(): releases the page lock and wakes its waiters. Unlocking an unlocked page is a BUG.</summary>
    public void Unlock()
    {
        var held = Interlocked.Exchange(ref lockOwner, null);
        if (held is null)
        {
            throw new KernelBugException($"unlock_page: page 0x{Pfn:x} is not locked");
        }

        // The exchange above is a full fence: a waiter that created the queue after this read saw
        // the lock free when it checked again after queueing (LockWait and WaitEventCore both do).
        Volatile.Read(ref lockWaiters)?.WakeUpAll();
    }

    /// <inheritdoc />
    public override string ToString() => $"page pfn=0x{Pfn:x} ref={RefCount} pin={PinCount}";

    /// <summary>
    /// folio_wait_locked / folio_wait_locked_killable: sleeps until the page is unlocked, without
    /// taking the lock. 0, or -EINTR when killable and a fatal signal arrives.
    /// </summary>
    internal int WaitUnlocked(bool killable)
    {
        var state = killable ? TaskState.Killable : TaskState.Uninterruptible;
        if (!IsLocked)
        {
            return 0;
        }

        var r = Wait.WaitEventCore(LockWaiters, () => !IsLocked, state, exclusive: false);
        return r == 0 ? 0 : -Errno.EINTR;
    }

    /// <summary>__folio_lock without the might_sleep check (the caller ran it).</summary>
    internal void LockCore() => LockSlow(TaskState.Uninterruptible);

    /// <summary>__folio_lock_killable without the might_sleep check.</summary>
    internal int LockKillableCore() => LockSlow(TaskState.Killable);

    /// <summary>
    /// try_grab_folio() for one page: one FOLL_PIN pin or one FOLL_GET reference, recorded in
    /// <paramref name="ledger"/>, the taking task's, when page owners are tracked (null when not).
    /// </summary>
    internal void Grab(bool pin, PageLedger? ledger)
    {
        Interlocked.Increment(ref pin ? ref pinCount : ref refCount);
        ledger?.Took(this, pin);
    }

    /// <summary>Drops one pin; false (and nothing changes) if the page is not pinned.</summary>
    internal bool DropPin(KernelTask by) => Drop(ref pinCount, floor: 0, by, pin: true);

    /// <summary>Drops one FOLL_GET reference; false when only the mapping's reference is left.</summary>
    internal bool DropRef(KernelTask by) => Drop(ref refCount, floor: 1, by, pin: false);

    /// <summary>Takes up to <paramref name="wanted"/> hand-off credits: releases other tasks made for its takers.</summary>
    internal int ClaimHandoffs(int wanted, bool pin)
    {
        ref var credits = ref pin ? ref pinHandoffs : ref refHandoffs;
        for (;;)
        {
            var have = Volatile.Read(ref credits);
            var take = Math.Min(have, wanted);
            if (take == 0 || Interlocked.CompareExchange(ref credits, have - take, have) == have)
            {
                return take;
            }
        }
    }

    private bool Drop(ref int count, int floor, KernelTask by, bool pin)
    {
        for (;;)
        {
            var have = Volatile.Read(ref count);
            if (have <= floor)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref count, have - 1, have) == have)
            {
                break;
            }
        }

        if (KernelDebug.TrackPageOwners && !by.Ledger.Gave(this, pin))
        {
            Interlocked.Increment(ref pin ? ref pinHandoffs : ref refHandoffs);
        }

        return true;
    }

    private int LockSlow(TaskState state)
    {
        if (TryLock())
        {
            return 0;
        }

        return LockWait.Acquire(LockWaiters, state, exclusive: false, TryLock);
    }

    /// <summary>The page's wait queue, created (once, and published with a full fence) by the first waiter.</summary>
    private WaitQueueHead LockWaiters =>
        Volatile.Read(ref lockWaiters)
        ?? Interlocked.CompareExchange(ref lockWaiters, new WaitQueueHead { Name = "page lock" }, null)
        ?? lockWaiters!;
}
