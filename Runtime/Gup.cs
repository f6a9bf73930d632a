namespace FaultLine;

/// <summary>
/// mm/gup.c: get_user_pages and its family. Every call returns the number of pages taken (which may
/// be short of the request) or a negated errno. Pages come back referenced (FOLL_GET, release with
/// <see cref="PutPage"/>) or pinned (the Pin* forms, release with <see cref="UnpinUserPage"/>), for
/// exactly the count returned. Whether the mmap lock can be dropped, and so whether the call can
/// retry, wait for userfaults and be interrupted, depends on the form (rules 15-24). On an mm other
/// than the current task's, the forms that take an mm act as get_user_pages_remote: FOLL_REMOTE, so
/// their faults carry <see cref="FaultFlags.Remote"/> (rules 8, 22).
/// </summary>
public static class Gup
{
    /// <summary>FOLL_* flags callers may not pass (mm/internal.h).</summary>
    private const FollFlags InternalFlags = FollFlags.Touch | FollFlags.Tried | FollFlags.Remote | FollFlags.Pin
        | FollFlags.FastOnly | FollFlags.Unlockable | FollFlags.Migration;

    /// <summary>The only flags the fast forms accept (gup_fast_fallback).</summary>
    private const FollFlags FastFlags = FollFlags.Write | FollFlags.Longterm | FollFlags.Force | FollFlags.Pin
        | FollFlags.Get | FollFlags.FastOnly | FollFlags.Nofault;

    /// <summary>
    /// get_user_pages_remote(mm, ..., locked = NULL) / get_user_pages(): the caller holds the mmap lock
    /// (read or write) and keeps it: no retry, so <see cref="FollFlags.Interruptible"/> is ignored and a
    /// userfaultfd-missing range fails with -EFAULT at once (rule 16). Returns the pages taken, possibly
    /// short, or -errno (-EINVAL for bad arguments).
    /// </summary>
    [MaySleep]
    public static long GetUserPages(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages) =>
        CallLocked(mm, start, nrPages, gupFlags, pages, FollFlags.Touch, pin: false);

    /// <summary>
    /// get_user_pages_remote(mm, ..., &amp;locked): the caller holds the mmap read lock and passes
    /// <c>locked = true</c> (anything else is a <see cref="KernelBugException"/>). The lock may be dropped
    /// to wait for a fault and re-taken to retry; on return <c>locked == false</c> means it is no longer
    /// held and the caller must neither unlock it nor use a VMA it looked up (rule 18). Signals stop the
    /// retries: SIGKILL always, others only with <see cref="FollFlags.Interruptible"/>; -EINTR with no
    /// progress, the short count after progress.
    /// </summary>
    [MaySleep]
    public static long GetUserPagesLocked(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages, ref bool locked)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (!locked)
        {
            throw new KernelBugException("get_user_pages_remote: *locked must be 1 on entry (the caller holds the mmap read lock)");
        }

        if (!mm.MmapLock.IsHeldByCurrent)
        {
            throw new KernelBugException("get_user_pages_remote: locked is true but the caller does not hold the mmap lock");
        }

        if (!IsValidGupArgs(pages, nrPages, ref gupFlags, FollFlags.Touch | FollFlags.Unlockable | RemoteFlag(mm)))
        {
            return -Errno.EINVAL;
        }

