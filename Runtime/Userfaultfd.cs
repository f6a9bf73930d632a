namespace FaultLine;

/// <summary>UFFDIO_REGISTER modes.</summary>
[Flags]
public enum UffdRegisterMode
{
    /// <summary>UFFDIO_REGISTER_MODE_MISSING: report faults on pages that are not there.</summary>
    Missing = 1,
    /// <summary>UFFDIO_REGISTER_MODE_WP: report write-protect faults (not modelled: Register returns -EINVAL).</summary>
    Wp = 2,
}

/// <summary>UFFDIO_COPY modes.</summary>
[Flags]
public enum UffdCopyMode
{
    /// <summary>Copy, then wake the faulting tasks.</summary>
    None = 0,
    /// <summary>UFFDIO_COPY_MODE_DONTWAKE: copy only; wake later with <see cref="Userfaultfd.Wake"/>.</summary>
    DontWake = 1,
}

/// <summary>userfaultfd features chosen at creation (UFFDIO_API).</summary>
[Flags]
public enum UffdFeatures
{
    /// <summary>No features: faults wait for the resolver.</summary>
    None = 0,
    /// <summary>UFFD_FEATURE_SIGBUS: faults fail with SIGBUS instead of waiting.</summary>
    Sigbus = 1,
}

/// <summary>Why handle_userfault was called (VM_UFFD_MISSING, VM_UFFD_WP, VM_UFFD_MINOR).</summary>
public enum UffdReason
{
    /// <summary>The page is missing.</summary>
    Missing,
    /// <summary>A write to a write-protected page.</summary>
    Wp,
    /// <summary>A minor fault (page cache page present, PTE missing).</summary>
    Minor,
}

/// <summary>The event a <see cref="UffdMsg"/> reports.</summary>
public enum UffdEvent
{
    /// <summary>No event: the read failed; see <see cref="UffdMsg.Error"/>.</summary>
    None,
    /// <summary>UFFD_EVENT_PAGEFAULT.</summary>
    Pagefault,
}

/// <summary>
/// struct uffd_msg: a page fault waiting for the resolver, or (Event None) a failed read with
/// <see cref="Error"/> -ERESTARTSYS (a signal) or -EBADF (the context was released).
/// </summary>
public readonly record struct UffdMsg(UffdEvent Event, ulong Address, bool Write, int Error)
{
    /// <summary>True when the read failed and <see cref="Error"/> says why.</summary>
    public bool IsError => Error != 0;
}

/// <summary>
/// fs/userfaultfd.c: a userfaultfd context. Faults on registered missing pages queue a message and
/// sleep in <see cref="HandleUserfault"/>; a resolver task reads the messages and answers them with
/// <see cref="Copy"/>, which fills the page and wakes the faulting tasks.
/// </summary>
public sealed class Userfaultfd
{
    private readonly MmStruct mm;
    private readonly WaitQueueHead faultPendingWqh = new() { Name = "fault_pending_wqh" };
    private readonly WaitQueueHead faultWqh = new() { Name = "fault_wqh" };
    private readonly WaitQueueHead fdWqh = new() { Name = "fd_wqh" };
    private volatile bool released;

    private Userfaultfd(MmStruct mm, UffdFeatures features)
    {
        this.mm = mm;
        Features = features;
    }

    /// <summary>The features chosen at creation.</summary>
    public UffdFeatures Features { get; }

    /// <summary>Whether the context was released (ctx->released).</summary>
    public bool Released => released;

    /// <summary>Whether a faulting task is waiting on this context now (queued, read or not).</summary>
    public bool HasWaiters => faultPendingWqh.HasSleepers || faultWqh.HasSleepers;

