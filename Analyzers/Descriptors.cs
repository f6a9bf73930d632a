using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers;

/// <summary>
/// Every FaultLine diagnostic, in one place. IDs, titles and default severities are the public contract of
/// ARCHITECTURE.md; the runtime's debug checks report the same IDs. Families:
/// FL1xxx calling GUP (<see cref="Categories.GupCallers"/>), FL2xxx writing fault handlers, FL3xxx sleeping and
/// waking, FL4xxx locks and pins. Add a family's descriptors here, in its own region, with its category below.
/// </summary>
internal static class Descriptors
{
    /// <summary>The categories, one per rule family (and per folder of Analyzers/, CodeFixes/ and tests/).</summary>
    internal static class Categories
    {
        public const string GupCallers = "FaultLine.GupCallers";
        public const string FaultHandlers = "FaultLine.FaultHandlers";
        public const string SleepWakeup = "FaultLine.SleepWakeup";
        public const string LocksPins = "FaultLine.LocksPins";
    }

    /// <summary>Keys of <see cref="Diagnostic.Properties"/> shared by analyzers and code fixes.</summary>
    internal static class Properties
    {
        /// <summary>The GUP method called, e.g. <c>GetUserPages</c>.</summary>
        public const string Method = "Method";

        /// <summary>The <c>...Locked</c> form of the same call (FL1001).</summary>
        public const string LockedForm = "LockedForm";

        /// <summary>The <c>...Unlocked</c> form of the same call (FL1001, FL1009).</summary>
        public const string UnlockedForm = "UnlockedForm";

        /// <summary>The method the code fix should call instead (FL1008).</summary>
        public const string Replacement = "Replacement";

        /// <summary>Which FL1008 pattern: <see cref="LockAroundCall"/> or <see cref="CurrentMm"/>.</summary>
        public const string Kind = "Kind";

        public const string LockAroundCall = "LockAroundCall";

        public const string CurrentMm = "CurrentMm";

        /// <summary>The flags passed, comma-separated names (FL1001, FL1007, FL1009), e.g. <c>Interruptible,Nowait</c>.</summary>
        public const string Flags = "Flags";

        /// <summary>The local that holds the GUP result, when there is one (FL1002: none; FL1003, FL1004).</summary>
        public const string ResultLocal = "ResultLocal";

        /// <summary>The errno a path loses, <c>EINTR</c> or <c>EAGAIN</c> (FL1004).</summary>
        public const string LostErrno = "LostErrno";

        /// <summary>The requested count as written (FL1003), e.g. <c>nrPages</c>.</summary>
        public const string RequestedCount = "RequestedCount";

        /// <summary>The pages array as written (FL1003).</summary>
        public const string Pages = "Pages";

        /// <summary><c>true</c> for the Pin* forms, whose pages are released with UnpinUserPage(s), not PutPage (FL1003).</summary>
        public const string Pins = "Pins";

        /// <summary>The <c>locked</c> local's name (FL1006).</summary>
        public const string LockedLocal = "LockedLocal";

        /// <summary><c>false</c> when the local is definitely false, <c>cleared</c> when an earlier ...Locked call may have cleared it (FL1006).</summary>
        public const string LockedState = "LockedState";

        /// <summary>The release method the FL4005/FL4006 fix should call: <c>UnpinUserPages</c> or <c>PutPage</c>.</summary>
        public const string Release = "Release";

        /// <summary>The count local of FL4005 (the GUP result), as written.</summary>
        public const string CountLocal = "CountLocal";

        /// <summary><c>gup</c> or <c>fault</c>: what the FL1005 loop re-issues.</summary>
        public const string Retried = "Retried";

        /// <summary>The sleeping state the FL3003/FL3004 fixes use, a <c>TaskState</c> member name, e.g. <c>Interruptible</c>.</summary>
        public const string SleepState = "SleepState";

        /// <summary>The wait queue and entry arguments as written, <c>wq</c> and <c>entry</c> (FL3005).</summary>
        public const string WaitQueue = "WaitQueue";

        public const string WaitEntry = "WaitEntry";
    }

    private const string HelpLinkBase = "https://github.com/faultline/faultline/blob/main/docs/rules/";

    // ---------------------------------------------------------------------------------------------
    // FL1xxx — calling GUP
    // ---------------------------------------------------------------------------------------------

