namespace FaultLine;

/// <summary>
/// FOLL_* flags of get_user_pages (include/linux/mm_types.h and mm/internal.h), same bit values.
/// Touch, Tried, Remote, Pin, FastOnly, Unlockable and Migration are internal: callers passing them
/// get -EINVAL (is_valid_gup_args).
/// </summary>
[Flags]
public enum FollFlags
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>FOLL_WRITE: the PTE must be writable.</summary>
    Write = 1 << 0,
    /// <summary>FOLL_GET: take a page reference (release with <see cref="Gup.PutPage"/>).</summary>
    Get = 1 << 1,
    /// <summary>FOLL_DUMP: error on a hole that would read as zero.</summary>
    Dump = 1 << 2,
    /// <summary>FOLL_FORCE: read/write without VMA permission (COW only).</summary>
    Force = 1 << 3,
    /// <summary>FOLL_NOWAIT: never wait; a fault that would block returns no page and keeps the lock.</summary>
    Nowait = 1 << 4,
    /// <summary>FOLL_NOFAULT: never fault pages in.</summary>
    Nofault = 1 << 5,
    /// <summary>FOLL_HWPOISON: return -EHWPOISON instead of -EFAULT on a poisoned page.</summary>
    Hwpoison = 1 << 6,
    /// <summary>FOLL_ANON: no file mappings.</summary>
    Anon = 1 << 7,
    /// <summary>FOLL_LONGTERM: the pin is held indefinitely; only with Pin.</summary>
    Longterm = 1 << 8,
    /// <summary>FOLL_SPLIT_PMD.</summary>
    SplitPmd = 1 << 9,
    /// <summary>FOLL_INTERRUPTIBLE: non-fatal signals may interrupt, but only when the lock may be dropped (rule 19).</summary>
    Interruptible = 1 << 11,
    /// <summary>FOLL_TOUCH (internal): mark the page accessed.</summary>
    Touch = 1 << 16,
    /// <summary>FOLL_TRIED (internal): a retry; the previous pass started the I/O.</summary>
    Tried = 1 << 17,
    /// <summary>FOLL_REMOTE (internal): the mm is not current's.</summary>
    Remote = 1 << 18,
    /// <summary>FOLL_PIN (internal): pin the pages (release with <see cref="Gup.UnpinUserPage"/>).</summary>
    Pin = 1 << 19,
    /// <summary>FOLL_FAST_ONLY (internal): never fall back to the slow path.</summary>
    FastOnly = 1 << 20,
    /// <summary>FOLL_UNLOCKABLE (internal): the mmap lock may be dropped; enables retry and signals.</summary>
    Unlockable = 1 << 21,
    /// <summary>FOLL_MIGRATION (historical, internal): wait for migration entries.</summary>
    Migration = 1 << 23,
}

/// <summary>FAULT_FLAG_* (include/linux/mm_types.h: enum fault_flag), same bit values.</summary>
[Flags]
public enum FaultFlags
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>FAULT_FLAG_WRITE.</summary>
    Write = 1 << 0,
    /// <summary>FAULT_FLAG_MKWRITE: mkwrite of an existing PTE.</summary>
    Mkwrite = 1 << 1,
    /// <summary>FAULT_FLAG_ALLOW_RETRY: the handler may drop the mmap lock and return Retry.</summary>
    AllowRetry = 1 << 2,
    /// <summary>FAULT_FLAG_RETRY_NOWAIT: do not drop the mmap lock and do not wait when retrying.</summary>
    RetryNowait = 1 << 3,
    /// <summary>FAULT_FLAG_KILLABLE: SIGKILL may interrupt the fault.</summary>
    Killable = 1 << 4,
    /// <summary>FAULT_FLAG_TRIED: this fault has been tried before.</summary>
    Tried = 1 << 5,
    /// <summary>FAULT_FLAG_USER: the fault came from user mode.</summary>
    User = 1 << 6,
    /// <summary>FAULT_FLAG_REMOTE: the fault is not for current's mm.</summary>
    Remote = 1 << 7,
    /// <summary>FAULT_FLAG_INSTRUCTION.</summary>
    Instruction = 1 << 8,
    /// <summary>FAULT_FLAG_INTERRUPTIBLE: non-fatal signals may interrupt the fault.</summary>
    Interruptible = 1 << 9,
    /// <summary>FAULT_FLAG_UNSHARE: break COW for an exclusive anonymous page.</summary>
    Unshare = 1 << 10,
    /// <summary>FAULT_FLAG_DEFAULT (include/linux/mm.h): AllowRetry | Killable | Interruptible.</summary>
    Default = AllowRetry | Killable | Interruptible,
}

