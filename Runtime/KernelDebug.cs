using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace FaultLine;

/// <summary>
/// One WARN from the model's debug checks (lockdep, might_sleep, the fault-path contract checks).
/// <see cref="RuleId"/> names the FaultLine analyzer rule that catches the same mistake statically.
/// </summary>
public sealed class KernelWarning
{
    internal KernelWarning(string? ruleId, string message, string taskComm, string stackTrace)
    {
        RuleId = ruleId;
        Message = message;
        TaskComm = taskComm;
        StackTrace = stackTrace;
    }

    /// <summary>The FL rule id for the same mistake (e.g. "FL2001"), or null for a plain WARN_ON.</summary>
    public string? RuleId { get; }

    /// <summary>What went wrong, in the kernel's words where it has some.</summary>
    public string Message { get; }

    /// <summary>The comm of the task that hit the check.</summary>
    public string TaskComm { get; }

    /// <summary>Where it happened, like the stack dump under a kernel WARN.</summary>
    public string StackTrace { get; }

    /// <inheritdoc />
    public override string ToString() => $"WARNING [{RuleId ?? "WARN"}] {TaskComm}: {Message}";
}

/// <summary>
/// Thrown where the kernel would BUG(): a contract violation that leaves no sane way to go on
/// (for example <c>locked == false</c> on entry to a <c>...Locked</c> GUP call). The message names
/// the contract.
/// </summary>
public sealed class KernelBugException : Exception
{
    /// <summary>Creates the exception with the message that names the broken contract.</summary>
    public KernelBugException(string message) : base("kernel BUG: " + message)
    {
    }
}

/// <summary>
/// The kernel's runtime debug checks: might_sleep(), lockdep_assert_held(), WARN_ON_ONCE(), BUG_ON().
/// Warnings are collected in <see cref="Warnings"/> (process-wide, like dmesg); set
/// <see cref="PanicOnWarn"/> to turn every warning into a <see cref="KernelBugException"/>.
/// </summary>
public static class KernelDebug
{
    private static readonly object Gate = new();
    private static readonly List<KernelWarning> Reported = new();
    private static readonly HashSet<string> WarnedOnce = new();

    /// <summary>panic_on_warn: when set, every warning throws a <see cref="KernelBugException"/>.</summary>
    public static bool PanicOnWarn { get; set; }

    /// <summary>
    /// When set, every task records its stack as it goes to sleep (<see cref="KernelTask.SleepStack"/>),
    /// so that a watchdog can say where a stuck task sleeps, like the hung-task detector's dump. Costly;
    /// off by default.
    /// </summary>
    public static bool RecordSleepStacks { get; set; }

    /// <summary>
    /// Whether each task keeps a ledger of the pins and references it took, for the FL4005 check at
    /// task exit. On by default, like a debug kernel; the benchmarks measure GUP both ways.
    /// </summary>
    public static bool TrackPageOwners { get; set; } = true;

    /// <summary>All warnings reported since the last <see cref="ClearWarnings"/>, oldest first.</summary>
    public static IReadOnlyList<KernelWarning> Warnings
    {
        get
        {
            lock (Gate)
            {
                return Reported.ToArray();
            }
        }
    }

    /// <summary>Raised for every warning as it is reported (on the task that hit it).</summary>
    public static event Action<KernelWarning>? WarningReported;

    /// <summary>Forgets collected warnings and the "once" memory of <see cref="WarnOnOnce"/>.</summary>
    public static void ClearWarnings()
    {
        lock (Gate)
        {
            Reported.Clear();
            WarnedOnce.Clear();
        }
    }

    /// <summary>
    /// might_sleep(): reports sleeping in atomic context (a <see cref="KSpinLock"/> held, FL3006) and a
    /// blocking call made after the task state was set (FL3007: it would reset the state to Running).
    /// Returns nothing; the check only reports.
    /// </summary>
    public static void MightSleep() => SleepChecks.MightSleep("might_sleep", blockingPrimitive: false);

    /// <summary>
    /// lockdep_assert_held(): reports (FL4002) when the current task does not hold <paramref name="sem"/>
    /// for read or write.
    /// </summary>
    public static void LockdepAssertHeld(RwSemaphore sem)
    {
        ArgumentNullException.ThrowIfNull(sem);
        if (!sem.IsHeldByCurrent)
        {
            Warn("FL4002", $"lockdep_assert_held: {sem.Name} is not held by {KernelTask.Current.Comm}");
        }
    }

    /// <summary>
    /// WARN_ON_ONCE(cond): when <paramref name="condition"/> is true, reports once per call site and
    /// returns true. At the top of a fault handler, <c>WarnOnOnce((vmf.Flags &amp; FaultFlags.RetryNowait) != 0)</c>
    /// states that the handler is never called with RetryNowait.
    /// </summary>
    public static bool WarnOnOnce(bool condition, string? message = null,
        [CallerFilePath] string callerFile = "", [CallerLineNumber] int callerLine = 0)
    {
        if (!condition)
        {
            return false;
        }

        var site = callerFile + ":" + callerLine.ToString(System.Globalization.CultureInfo.InvariantCulture);
        lock (Gate)
        {
            if (!WarnedOnce.Add(site))
            {
                return true;
            }
        }

        Warn(null, message ?? $"WARN_ON_ONCE at {Path.GetFileName(callerFile)}:{callerLine}");
        return true;
    }

    /// <summary>WARN_ON(cond): reports every time <paramref name="condition"/> is true, and returns it.</summary>
    public static bool WarnOn(bool condition, string? message = null)
    {
        if (condition)
        {
            Warn(null, message ?? "WARN_ON");
        }

        return condition;
    }

    /// <summary>BUG_ON(cond): throws a <see cref="KernelBugException"/> when <paramref name="condition"/> is true.</summary>
    public static void BugOn(bool condition, string? message = null)
    {
        if (condition)
        {
            throw new KernelBugException(message ?? "BUG_ON");
        }
    }

    /// <summary>Reports a warning under <paramref name="ruleId"/>; the one place every check goes through.</summary>
    internal static void Warn(string? ruleId, string message)
    {
        var task = KernelTask.CurrentOrNull;
        var warning = new KernelWarning(ruleId, message, task?.Comm ?? Thread.CurrentThread.Name ?? "?",
            new StackTrace(2, fNeedFileInfo: false).ToString());
        lock (Gate)
        {
            Reported.Add(warning);
        }

        WarningReported?.Invoke(warning);
        if (PanicOnWarn)
        {
            throw new KernelBugException("panic_on_warn: " + warning);
        }
    }
}