    public static readonly DiagnosticDescriptor FL1001InterruptibleWithoutLocked = Create(
        "FL1001",
        "Interruptible has no effect without 'locked'",
        "'{0}' ignores FollFlags.Interruptible because it never drops the mmap lock: call '{1}' with a 'locked' local or '{2}', or drop the flag",
        Categories.GupCallers,
        DiagnosticSeverity.Warning,
        "FollFlags.Interruptible only lets non-fatal signals interrupt GUP where GUP may drop the mmap lock and retry (FOLL_UNLOCKABLE). "
        + "GetUserPages and PinUserPages keep the lock, never retry and ignore the flag, so the caller is not interruptible at all.");

    public static readonly DiagnosticDescriptor FL1002ResultDiscarded = Create(
        "FL1002",
        "GUP result discarded",
        "The result of '{0}' is discarded: it is the number of pages taken, possibly short, or a negated errno",
        Categories.GupCallers,
        DiagnosticSeverity.Warning,
        "A GUP call can fail (-EFAULT, -ENOMEM, -EINTR, ...) or take fewer pages than requested; the pages it took are referenced or pinned and must be released. "
        + "Ignoring the result loses the error and leaks the pages.");

    public static readonly DiagnosticDescriptor FL1003PartialCountNotHandled = Create(
        "FL1003",
        "Partial count not handled",
        "The result of '{0}' is not compared with the requested count before '{1}' is used: fewer pages than requested may have been taken",
        Categories.GupCallers,
        DiagnosticSeverity.Warning,
        "Once GUP has taken some pages it returns the short count instead of an error (partial results win over errors). "
        + "Only pages[0..result-1] are valid and held; code that uses the rest reads null entries or releases pages it never took.");

    public static readonly DiagnosticDescriptor FL1004InterruptConverted = Create(
        "FL1004",
        "-EINTR converted to another errno",
        "'{0}' can fail with {1} when a signal interrupts it, but this path turns the negative result into {2}: propagate it unchanged",
        Categories.GupCallers,
        DiagnosticSeverity.Warning,
        "An interruptible GUP call returns -EINTR when a signal stops it (and the ...Unlocked forms -EAGAIN when their first killable lock fails). "
        + "Returning another errno in its place hides the signal from the caller, which then reports a fault or retries instead of handling the signal.");

    public static readonly DiagnosticDescriptor FL1005RetryLoopIgnoresSignals = Create(
        "FL1005",
        "Retry loop never checks for signals",
        "This loop re-issues '{0}' after {1} but never exits on a pending signal or a negative result",
        Categories.GupCallers,
        DiagnosticSeverity.Warning,
        "GUP stops on a pending signal with -EINTR and a fault returns Retry when it could not wait. "
        + "A loop that simply tries again spins forever while the signal stays pending; it must break out on FatalSignalPending or on a negative result.");

    public static readonly DiagnosticDescriptor FL1006LockedNotTrue = Create(
        "FL1006",
        "'locked' not true when passed to a ...Locked call",
        "'{0}' is {1} when passed to '{2}', which requires it to be true with the mmap read lock held",
        Categories.GupCallers,
        DiagnosticSeverity.Error,
        "The ...Locked forms require locked == true and the mmap read lock held on entry. "
        + "On return locked == false means the lock was dropped and not re-taken: test it, and re-take the lock and set it before calling again.");

    public static readonly DiagnosticDescriptor FL1007InterruptibleWithNowait = Create(
        "FL1007",
        "Interruptible together with Nowait has no effect",
        "'{0}' is called with FollFlags.Nowait, which never drops the mmap lock or waits, so FollFlags.Interruptible has no effect",
        Categories.GupCallers,
        DiagnosticSeverity.Info,
        "With FOLL_NOWAIT a fault that would block returns at once with the lock still held, so GUP never reaches the retry step where it checks for signals.");

    public static readonly DiagnosticDescriptor FL1008SimplerFormAvailable = Create(
        "FL1008",
        "Simpler GUP form available",
        "{0}: call '{1}' instead",
        Categories.GupCallers,
        DiagnosticSeverity.Info,
        "Taking the mmap read lock only around one GetUserPages call is what GetUserPagesUnlocked does, and it can also drop the lock to wait for a fault. "
        + "GetUserPagesUnlocked on the current task's mm is what GetUserPagesFast does after a lockless attempt.");