/// <summary>vm_fault_t codes (include/linux/mm_types.h: enum vm_fault_reason), same bit values.</summary>
[Flags]
public enum VmFaultResult
{
    /// <summary>0: the fault was handled and the page is in place.</summary>
    None = 0,
    /// <summary>VM_FAULT_OOM: out of memory.</summary>
    Oom = 0x000001,
    /// <summary>VM_FAULT_SIGBUS: bad access.</summary>
    Sigbus = 0x000002,
    /// <summary>VM_FAULT_MAJOR: the page was read from storage.</summary>
    Major = 0x000004,
    /// <summary>VM_FAULT_HWPOISON: hit a poisoned small page.</summary>
    Hwpoison = 0x000010,
    /// <summary>VM_FAULT_HWPOISON_LARGE: hit a poisoned huge page.</summary>
    HwpoisonLarge = 0x000020,
    /// <summary>VM_FAULT_SIGSEGV: segmentation fault.</summary>
    Sigsegv = 0x000040,
    /// <summary>VM_FAULT_NOPAGE: the handler installed the PTE itself.</summary>
    Nopage = 0x000100,
    /// <summary>VM_FAULT_LOCKED: the handler returned the page locked.</summary>
    Locked = 0x000200,
    /// <summary>VM_FAULT_RETRY: the handler blocked; the fault must be retried (the lock is gone unless RetryNowait).</summary>
    Retry = 0x000400,
    /// <summary>VM_FAULT_FALLBACK: huge page fault failed; fall back to small pages.</summary>
    Fallback = 0x000800,
    /// <summary>VM_FAULT_DONE_COW: the handler fully handled the COW.</summary>
    DoneCow = 0x001000,
    /// <summary>VM_FAULT_NEEDDSYNC: DAX sync fault.</summary>
    NeedDsync = 0x002000,
    /// <summary>VM_FAULT_COMPLETED: the fault completed and the mmap lock was released along the way.</summary>
    Completed = 0x004000,
    /// <summary>VM_FAULT_ERROR: Oom | Sigbus | Sigsegv | Hwpoison | HwpoisonLarge | Fallback.</summary>
    Error = Oom | Sigbus | Sigsegv | Hwpoison | HwpoisonLarge | Fallback,
}

/// <summary>VM_* flags of a VMA (include/linux/mm.h), reduced to what the model needs.</summary>
[Flags]
public enum VmFlags
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>VM_READ.</summary>
    Read = 1 << 0,
    /// <summary>VM_WRITE.</summary>
    Write = 1 << 1,
    /// <summary>VM_EXEC.</summary>
    Exec = 1 << 2,
    /// <summary>VM_SHARED.</summary>
    Shared = 1 << 3,
    /// <summary>VM_IO: memory-mapped I/O; GUP refuses it with -EFAULT.</summary>
    Io = 1 << 14,
    /// <summary>VM_PFNMAP: raw PFNs with no struct page; GUP refuses it with -EFAULT.</summary>
    Pfnmap = 1 << 10,
    /// <summary>VM_UFFD_MISSING: missing pages are served by a registered userfaultfd.</summary>
    UffdMissing = 1 << 9,
    /// <summary>VM_UFFD_WP: write-protect faults are reported to a userfaultfd.</summary>
    UffdWp = 1 << 12,
    /// <summary>VM_LOCKED: mlocked.</summary>
    Locked = 1 << 13,
}

/// <summary>
/// Task states (include/linux/sched.h). Killable is TASK_WAKEKILL | TASK_UNINTERRUPTIBLE, so the
/// numeric values let <c>state &amp; mask</c> tests read as in try_to_wake_up.
/// </summary>
[Flags]
public enum TaskState
{
    /// <summary>TASK_RUNNING.</summary>
    Running = 0,
    /// <summary>TASK_INTERRUPTIBLE: woken by any signal.</summary>
    Interruptible = 0x1,
    /// <summary>TASK_UNINTERRUPTIBLE: woken only by an explicit wakeup.</summary>
    Uninterruptible = 0x2,
    /// <summary>TASK_KILLABLE: uninterruptible, but woken by a fatal signal (SIGKILL).</summary>
    Killable = 0x100 | Uninterruptible,
}

/// <summary>
/// Signals. Only SIGKILL is fatal in this model (the kernel also turns an unhandled fatal signal
/// into SIGKILL before delivery; the model leaves that step out).
/// </summary>
public enum Signal
{
    /// <summary>SIGINT (2).</summary>
    SIGINT = 2,
    /// <summary>SIGTRAP (5).</summary>
    SIGTRAP = 5,
    /// <summary>SIGBUS (7).</summary>
    SIGBUS = 7,
    /// <summary>SIGKILL (9): the fatal signal.</summary>
    SIGKILL = 9,
    /// <summary>SIGUSR1 (10): what QEMU uses to kick a vCPU out of the kernel.</summary>
    SIGUSR1 = 10,
    /// <summary>SIGSEGV (11).</summary>
    SIGSEGV = 11,
    /// <summary>SIGPIPE (13).</summary>
    SIGPIPE = 13,
    /// <summary>SIGTERM (15).</summary>
    SIGTERM = 15,
    /// <summary>SIGCONT (18).</summary>
    SIGCONT = 18,
    /// <summary>SIGSTOP (19).</summary>
    SIGSTOP = 19,
}
