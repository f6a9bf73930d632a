using FaultLine.Samples.Postcopy;

namespace FaultLine.Demo;

/// <summary>
/// Postcopy live migration, told step by step on the runtime with the sample's own code
/// (Samples/FaultLine.Samples/Postcopy): a vCPU faults on guest memory that userfaultfd serves, the
/// network to the source host is down so the page never arrives, and QEMU's vm_stop sends SIGUSR1 to
/// kick the vCPU out of KVM_RUN. The buggy vCPU put FOLL_INTERRUPTIBLE on a GUP form that ignores it,
/// so it sleeps Killable, ignores the kick and is reported hung by the watchdog (SEMANTICS.md case 6);
/// the fixed one leaves with -EINTR, as KVM does since v6.2. Then the FaultLine analyzers run on the
/// buggy vCPU's source and print what they find there (FL1001).
/// </summary>
public static class PostcopyDemo
{
    /// <summary>
    /// Tells the story to <paramref name="output"/> and returns the exit code: 0 when it played out as
    /// designed, 1 otherwise, with the reasons printed. <paramref name="repoRoot"/> is the repository
    /// whose sample source the analyzers read (null: the one the demo is built in). Never hangs: every
    /// wait is bounded.
    /// </summary>
    public static int Run(TextWriter output, string? repoRoot = null)
    {
        // The fault thread narrates from its own task while the story waits on it.
        output = TextWriter.Synchronized(output);
        var warningsBefore = KernelDebug.Warnings.Count;

        output.WriteLine("FaultLine demo: postcopy live migration, a page that never arrives, and QEMU's vm_stop kick (SIGUSR1)");
        output.WriteLine("The code under test is the sample's: Samples/FaultLine.Samples/Postcopy/{Buggy,Fixed}.cs (class Vcpu)");
        output.WriteLine("with guest RAM, the source host and the fault thread from Postcopy/Migration.cs, run on the FaultLine runtime.");
        output.WriteLine();

        output.WriteLine($"== 1. The {VcpuVariant.Buggy.Name} ({VcpuVariant.Buggy.SourceFile}): FOLL_INTERRUPTIBLE on get_user_pages, which has no 'locked'");
        output.WriteLine("  Its first try, get_user_pages under mmap_lock with the flag, cannot wait and fails at once; the slow path");
        output.WriteLine("  that does wait for the page, get_user_pages_unlocked, was left without the flag.");
        var buggy = VcpuRun.Play(VcpuVariant.Buggy, output);
        output.WriteLine();

        output.WriteLine($"== 2. The {VcpuVariant.Fixed.Name} ({VcpuVariant.Fixed.SourceFile}): FOLL_INTERRUPTIBLE on get_user_pages_unlocked");
        output.WriteLine("  get_user_pages_unlocked may drop mmap_lock to wait for the page, so the wait can be interruptible.");
        var fixedRun = VcpuRun.Play(VcpuVariant.Fixed, output);
        output.WriteLine();

        var warnings = KernelDebug.Warnings.Skip(warningsBefore).ToArray();

        output.WriteLine("== 3. What the analyzers say about the buggy vCPU's source, without running it");
        var analysis = AnalyzerReport.Run(output, repoRoot);
        output.WriteLine();

        var failures = new List<string>();
        output.WriteLine("== Summary");
        Line(output, failures, DescribeBuggy(buggy), BuggyProblem(buggy));
        Line(output, failures, DescribeFixed(fixedRun), FixedProblem(fixedRun));
        Line(output, failures, $"kernel debug checks: {warnings.Length} warning(s)",
            warnings.Length == 0 ? null : $"the debug checks warned: {string.Join("; ", warnings.Select(w => w.ToString()))}");
        Line(output, failures, DescribeAnalysis(analysis), AnalysisProblem(analysis));
        output.WriteLine();

        if (failures.Count == 0)
        {
            output.WriteLine("RESULT: the story played out as designed: the buggy vCPU hung on SIGUSR1, the fixed one left with -EINTR, and FL1001 flags the bug in the source. Exit code 0.");
            return 0;
        }

        output.WriteLine("RESULT: the story did NOT play out as designed. Exit code 1, because:");
        foreach (var failure in failures)
        {
            output.WriteLine($"  - {failure}");
        }

        return 1;
    }