    public static readonly DiagnosticDescriptor FL1009FlagRejectedByFast = Create(
        "FL1009",
        "Flag rejected by a ...Fast form",
        "'{0}' rejects FollFlags.{1} with -EINVAL: call '{2}' instead",
        Categories.GupCallers,
        DiagnosticSeverity.Error,
        "gup_fast_fallback accepts only Write, Longterm, Force, Get and Nofault; Interruptible and Nowait trigger a WARN and -EINVAL, so the call never takes a page.");

    // FL2xxx (fault handlers), FL3xxx (sleeping and waking) and FL4xxx (locks and pins) go here.

    #region FL2xxx — writing fault handlers

    public static readonly DiagnosticDescriptor FL2001SleepUnderRetryNowait = Create(
        "FL2001",
        "Fault handler may sleep under RetryNowait",
        "'{0}' may sleep while FaultFlags.RetryNowait may be set: it {1}; under RetryNowait a handler must return Retry without sleeping",
        Categories.FaultHandlers,
        DiagnosticSeverity.Warning,
        "With FAULT_FLAG_RETRY_NOWAIT (FOLL_NOWAIT, KVM async page faults) the caller cannot wait: a handler that would block must return VM_FAULT_RETRY "
        + "at once, with the mmap lock still held, using only trylocks. Guard the blocking path with a RetryNowait test, use a trylock and return Retry, "
        + "or state with KernelDebug.WarnOnOnce that the handler is never called so.");

    public static readonly DiagnosticDescriptor FL2002RetryWithoutAllowRetry = Create(
        "FL2002",
        "Retry returned where AllowRetry is not known to be set",
        "'{0}' returns VmFaultResult.Retry on a path where FaultFlags.AllowRetry is not known to be set: return Sigbus when retry is not allowed",
        Categories.FaultHandlers,
        DiagnosticSeverity.Warning,
        "VM_FAULT_RETRY is only legal when the caller set FAULT_FLAG_ALLOW_RETRY; callers such as hmm_range_fault or a plain get_user_pages do not, "
        + "and a Retry they did not ask for breaks their lock bookkeeping. Without AllowRetry a handler blocks holding the lock or returns SIGBUS.");

    public static readonly DiagnosticDescriptor FL2003RetryWithLockHeld = Create(
        "FL2003",
        "Retry returned while the mmap lock is still held",
        "'{0}' {1}",
        Categories.FaultHandlers,
        DiagnosticSeverity.Warning,
        "Outside RetryNowait, VM_FAULT_RETRY tells the caller that the handler already released the fault lock; the caller does not unlock it again. "
        + "Returning Retry with the lock still held leaks it (or, with the per-VMA lock, double-unlocks it). Any other result tells the caller the lock "
        + "was held all along: a handler that released it, slept, and re-took it must return Retry instead, since the VMAs may have changed meanwhile.");

    public static readonly DiagnosticDescriptor FL2004UnlockUnderRetryNowait = Create(
        "FL2004",
        "mmap lock released under RetryNowait",
        "'{0}' releases the mmap lock on a path where FaultFlags.RetryNowait may be set: under RetryNowait the lock must still be held when the handler returns",
        Categories.FaultHandlers,
        DiagnosticSeverity.Error,
        "With FAULT_FLAG_RETRY_NOWAIT, VM_FAULT_RETRY comes back with the mmap lock still held, and GUP's *locked bookkeeping relies on it. "
        + "Release the lock only on paths where RetryNowait is known to be clear and AllowRetry set.");

    public static readonly DiagnosticDescriptor FL2005UninterruptibleSleep = Create(
        "FL2005",
        "Uninterruptible sleep in a fault handler that may be killed",
        "'{0}' sleeps uninterruptibly in '{1}', which may be called with FaultFlags.Killable: use '{2}'",
        Categories.FaultHandlers,
        DiagnosticSeverity.Info,
        "A fault with FAULT_FLAG_KILLABLE lets SIGKILL end the wait; an uninterruptible lock or wait in the handler keeps a dying task stuck in D state. "
        + "Filemap.LockPageOrRetry and the ...Killable forms honour the flag.");

    #endregion

    #region FL3xxx — sleeping and waking