    /// <summary>userfaultfd(2) + UFFDIO_API: a context for <paramref name="mm"/>.</summary>
    public static Userfaultfd Create(MmStruct mm, UffdFeatures features = UffdFeatures.None)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return new Userfaultfd(mm, features);
    }

    /// <summary>
    /// UFFDIO_REGISTER: serve missing-page faults in [<paramref name="start"/>, start + len) from this
    /// context. The range must be page aligned and exactly covered by anonymous VMAs not registered
    /// elsewhere. Returns 0, -EINVAL (bad range, holes, non-anonymous VMA, WP mode), -EBUSY (registered
    /// with another context) or -EBADF (the context was released: its file is closed).
    /// </summary>
    [MaySleep]
    public int Register(ulong start, ulong len, UffdRegisterMode mode)
    {
        const ulong mask = Page.Size - 1;
        if (released)
        {
            return -Errno.EBADF;
        }

        if ((start & mask) != 0 || (len & mask) != 0 || len == 0 || start + len < start || mode != UffdRegisterMode.Missing)
        {
            return -Errno.EINVAL;
        }

        var end = start + len;
        mm.MmapWriteLock();
        try
        {
            var covered = mm.Vmas.Where(v => v.Start < end && start < v.End).ToList();
            var cursor = start;
            foreach (var v in covered)
            {
                if (v.Start != cursor && v.Start > cursor)
                {
                    return -Errno.EINVAL;
                }

                if (v.Start < start || v.End > end || v.Ops is not null || (v.Flags & (VmFlags.Io | VmFlags.Pfnmap)) != 0)
                {
                    return -Errno.EINVAL;
                }

                if (v.Uffd is not null && v.Uffd != this)
                {
                    return -Errno.EBUSY;
                }

                cursor = v.End;
            }

            if (cursor != end)
            {
                return -Errno.EINVAL;
            }

            foreach (var v in covered)
            {
                v.Uffd = this;
                v.SetFlags(v.Flags | VmFlags.UffdMissing);
            }

            return 0;
        }
        finally
        {
            mm.MmapWriteUnlock();
        }
    }

    /// <summary>
    /// read(2) on the userfaultfd: blocks (interruptibly) until a fault message is pending and returns
    /// it; the fault moves from "pending" to "read". A signal gives a message with Error -ERESTARTSYS,
    /// a released context one with -EBADF.
    /// </summary>
    [MaySleep]
    public UffdMsg Read()
    {
        SleepChecks.MightSleep("userfaultfd read", blockingPrimitive: true);
        var msg = default(UffdMsg);
        var ret = Wait.EventInterruptible(fdWqh, () => TryRead(out msg) || released);
        if (ret != 0)
        {
            return new UffdMsg(UffdEvent.None, 0, false, ret);
        }

        return msg.Event == UffdEvent.Pagefault ? msg : new UffdMsg(UffdEvent.None, 0, false, -Errno.EBADF);
    }

    /// <summary>A non-blocking read (O_NONBLOCK): true and the message if a fault is pending.</summary>
    public bool TryRead(out UffdMsg msg)
    {
        // The move from pending to read holds both queue locks, so a waker that walks pending and
        // then read can never miss the entry in flight (the refile race of case 12).
        lock (faultPendingWqh.Lock)
        {
            foreach (var entry in faultPendingWqh.SnapshotLocked())
            {
                if (entry.Tag is not UserfaultWait uwq)
                {
                    continue;
                }

                lock (faultWqh.Lock)
                {
                    faultPendingWqh.RemoveLocked(entry);
                    faultWqh.AddLocked(entry, tail: true);
                }

                msg = uwq.Msg;
                return true;
            }
        }

        msg = default;
        return false;
    }

    /// <summary>
    /// UFFDIO_COPY: fills the pages at <paramref name="dst"/> with <paramref name="src"/> (whole pages)
    /// and, unless <see cref="UffdCopyMode.DontWake"/>, wakes the tasks waiting on them. Returns the
    /// bytes copied, or -EINVAL (unaligned, empty, not whole pages, a range that wraps, an unknown mode
    /// bit), -ENOENT (not a range of this context), -EEXIST (the first page is already there), -EBADF
    /// (the context was released).
    /// </summary>
    [MaySleep]
    public int Copy(ulong dst, byte[] src, UffdCopyMode mode = UffdCopyMode.None)
    {
        ArgumentNullException.ThrowIfNull(src);
        if (released)
        {
            return -Errno.EBADF;
        }

        if ((dst & (Page.Size - 1)) != 0 || src.Length == 0 || src.Length % Page.Size != 0
            || dst + (ulong)src.Length < dst || (mode & ~UffdCopyMode.DontWake) != 0)
        {
            return -Errno.EINVAL;
        }

        var copied = 0;
        var error = 0;
        mm.MmapReadLock();
        try
        {
            for (var off = 0; off < src.Length; off += Page.Size)
            {
                var address = dst + (ulong)off;
                var vma = mm.FindVmaLocked(address);
                if (vma is null || vma.Start > address || vma.Uffd != this)
                {
                    error = -Errno.ENOENT;
                    break;
                }

                if (mm.LookupPte(address) is not null)
                {
                    error = -Errno.EEXIST;
                    break;
                }

                var page = new Page();
                Array.Copy(src, off, page.Data, 0, Page.Size);
                mm.SetPte(address, new Pte(page, (vma.Flags & VmFlags.Write) != 0));
                copied += Page.Size;
            }
        }
        finally
        {
            mm.MmapReadUnlock();
        }

        if (copied > 0 && (mode & UffdCopyMode.DontWake) == 0)
        {
            Wake(dst, (ulong)copied);
        }

        return copied > 0 ? copied : error;
    }

    /// <summary>
    /// UFFDIO_WAKE: wakes the tasks waiting on faults in [<paramref name="start"/>, start + len). A range
    /// that is unaligned, empty or wraps is the kernel's -EINVAL (validate_range): it throws
    /// <see cref="ArgumentException"/> and wakes nobody.
    /// </summary>
    public void Wake(ulong start, ulong len)
    {
        const ulong mask = Page.Size - 1;
        if ((start & mask) != 0 || (len & mask) != 0 || len == 0 || start + len < start)
        {
            throw new ArgumentException($"-EINVAL: UFFDIO_WAKE range [0x{start:x}, +0x{len:x}) is not a non-empty, page-aligned range", nameof(len));
        }

        var range = new WakeRange(start, len);
        faultPendingWqh.WakeUpCommon(TaskStates.Normal, 0, range);
        faultWqh.WakeUpCommon(TaskStates.Normal, 0, range);
    }

    /// <summary>
    /// close(2) of the last reference (userfaultfd_release): unregisters every range, marks the context
    /// released and wakes everyone; woken faults retry and now find ordinary anonymous memory.
    /// </summary>
    [MaySleep]
    public void Release()
    {
        mm.MmapWriteLock();
        try
        {
            released = true;
            foreach (var v in mm.Vmas.Where(v => v.Uffd == this))
            {
                v.Uffd = null;
                v.SetFlags(v.Flags & ~(VmFlags.UffdMissing | VmFlags.UffdWp));
            }
        }
        finally
        {
            mm.MmapWriteUnlock();
        }

        faultPendingWqh.WakeUpCommon(TaskStates.Normal, 0, null);
        faultWqh.WakeUpCommon(TaskStates.Normal, 0, null);
        fdWqh.WakeUpAll();
    }

    /// <summary>
    /// handle_userfault(vmf, reason), called by the fault path for a registered VMA with the mmap lock
    /// held (rules 35-39):
    /// <list type="bullet">
    /// <item>no context, UFFD_FEATURE_SIGBUS, or no AllowRetry → Sigbus without waiting;</item>
    /// <item>RetryNowait → Retry at once, the lock still held;</item>
    /// <item>a released context → release the lock, Retry;</item>
    /// <item>otherwise queue, set the sleep state (Interruptible if the fault is, else Killable if it
    /// is, else Uninterruptible), recheck the page table, release the lock, sleep once if the page is
    /// still missing, and return Retry: the caller re-faults and rechecks everything.</item>
    /// </list>
    /// </summary>
    [MaySleep]
    public static VmFaultResult HandleUserfault(VmFault vmf, UffdReason reason)
    {
        ArgumentNullException.ThrowIfNull(vmf);
        var vma = vmf.Vma;
        var mm = vma.Mm;
        var ctx = vma.Uffd;
        var flags = vmf.Flags;
        if (ctx is null || (ctx.Features & UffdFeatures.Sigbus) != 0)
        {
            return VmFaultResult.Sigbus;
        }

        if ((flags & FaultFlags.AllowRetry) == 0)
        {
            // "FAULT_FLAG_ALLOW_RETRY missing": the caller cannot wait, so the fault fails.
            KernelDebug.WarnOn((flags & FaultFlags.RetryNowait) != 0, "handle_userfault: FAULT_FLAG_RETRY_NOWAIT without FAULT_FLAG_ALLOW_RETRY");
            return VmFaultResult.Sigbus;
        }

        if ((flags & FaultFlags.RetryNowait) != 0)
        {
            return VmFaultResult.Retry;
        }

        if (ctx.released)
        {
            mm.MmapReadUnlock();
            return VmFaultResult.Retry;
        }

        var task = KernelTask.Current;
        var state = BlockingState(flags);
        var uwq = new UserfaultWait(new UffdMsg(UffdEvent.Pagefault, vmf.Address, (flags & FaultFlags.Write) != 0, 0));
        var entry = new WaitQueueEntry(task, uwq.WakeFunction) { Tag = uwq };

        // Queue, then set the state (its barrier orders the page-table read after the queueing).
        lock (ctx.faultPendingWqh.Lock)
        {
            ctx.faultPendingWqh.AddLocked(entry, tail: true);
            Sched.SetCurrentState(state);
        }

        // userfaultfd_must_wait: a page that arrived before we queued must not be slept on (case 11).
        var mustWait = reason switch
        {
            UffdReason.Wp => mm.LookupPte(vmf.Address) is { Writable: false },
            _ => mm.LookupPte(vmf.Address) is null,
        };

        mm.MmapReadUnlock();
        if (mustWait && !ctx.released)
        {
            ctx.fdWqh.WakeUp();
            Sched.ScheduleCore(Sched.MaxScheduleTimeout);
        }

        task.SetState(TaskState.Running);
        task.SleepPrepared = false;
        if (entry.Queued)
        {
            ctx.Dequeue(entry);
        }

        // No loop: a spurious or signal wakeup just returns Retry, and the caller re-faults.
        return VmFaultResult.Retry;
    }

    /// <summary>userfaultfd_get_blocking_state (rule 37).</summary>
    internal static TaskState BlockingState(FaultFlags flags)
    {
        if ((flags & FaultFlags.Interruptible) != 0)
        {
            return TaskState.Interruptible;
        }

        return (flags & FaultFlags.Killable) != 0 ? TaskState.Killable : TaskState.Uninterruptible;
    }

    private void Dequeue(WaitQueueEntry entry)
    {
        lock (faultPendingWqh.Lock)
        {
            faultPendingWqh.RemoveLocked(entry);
        }

        lock (faultWqh.Lock)
        {
            faultWqh.RemoveLocked(entry);
        }
    }

    private sealed record WakeRange(ulong Start, ulong Len)
    {
        public bool Contains(ulong address) => address >= Start && address - Start < Len;
    }

    /// <summary>struct userfaultfd_wait_queue: the message and the "waken" flag of one waiting fault.</summary>
    private sealed class UserfaultWait(UffdMsg msg)
    {
        private volatile bool waken;

        public UffdMsg Msg { get; } = msg;

        public bool Waken => waken;

        /// <summary>userfaultfd_wake_function (rule 39): range filter, mark waken, wake, dequeue on success.</summary>
        public int WakeFunction(WaitQueueEntry entry, WaitQueueHead head, TaskState mode, object? key)
        {
            if (key is WakeRange range && !range.Contains(Msg.Address))
            {
                return 0;
            }

            waken = true;
            var woke = entry.Task.TryToWakeUp(mode);
            if (woke)
            {
                head.RemoveLocked(entry);
            }

            return woke ? 1 : 0;
        }
    }
}