        return GetUserPagesLockedCore(mm, start, nrPages, pages, ref locked, gupFlags);
    }

    /// <summary>
    /// get_user_pages_unlocked(): the caller must not hold the mmap lock (a <see cref="KernelBugException"/>
    /// if it does); GUP takes it killably (-EAGAIN if a fatal signal is already pending, rule 23), may
    /// drop and re-take it to retry, and always releases it before returning.
    /// </summary>
    [MaySleep]
    public static long GetUserPagesUnlocked(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages) =>
        CallUnlocked(mm, start, nrPages, gupFlags, pages, pin: false);

    /// <summary>
    /// get_user_pages_fast(): current's mm; first a lockless walk of the page table, then the unlocked
    /// slow path for the rest. Rejects <see cref="FollFlags.Interruptible"/> and <see cref="FollFlags.Nowait"/>
    /// (and any flag outside the fast set) with a WARN and -EINVAL (rule 24). If the slow path fails
    /// after the fast walk took k &gt; 0 pages, k is returned.
    /// </summary>
    [MaySleep]
    public static long GetUserPagesFast(ulong start, long nrPages, FollFlags gupFlags, Page[] pages) =>
        CallFast(start, nrPages, gupFlags, pages, pin: false);

    /// <summary>pin_user_pages_remote(mm, ..., NULL) / pin_user_pages(): as <see cref="GetUserPages"/> with FOLL_PIN; invalid arguments give 0 (rule 25).</summary>
    [MaySleep]
    public static long PinUserPages(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages) =>
        CallLocked(mm, start, nrPages, gupFlags, pages, FollFlags.Touch, pin: true);

    /// <summary>pin_user_pages_remote(mm, ..., &amp;locked): as <see cref="GetUserPagesLocked"/> with FOLL_PIN; invalid arguments give 0.</summary>
    [MaySleep]
    public static long PinUserPagesLocked(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages, ref bool locked)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (!locked)
        {
            throw new KernelBugException("pin_user_pages_remote: *locked must be 1 on entry (the caller holds the mmap read lock)");
        }

        if (!mm.MmapLock.IsHeldByCurrent)
        {
            throw new KernelBugException("pin_user_pages_remote: locked is true but the caller does not hold the mmap lock");
        }

        if (!IsValidGupArgs(pages, nrPages, ref gupFlags, FollFlags.Pin | FollFlags.Touch | FollFlags.Unlockable | RemoteFlag(mm)))
        {
            return 0;
        }

        return GetUserPagesLockedCore(mm, start, nrPages, pages, ref locked, gupFlags);
    }

    /// <summary>pin_user_pages_unlocked(): as <see cref="GetUserPagesUnlocked"/> with FOLL_PIN; invalid arguments give 0.</summary>
    [MaySleep]
    public static long PinUserPagesUnlocked(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages) =>
        CallUnlocked(mm, start, nrPages, gupFlags, pages, pin: true);

    /// <summary>pin_user_pages_fast(): as <see cref="GetUserPagesFast"/> with FOLL_PIN; invalid arguments give -EINVAL.</summary>
    [MaySleep]
    public static long PinUserPagesFast(ulong start, long nrPages, FollFlags gupFlags, Page[] pages) =>
        CallFast(start, nrPages, gupFlags, pages, pin: true);

    /// <summary>
    /// put_page(): drops a FOLL_GET reference. A page with no such reference (a pinned page, or one
    /// released twice) is reported as FL4006 and left alone: pinned pages are released with
    /// <see cref="UnpinUserPage"/> (rule 26).
    /// </summary>
    public static void PutPage(Page p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.DropRef(KernelTask.Current))
        {
            var why = p.PinCount > 0 ? "it is pinned: release it with unpin_user_page" : "it holds no reference from get_user_pages";
            KernelDebug.Warn("FL4006", $"put_page on {p}: {why}");
        }
    }

    /// <summary>
    /// unpin_user_page(): drops a FOLL_PIN pin. A page that is not pinned (a FOLL_GET page, or one
    /// unpinned twice) is reported as FL4006 and left alone.
    /// </summary>
    public static void UnpinUserPage(Page p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (!p.DropPin(KernelTask.Current))
        {
            KernelDebug.Warn("FL4006", $"unpin_user_page on {p}: it is not pinned (use put_page for get_user_pages references)");
        }
    }

    /// <summary>
    /// unpin_user_pages(pages, npages): unpins the first <paramref name="count"/> pages, skipping null
    /// entries. A negative count is a GUP error passed in by mistake: WARN (FL4005) and do nothing.
    /// </summary>
    public static void UnpinUserPages(Page[] pages, long count)
    {
        ArgumentNullException.ThrowIfNull(pages);
        if (count < 0)
        {
            KernelDebug.Warn("FL4005", $"unpin_user_pages: count {Errno.Name(count)} is a GUP error returned to the caller, who erroneously passed it here");
            return;
        }

        if (count > pages.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"count {count} exceeds the array length {pages.Length}");
        }

        for (var i = 0; i < count; i++)
        {
            if (pages[i] is { } p)
            {
                UnpinUserPage(p);
            }
        }
    }

    /// <summary>fixup_user_fault(mm, address, flags, NULL): no retry; the caller must not pass AllowRetry.</summary>
    [MaySleep]
    public static int FixupUserFault(MmStruct mm, ulong address, FaultFlags faultFlags)
    {
        var unused = false;
        return FixupUserFaultCore(mm, address, faultFlags, ref unused, allowRetry: false);
    }

    /// <summary>
    /// fixup_user_fault(mm, address, flags, &amp;unlocked): resolves one fault with AllowRetry | Killable.
    /// The caller holds the mmap lock and holds it again on return, but if the lock was dropped on the
    /// way, <paramref name="unlocked"/> is set and any VMA the caller looked up is stale (rule 28).
    /// Returns 0, -EFAULT (no VMA or no permission), -EINTR (SIGKILL), or the fault's errno. Throws
    /// <see cref="KernelBugException"/> without the mmap lock held or with RetryNowait in the flags.
    /// </summary>
    [MaySleep]
    public static int FixupUserFault(MmStruct mm, ulong address, FaultFlags faultFlags, ref bool unlocked) =>
        FixupUserFaultCore(mm, address, faultFlags, ref unlocked, allowRetry: true);

    private static long CallLocked(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages, FollFlags toSet, bool pin)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (!IsValidGupArgs(pages, nrPages, ref gupFlags, toSet | RemoteFlag(mm) | (pin ? FollFlags.Pin : FollFlags.None)))
        {
            return pin ? 0 : -Errno.EINVAL;
        }

        if (!mm.MmapLock.IsHeldByCurrent)
        {
            KernelDebug.Warn("FL4002", $"{(pin ? "pin" : "get")}_user_pages: called without the mmap lock held");
        }

        var locked = true;
        return GetUserPagesLockedCore(mm, start, nrPages, pages, ref locked, gupFlags);
    }

    private static long CallUnlocked(MmStruct mm, ulong start, long nrPages, FollFlags gupFlags, Page[]? pages, bool pin)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (mm.MmapLock.IsHeldByCurrent)
        {
            throw new KernelBugException($"{(pin ? "pin" : "get")}_user_pages_unlocked: the caller must not hold the mmap lock (it would deadlock)");
        }

        if (!IsValidGupArgs(pages, nrPages, ref gupFlags, FollFlags.Touch | FollFlags.Unlockable | RemoteFlag(mm) | (pin ? FollFlags.Pin : FollFlags.None)))
        {
            return pin ? 0 : -Errno.EINVAL;
        }

        var locked = false;
        return GetUserPagesLockedCore(mm, start, nrPages, pages, ref locked, gupFlags);
    }

    /// <summary>
    /// FOLL_REMOTE for an mm that is not the current task's: the mm-taking forms are
    /// get_user_pages_remote there (rule 22), and the fault is raised with FAULT_FLAG_REMOTE (rule 8).
    /// </summary>
    private static FollFlags RemoteFlag(MmStruct mm) =>
        ReferenceEquals(KernelTask.Current.Mm, mm) ? FollFlags.None : FollFlags.Remote;

    private static long CallFast(ulong start, long nrPages, FollFlags gupFlags, Page[] pages, bool pin)
    {
        ArgumentNullException.ThrowIfNull(pages);
        if (!IsValidGupArgs(pages, nrPages, ref gupFlags, pin ? FollFlags.Pin : FollFlags.Get))
        {
            return -Errno.EINVAL;
        }

        return GupFastFallback(start, nrPages, gupFlags, pages);
    }

    /// <summary>
    /// is_valid_gup_args(): internal flags, FOLL_GET with FOLL_PIN, LONGTERM without PIN, and GET/PIN
    /// without a pages array are WARNed and rejected; so are a negative count and (the C# case of an
    /// out-of-bounds write) an array shorter than the count.
    /// </summary>
    private static bool IsValidGupArgs(Page[]? pages, long nrPages, ref FollFlags gupFlags, FollFlags toSet)
    {
        if ((gupFlags & InternalFlags) != 0)
        {
            KernelDebug.Warn(null, $"is_valid_gup_args: internal FOLL flags passed by the caller: {gupFlags & InternalFlags}");
            return false;
        }

        var flags = gupFlags | toSet;
        if ((flags & (FollFlags.Pin | FollFlags.Get)) == (FollFlags.Pin | FollFlags.Get))
        {
            KernelDebug.Warn(null, "is_valid_gup_args: FOLL_GET and FOLL_PIN are mutually exclusive");
            return false;
        }

        if ((flags & FollFlags.Longterm) != 0 && (flags & FollFlags.Pin) == 0)
        {
            KernelDebug.Warn(null, "is_valid_gup_args: FOLL_LONGTERM can only be used when pinning");
            return false;
        }

        if ((flags & (FollFlags.Pin | FollFlags.Get)) != 0 && pages is null)
        {
            KernelDebug.Warn(null, "is_valid_gup_args: FOLL_GET/FOLL_PIN need a pages array");
            return false;
        }

        if (nrPages < 0 || (pages is not null && pages.Length < nrPages))
        {
            return false;
        }

        gupFlags = flags;
        return true;
    }

    /// <summary>__get_user_pages_locked(): the retry driver of rules 15-18.</summary>
    private static long GetUserPagesLockedCore(MmStruct mm, ulong start, long nrPages, Page[]? pages, ref bool locked, FollFlags flags,
        long pagesOffset = 0)
    {
        if (nrPages == 0)
        {
            return 0;
        }

        if (start + ((ulong)nrPages << Page.Shift) < start)
        {
            return -Errno.EOVERFLOW;
        }

        start &= ~(ulong)(Page.Size - 1);
        var task = KernelTask.Current;
        var mustUnlock = false;
        if (!locked)
        {
            if (mm.MmapReadLockKillable() != 0)
            {
                return -Errno.EAGAIN;
            }

            mustUnlock = true;
            locked = true;
        }

        // Pages are referenced unless pinned, when the caller wants them (the kernel adds FOLL_GET here).
        if (pages is not null && (flags & FollFlags.Pin) == 0)
        {
            flags |= FollFlags.Get;
        }

        long pagesDone = 0;
        var offset = pagesOffset;
        for (;;)
        {
            var ret = GetUserPagesWalk(mm, start, nrPages, flags, pages, offset, ref locked);
            if ((flags & FollFlags.Unlockable) == 0)
            {
                // VM_FAULT_RETRY could not trigger: one pass, its result as is.
                pagesDone = ret;
                break;
            }

            if (ret > 0)
            {
                nrPages -= ret;
                pagesDone += ret;
                if (nrPages == 0)
                {
                    break;
                }
            }

            if (locked)
            {
                // No retry happened, or FOLL_NOWAIT kept the lock.
                if (pagesDone == 0)
                {
                    pagesDone = ret;
                }

                break;
            }

            // The lock was dropped by VM_FAULT_RETRY or VM_FAULT_COMPLETED: skip what was done, retry one page.
            if (ret > 0)
            {
                offset += ret;
                start += (ulong)ret << Page.Shift;
            }

            mustUnlock = true;
            var stop = false;
            for (;;)
            {
                if (Signals.GupSignalPending(flags, task))
                {
                    if (pagesDone == 0)
                    {
                        pagesDone = -Errno.EINTR;
                    }

                    stop = true;
                    break;
                }

                var lockRet = mm.MmapReadLockKillable();
                if (lockRet != 0)
                {
                    if (pagesDone == 0)
                    {
                        pagesDone = lockRet;
                    }

                    stop = true;
                    break;
                }

                locked = true;
                ret = GetUserPagesWalk(mm, start, 1, flags | FollFlags.Tried, pages, offset, ref locked);
                if (!locked)
                {
                    KernelDebug.WarnOn(ret != 0, "__get_user_pages_locked: pages taken although the lock was dropped");
                    continue;
                }

                if (ret != 1)
                {
                    if (pagesDone == 0)
                    {
                        pagesDone = ret;
                    }

                    stop = true;
                }

                break;
            }

            if (stop)
            {
                break;
            }

            nrPages--;
            pagesDone++;
            if (nrPages == 0)
            {
                break;
            }

            offset++;
            start += Page.Size;
        }

        if (mustUnlock && locked)
        {
            mm.MmapReadUnlock();
            locked = false;
        }

        // Since v6.7: no progress without FOLL_NOWAIT is an error, not 0 (case 2): WARN_ON_ONCE, -EFAULT.
        if (KernelDebug.WarnOnOnce(pagesDone == 0 && (flags & FollFlags.Nowait) == 0,
                "__get_user_pages_locked: no page taken and no error without FOLL_NOWAIT; returning -EFAULT"))
        {
            pagesDone = -Errno.EFAULT;
        }

        return pagesDone;
    }

    /// <summary>
    /// __get_user_pages(): walks the range page by page with the lock held: SIGKILL check and
    /// cond_resched before each page (rule 11), VMA lookup and checks (rules 12-13), then the page or a
    /// fault. After the lock is dropped it stops at once without touching the VMA (rule 14). Returns
    /// the pages taken, or -errno if none were.
    /// </summary>
    private static long GetUserPagesWalk(MmStruct mm, ulong start, long nrPages, FollFlags flags, Page[]? pages, long offset, ref bool locked)
    {
        var task = KernelTask.Current;
        long i = 0;
        long ret = 0;
        VmAreaStruct? vma = null;
        while (nrPages > 0)
        {
            if (vma is null || start >= vma.End)
            {
                vma = mm.FindVmaLocked(start);
                if (vma is null || vma.Start > start)
                {
                    ret = -Errno.EFAULT;
                    break;
                }

                ret = CheckVmaFlags(vma, flags);
                if (ret != 0)
                {
                    break;
                }
            }

            var faulted = false;
            for (;;)
            {
                if (task.FatalSignalPending)
                {
                    ret = -Errno.EINTR;
                    break;
                }

                task.Injection?.MaybeDelay();
                if (FollowPage(mm, start, flags) is { } page)
                {
                    if (pages is not null)
                    {
                        page.Grab((flags & FollFlags.Pin) != 0, LedgerOf(task));
                        pages[offset + i] = page;
                    }

                    ret = 0;
                    break;
                }

                ret = FaultinPage(vma, start, flags, ref locked);
                if (ret == 0)
                {
                    continue;
                }

                faulted = true;
                break;
            }

            if (ret != 0 || faulted)
            {
                if (ret == -Errno.EBUSY || ret == -Errno.EAGAIN)
                {
                    ret = 0;
                }

                break;
            }

            i++;
            start += Page.Size;
            nrPages--;
        }

        return i != 0 ? i : ret;
    }

    /// <summary>follow_page_mask(): the page if it is mapped with the access the flags ask for.</summary>
    private static Page? FollowPage(MmStruct mm, ulong address, FollFlags flags)
    {
        if (mm.LookupPte(address) is not { } pte)
        {
            return null;
        }

        return (flags & FollFlags.Write) != 0 && !pte.Writable ? null : pte.Page;
    }

    /// <summary>check_vma_flags() (rule 13), for the VMA flags the model has.</summary>
    private static int CheckVmaFlags(VmAreaStruct vma, FollFlags flags)
    {
        var vmFlags = vma.Flags;
        if ((vmFlags & (VmFlags.Io | VmFlags.Pfnmap)) != 0)
        {
            return -Errno.EFAULT;
        }

        if ((flags & FollFlags.Anon) != 0 && vma.Ops is not null)
        {
            return -Errno.EFAULT;
        }

        if ((flags & FollFlags.Write) != 0 && (vmFlags & VmFlags.Write) == 0)
        {
            // FOLL_FORCE may write only through a private (COW) mapping.
            if ((flags & FollFlags.Force) == 0 || (vmFlags & VmFlags.Shared) != 0)
            {
                return -Errno.EFAULT;
            }
        }

        if ((flags & FollFlags.Write) == 0 && (vmFlags & VmFlags.Read) == 0 && (flags & FollFlags.Force) == 0)
        {
            return -Errno.EFAULT;
        }

        return 0;
    }

    /// <summary>
    /// faultin_page() (rules 8-9): FOLL → FAULT flags, then handle_mm_fault. Completed → locked = false,
    /// -EAGAIN; an error → its errno; Retry → locked = false unless RetryNowait, -EBUSY; else 0.
    /// </summary>
    private static long FaultinPage(VmAreaStruct vma, ulong address, FollFlags flags, ref bool locked)
    {
        if ((flags & FollFlags.Nofault) != 0)
        {
            return -Errno.EFAULT;
        }

        var faultFlags = FaultFlagsFor(flags);
        if ((flags & FollFlags.Write) != 0 && (vma.Flags & VmFlags.Write) == 0)
        {
            // FOLL_FORCE on a read-only private mapping: a read fault, then the COW is the GUP's own.
            faultFlags &= ~FaultFlags.Write;
        }

        var ret = MmFault.HandleMmFault(vma, address, faultFlags);
        if ((ret & VmFaultResult.Completed) != 0)
        {
            KernelDebug.WarnOn((faultFlags & FaultFlags.RetryNowait) != 0, "faultin_page: VM_FAULT_COMPLETED under FAULT_FLAG_RETRY_NOWAIT");
            locked = false;
            return -Errno.EAGAIN;
        }

        if ((ret & VmFaultResult.Error) != 0)
        {
            var errno = MmFault.VmFaultToErrno(ret, flags);
            if (errno == 0)
            {
                throw new KernelBugException($"faultin_page: vm_fault_to_errno({ret}) gave 0");
            }

            return errno;
        }

        if ((ret & VmFaultResult.Retry) != 0)
        {
            if ((faultFlags & FaultFlags.RetryNowait) == 0)
            {
                locked = false;
            }

            return -Errno.EBUSY;
        }

        if ((flags & FollFlags.Write) != 0 && (vma.Flags & VmFlags.Write) == 0 && vma.Mm.LookupPte(address) is { } pte)
        {
            // The forced write breaks COW into a private page that is writable for this GUP only.
            vma.Mm.SetPte(address, pte with { Writable = true });
        }

        return 0;
    }

    /// <summary>The FOLL → FAULT_FLAG mapping of faultin_page (rule 8).</summary>
    internal static FaultFlags FaultFlagsFor(FollFlags flags)
    {
        var ff = FaultFlags.None;
        if ((flags & FollFlags.Write) != 0)
        {
            ff |= FaultFlags.Write;
        }

        if ((flags & FollFlags.Remote) != 0)
        {
            ff |= FaultFlags.Remote;
        }

        if ((flags & FollFlags.Unlockable) != 0)
        {
            ff |= FaultFlags.AllowRetry | FaultFlags.Killable;
            if ((flags & FollFlags.Interruptible) != 0)
            {
                ff |= FaultFlags.Interruptible;
            }
        }

        if ((flags & FollFlags.Nowait) != 0)
        {
            ff |= FaultFlags.AllowRetry | FaultFlags.RetryNowait;
        }

        if ((flags & FollFlags.Tried) != 0)
        {
            ff |= FaultFlags.Tried;
        }

        return ff;
    }

    /// <summary>gup_fast_fallback() (rule 24).</summary>
    private static long GupFastFallback(ulong start, long nrPages, FollFlags flags, Page[] pages)
    {
        if ((flags & ~FastFlags) != 0)
        {
            KernelDebug.Warn((flags & (FollFlags.Interruptible | FollFlags.Nowait)) != 0 ? "FL1009" : null,
                $"gup_fast: flags {flags & ~FastFlags} are not allowed on the fast path");
            return -Errno.EINVAL;
        }

        if (nrPages == 0)
        {
            return 0;
        }

        start &= ~(ulong)(Page.Size - 1);
        var len = (ulong)nrPages << Page.Shift;
        if (start + len < start)
        {
            return -Errno.EOVERFLOW;
        }

        var task = KernelTask.Current;
        var mm = task.Mm;
        if (mm is null)
        {
            return -Errno.EFAULT;
        }

        if ((flags & FollFlags.FastOnly) == 0 && mm.MmapLock.IsHeldByCurrent)
        {
            // might_lock_read(): the slow path would take the lock the caller already holds.
            throw new KernelBugException("get_user_pages_fast: called with the mmap lock held (might_lock_read)");
        }

        var nrPinned = GupFastWalk(mm, task, start, nrPages, flags, pages);
        if (nrPinned == nrPages || (flags & FollFlags.FastOnly) != 0)
        {
            return nrPinned;
        }

        // The slow path fills the rest of the caller's array, after the pages the walk took.
        var locked = false;
        var ret = GetUserPagesLockedCore(mm, start + ((ulong)nrPinned << Page.Shift), nrPages - nrPinned, pages, ref locked,
            (flags & ~FollFlags.Get) | FollFlags.Touch | FollFlags.Unlockable, pagesOffset: nrPinned);
        if (ret < 0)
        {
            // "the caller has to unpin the pages we already pinned so returning -errno is not an option"
            return nrPinned != 0 ? nrPinned : ret;
        }

        return ret + nrPinned;
    }

    /// <summary>
    /// gup_fast(): the lockless walk over resident pages, without the mmap lock and without faults.
    /// Like gup_fast_pmd_range it looks up one PTE table per 2 MiB and hands it to
    /// <see cref="GupFastPteRange"/>. Stops at the first page that is missing or not writable enough;
    /// returns the number of pages taken from <paramref name="start"/>, which the slow path completes.
    /// </summary>
    private static long GupFastWalk(MmStruct mm, KernelTask task, ulong start, long nrPages, FollFlags flags, Page[] pages)
    {
        // The caller checked pages.Length >= nrPages, so every count here fits an int.
        var wanted = (int)nrPages;
        var pin = (flags & FollFlags.Pin) != 0;
        var write = (flags & FollFlags.Write) != 0;

        // The debug switch is read once per call, as a kernel build decides CONFIG_DEBUG_VM once.
        var ledger = LedgerOf(task);
        var nr = 0;
        while (nr < wanted)
        {
            var address = start + ((ulong)nr << Page.Shift);
            if (mm.PageTable.TableFor(address) is not { } table)
            {
                break;
            }

            var index = PteTable.IndexOf(address);
            var count = Math.Min(PageTable.PtrsPerPte - index, wanted - nr);
            var taken = GupFastPteRange(table, index, count, write, pin, ledger, task, pages, nr);
            nr += taken;
            if (taken < count)
            {
                break;
            }
        }

        return nr;
    }

    /// <summary>
    /// gup_fast_pte_range(): reads each entry once, takes the page (try_grab_folio: one atomic
    /// increment), then re-reads the entry and backs out if it changed meanwhile, the check that makes
    /// the lockless walk safe against a racing fault that replaces it. Fills <paramref name="pages"/>
    /// in place from <paramref name="offset"/>; returns how many of <paramref name="count"/> it took.
    /// </summary>
    private static int GupFastPteRange(PteTable table, int index, int count, bool write, bool pin, PageLedger? ledger,
        KernelTask task, Page[] pages, int offset)
    {
        for (var i = 0; i < count; i++)
        {
            var pte = table.Read(index + i);
            if (pte is null || (write && !pte.Writable))
            {
                return i;
            }

            var page = pte.Page;
            page.Grab(pin, ledger);
            if (!ReferenceEquals(table.Read(index + i), pte))
            {
                UndoGrab(page, pin, task);
                return i;
            }

            pages[offset + i] = page;
        }

        return count;
    }

    /// <summary>The task's page ledger when page owners are tracked (<see cref="KernelDebug.TrackPageOwners"/>), else null.</summary>
    private static PageLedger? LedgerOf(KernelTask task) => KernelDebug.TrackPageOwners ? task.Ledger : null;

    private static void UndoGrab(Page page, bool pin, KernelTask task)
    {
        var dropped = pin ? page.DropPin(task) : page.DropRef(task);
        KernelDebug.WarnOn(!dropped, "gup_fast: could not drop the pin or reference it had just taken");
    }

    private static int FixupUserFaultCore(MmStruct mm, ulong address, FaultFlags faultFlags, ref bool unlocked, bool allowRetry)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (!mm.MmapLock.IsHeldByCurrent)
        {
            throw new KernelBugException("fixup_user_fault: the caller must hold the mmap lock");
        }

        if (!allowRetry && (faultFlags & FaultFlags.AllowRetry) != 0)
        {
            KernelDebug.Warn(null, "fixup_user_fault: FAULT_FLAG_ALLOW_RETRY without an unlocked pointer");
            return -Errno.EINVAL;
        }

        if ((faultFlags & FaultFlags.RetryNowait) != 0)
        {
            // A Retry under RetryNowait keeps the lock, and the retry step would take it again.
            throw new KernelBugException("fixup_user_fault: FAULT_FLAG_RETRY_NOWAIT is not for fixup_user_fault (its retry re-takes the mmap lock it still holds)");
        }

        if (allowRetry)
        {
            faultFlags |= FaultFlags.AllowRetry | FaultFlags.Killable;
        }

        var task = KernelTask.Current;
        for (;;)
        {
            var vma = mm.FindVmaLocked(address);
            if (vma is null || vma.Start > address)
            {
                return -Errno.EFAULT;
            }

            if (!VmaPermitsFault(vma, faultFlags))
            {
                return -Errno.EFAULT;
            }

            if ((faultFlags & FaultFlags.Killable) != 0 && task.FatalSignalPending)
            {
                return -Errno.EINTR;
            }

            var ret = MmFault.HandleMmFault(vma, address, faultFlags);
            if ((ret & VmFaultResult.Completed) != 0)
            {
                // The fault is done but the lock is gone: take it back for the caller.
                mm.MmapReadLock();
                unlocked = true;
                return 0;
            }

            if ((ret & VmFaultResult.Error) != 0)
            {
                var errno = MmFault.VmFaultToErrno(ret, FollFlags.None);
                if (errno == 0)
                {
                    throw new KernelBugException($"fixup_user_fault: vm_fault_to_errno({ret}) gave 0");
                }

                return errno;
            }

            if ((ret & VmFaultResult.Retry) != 0)
            {
                // Re-take the lock, say so, and look the VMA up again: the old one may be gone.
                mm.MmapReadLock();

                unlocked = true;
                faultFlags |= FaultFlags.Tried;
                continue;
            }

            return 0;
        }
    }

    private static bool VmaPermitsFault(VmAreaStruct vma, FaultFlags faultFlags)
    {
        var need = (faultFlags & FaultFlags.Write) != 0 ? VmFlags.Write : VmFlags.Read;
        return (vma.Flags & need) != 0;
    }
}