    public static readonly DiagnosticDescriptor FL3001ScheduleWithoutRecheck = Create(
        "FL3001",
        "Schedule() without rechecking the wake condition",
        "After 'Schedule()' returns nothing tests the wake condition again: a spurious, signal or early wakeup is taken for the condition being true; sleep in a loop that rechecks it (or use Wait.Event*), or return VmFaultResult.Retry so the fault is retried",
        Categories.SleepWakeup,
        DiagnosticSeverity.Warning,
        "Schedule() returns on any wakeup: the one you wait for, a spurious one, a signal, a shared or hashed queue, or a waker whose Running store collided with yours. "
        + "A wait is a loop that tests its condition after every wakeup (rule 44). The one exception is a fault path that sleeps once and returns VmFaultResult.Retry: the caller re-faults and re-evaluates everything, as handle_userfault does.");

    public static readonly DiagnosticDescriptor FL3002ConditionTestedBeforeState = Create(
        "FL3002",
        "Wake condition tested before the task state is set",
        "'{0}' is tested before '{1}' sets the task state and is not tested again before 'Schedule()': a wakeup that comes in between is lost; set the state first, then test",
        Categories.SleepWakeup,
        DiagnosticSeverity.Warning,
        "The waker changes the condition and then wakes tasks that are no longer Running. A task that tests the condition while Running and only then sets its sleeping state misses a wakeup that comes in between, and sleeps with the condition already true (rule 43). "
        + "Set the state (SetCurrentState or PrepareToWait, both full barriers), then test, then Schedule(); or test and set under the one lock the waker also takes.");

    public static readonly DiagnosticDescriptor FL3003ScheduleWhileRunning = Create(
        "FL3003",
        "Schedule() while the task is Running",
        "'{0}' is called while the task is TaskState.Running on every path{1}: it returns without sleeping; set the sleeping state first",
        Categories.SleepWakeup,
        DiagnosticSeverity.Warning,
        "Schedule() only sleeps when the task state is not Running. Without SetCurrentState/PrepareToWait before it, or after something put the task back to Running (a sleeping lock, FinishWait, an earlier Schedule()), it returns at once and a wait loop around it spins.");

    public static readonly DiagnosticDescriptor FL3004WaitLoopIgnoresSignals = Create(
        "FL3004",
        "Interruptible or killable wait loop never checks for signals",
        "This {0} wait loop {1}: with such a signal pending '{2}' returns at once and the loop spins; leave it with -ERESTARTSYS",
        Categories.SleepWakeup,
        DiagnosticSeverity.Warning,
        "In an interruptible state a pending signal makes Schedule() return at once without sleeping, and in a killable state SIGKILL does (rule 45). "
        + "A wait loop that does not leave when such a signal is pending busy-loops until the condition comes true; this is the userfaultfd spin of 2025.");

    public static readonly DiagnosticDescriptor FL3005StateNotRestored = Create(
        "FL3005",
        "Task state or wait-queue entry not restored on every path out",
        "'{0}' is not undone on the way out through {1}: {2}",
        Categories.SleepWakeup,
        DiagnosticSeverity.Warning,
        "A task that leaves with a sleeping state still set sleeps at the next blocking call (or trips the 'do not call blocking ops when !TASK_RUNNING' check), and a wait entry left queued on a stack-allocated entry is woken after its owner returned. "
        + "Call Wait.FinishWait (or set TaskState.Running and remove the entry) on every way out, or in a finally.");

    public static readonly DiagnosticDescriptor FL3006SleepInAtomicContext = Create(
        "FL3006",
        "Sleeping in atomic context",
        "'{0}' may sleep{1} {2}",
        Categories.SleepWakeup,
        DiagnosticSeverity.Error,
        "Holding a KSpinLock is atomic context: the holder must not sleep, or every other CPU that wants the lock spins behind a task that is not running, and the scheduler reports 'scheduling while atomic'. "
        + "A [MustNotSleep] method promises the same for its whole body.");

    public static readonly DiagnosticDescriptor FL3007BlockingAfterStateSet = Create(
        "FL3007",
        "Blocking call after the task state was set",
        "'{0}' may sleep after '{1}' set the task state to {2}: it puts the task back to Running and voids the sleep; take it before setting the state",
        Categories.SleepWakeup,
        DiagnosticSeverity.Warning,
        "A sleeping lock or wait sets the task Running when it returns (rule 46), so the Schedule() that follows does not sleep, and the kernel warns 'do not call blocking ops when !TASK_RUNNING'. "
        + "Take sleeping locks before setting the state, as handle_userfault takes hugetlb_vma_lock_read.");