    /// <summary>One summary line, marked ok or UNEXPECTED; an unexpected one is kept as a failure.</summary>
    private static void Line(TextWriter output, List<string> failures, string what, string? problem)
    {
        output.WriteLine($"  [{(problem is null ? "ok" : "UNEXPECTED")}] {what}");
        if (problem is not null)
        {
            failures.Add(problem);
        }
    }

    private static string DescribeBuggy(VcpuOutcome o) => o.Exit switch
    {
        VcpuExit.OnlyOnSigkill => $"buggy vCPU: asleep {o.StateWhenKicked}, ignored SIGUSR1, reported hung by the watchdog; left only on SIGKILL ({Errno.Name(o.Result)})",
        _ => $"buggy vCPU: {Describe(o)}",
    };

    private static string DescribeFixed(VcpuOutcome o) => o.Exit switch
    {
        VcpuExit.OnSigusr1 => $"fixed vCPU: asleep {o.StateWhenKicked}, left KVM_RUN on SIGUSR1 with {Errno.Name(o.Result)} (exit reason {o.ExitReason}, {o.SignalExits} signal exit)",
        _ => $"fixed vCPU: {Describe(o)}",
    };

    private static string Describe(VcpuOutcome o) => o.Exit switch
    {
        VcpuExit.BeforeKick => $"left before the kick with {Errno.Name(o.Result)}",
        VcpuExit.OnSigusr1 => $"left on SIGUSR1 with {Errno.Name(o.Result)}",
        VcpuExit.OnlyOnSigkill => $"ignored SIGUSR1 (asleep {o.StateWhenKicked}); left only on SIGKILL with {Errno.Name(o.Result)}",
        _ => "never left KVM_RUN, not even on SIGKILL",
    };

    /// <summary>The bug must show: a Killable sleep that SIGUSR1 cannot end, then -EINTR on SIGKILL.</summary>
    private static string? BuggyProblem(VcpuOutcome o)
    {
        if (o.Problem is not null)
        {
            return $"buggy vCPU: {o.Problem}";
        }

        if (o.Exit != VcpuExit.OnlyOnSigkill || o.StateWhenKicked != TaskState.Killable)
        {
            return $"buggy vCPU was expected to sleep Killable and ignore SIGUSR1, but it {Describe(o)}";
        }

        return o.Result == -Errno.EINTR && o.ExitReason == KvmExitReason.Intr
            ? null
            : $"buggy vCPU was expected to leave with -EINTR on SIGKILL, but returned {Errno.Name(o.Result)} (exit reason {o.ExitReason})";
    }

    /// <summary>The fix must show: an Interruptible sleep that SIGUSR1 ends with a signal exit, nothing mapped.</summary>
    private static string? FixedProblem(VcpuOutcome o)
    {
        if (o.Problem is not null)
        {
            return $"fixed vCPU: {o.Problem}";
        }

        if (o.Exit != VcpuExit.OnSigusr1 || o.StateWhenKicked != TaskState.Interruptible)
        {
            return $"fixed vCPU was expected to sleep Interruptible and leave on SIGUSR1, but it {Describe(o)}";
        }

        return o.Result == -Errno.EINTR && o.ExitReason == KvmExitReason.Intr && o.SignalExits == 1 && o.MappedPages == 0
            ? null
            : $"fixed vCPU was expected to leave with -EINTR as one signal exit and nothing mapped, but returned {Errno.Name(o.Result)} (exit reason {o.ExitReason}, {o.SignalExits} signal exits, {o.MappedPages} pages mapped)";
    }

    private static string DescribeAnalysis(AnalyzerReport.Result a)
    {
        if (!a.Ran)
        {
            return "analyzers on Postcopy/Buggy.cs: not run";
        }

        var fl1001 = a.Diagnostics.Where(d => d.Id == "FL1001").Select(AnalyzerReport.Where).ToArray();
        return $"analyzers on Postcopy/Buggy.cs: {a.AnalyzerCount} run, {a.Diagnostics.Count} FaultLine diagnostic(s); "
            + (fl1001.Length > 0 ? $"FL1001 (Interruptible ignored without 'locked') at {string.Join(", ", fl1001)}" : "no FL1001");
    }

    private static string? AnalysisProblem(AnalyzerReport.Result a)
    {
        if (!a.Ran)
        {
            return $"the analyzers could not be run on the buggy source: {a.Problem}";
        }

        if (a.Problem is not null)
        {
            return a.Problem;
        }

        return a.Reported("FL1001") ? null : "the analyzers did not report FL1001 on Postcopy/Buggy.cs";
    }
}