    #endregion

    #region FL4xxx — locks and pins

    public static readonly DiagnosticDescriptor FL4001UnlockAfterLockedCall = Create(
        "FL4001",
        "mmap lock released unconditionally after a ...Locked call",
        "The mmap lock of '{0}' is released here without testing '{1}': '{2}' may have dropped it and set '{1}' to false",
        Categories.LocksPins,
        DiagnosticSeverity.Error,
        "A ...Locked GUP call that had to wait for a fault drops the mmap lock and returns with locked == false (SEMANTICS.md rule 18). "
        + "Unlocking without testing locked releases a lock the task no longer holds.");

    public static readonly DiagnosticDescriptor FL4002GupWithoutLock = Create(
        "FL4002",
        "GUP called without the mmap lock held",
        "'{0}' requires the mmap lock of '{1}', which is not held here",
        Categories.LocksPins,
        DiagnosticSeverity.Error,
        "GetUserPages, PinUserPages, the ...Locked forms, FixupUserFault, FindVma and VmaLookup walk the VMAs and require the caller to hold the mmap lock (rules 15, 21, 22, 28).");

    public static readonly DiagnosticDescriptor FL4003LockHeldAcrossUnlocked = Create(
        "FL4003",
        "mmap lock held across ...Unlocked/...Fast",
        "'{0}' takes the mmap lock of '{1}' itself, but it is already held here",
        Categories.LocksPins,
        DiagnosticSeverity.Error,
        "The ...Unlocked and ...Fast forms take the mmap lock themselves (rules 23, 24). Called with it held they deadlock against a waiting writer or release the caller's lock.");

    public static readonly DiagnosticDescriptor FL4004VmaUsedAfterDrop = Create(
        "FL4004",
        "VMA used after the mmap lock may have been dropped",
        "'{0}' is used after '{1}', which may have dropped the mmap lock: look the VMA up again",
        Categories.LocksPins,
        DiagnosticSeverity.Warning,
        "Once the mmap lock was dropped (a ...Locked GUP returning locked == false, HandleMmFault returning Retry or Completed, FixupUserFault setting unlocked) "
        + "the VMA may have been unmapped and freed. Look it up again under the lock (rules 18, 27-29; syzbot KASAN use-after-free in handle_mm_fault).");

    public static readonly DiagnosticDescriptor FL4005PagesNotReleased = Create(
        "FL4005",
        "Pinned or referenced pages not released",
        "The {0} pages in '{1}' taken by '{2}' are not released on this path{3}",
        Categories.LocksPins,
        DiagnosticSeverity.Warning,
        "GUP returns the number of pages it took, possibly fewer than requested (rule 20). On every path that fails, the caller must release exactly "
        + "those pages: UnpinUserPages(pages, ret) for Pin*, PutPage for each of the first ret pages for Get* (kpc_dma partial pin leak, CVE-2014-3601).");

    public static readonly DiagnosticDescriptor FL4006PinGetMismatch = Create(
        "FL4006",
        "Pin/get mismatch",
        "The pages in '{0}' were taken by '{1}' and must be released with '{2}', not '{3}'",
        Categories.LocksPins,
        DiagnosticSeverity.Error,
        "Pages from the Pin* forms (FOLL_PIN) are released with UnpinUserPage(s); pages from the Get* forms (FOLL_GET) with PutPage. Mixing them corrupts the page's pin count (rule 26).");

    public static readonly DiagnosticDescriptor FL4007LockLeakedOrReleasedTwice = Create(
        "FL4007",
        "mmap lock leaked or released twice",
        "{0}",
        Categories.LocksPins,
        DiagnosticSeverity.Error,
        "Every mmap lock a method takes must be released exactly once on every path: a return with it held leaks it, and an unlock where it is not held "
        + "(after HandleMmFault returned Retry or Completed, a failed killable lock, an earlier unlock) releases it twice (rules 30, 31).");

    #endregion


    private static DiagnosticDescriptor Create(string id, string title, string messageFormat, string category, DiagnosticSeverity severity, string description) =>
        new(
            id,
            title,
            messageFormat,
            category,
            severity,
            isEnabledByDefault: true,
            description: description,
            helpLinkUri: HelpLinkBase + id + ".md");
}
