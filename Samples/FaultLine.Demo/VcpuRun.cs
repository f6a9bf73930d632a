using FaultLine.Samples.Postcopy;

namespace FaultLine.Demo;

/// <summary>How a vCPU got out of KVM_RUN, if it did.</summary>
internal enum VcpuExit
{
    /// <summary>It returned before it was kicked (it never waited for the page).</summary>
    BeforeKick,

    /// <summary>QEMU's vm_stop kick (SIGUSR1) got it out.</summary>
    OnSigusr1,

    /// <summary>It ignored SIGUSR1, the watchdog reported it hung, and only SIGKILL got it out.</summary>
    OnlyOnSigkill,

    /// <summary>Not even SIGKILL got it out within the watchdog's bound; the demo left it behind.</summary>
    Never,
}

/// <summary>What happened to one vCPU. <see cref="Result"/> is meaningful unless <see cref="Exit"/> is <see cref="VcpuExit.Never"/>.</summary>
internal sealed record VcpuOutcome(
    VcpuVariant Variant,
    TaskState StateWhenKicked,
    VcpuExit Exit,
    int Result,
    KvmExitReason ExitReason,
    long SignalExits,
    int MappedPages,
    string? Problem);

/// <summary>
/// One act of the story: an incoming postcopy migration whose network to the source is down, one of
/// the sample's vCPUs faulting on a guest page that will never arrive, and QEMU's vm_stop kick. Every
/// wait is bounded: a vCPU that ignores the kick is reported hung by the watchdog and then killed, so
/// the demo never hangs whatever the code under it does.
/// </summary>
internal static class VcpuRun
{
    private const ulong GuestHva = 0x7f0000000000;
    private const int GuestPages = 16;
    private const ulong Gpa = 3 * Page.Size;

    /// <summary>How long the vCPU may take to fault, have its page requested and fall asleep.</summary>
    private static readonly TimeSpan SleepDeadline = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the watchdog gives a kicked vCPU to leave. The model already says whether anything can
    /// wake it (a Killable sleep ignores SIGUSR1); the time only confirms it: a vCPU the kick wakes is
    /// out in microseconds.
    /// </summary>
    public static readonly TimeSpan KickGrace = TimeSpan.FromSeconds(1);

    /// <summary>How long SIGKILL, and the end of migration, may take before the demo gives up on them.</summary>
    private static readonly TimeSpan KillDeadline = TimeSpan.FromSeconds(10);

    public static VcpuOutcome Play(VcpuVariant variant, TextWriter output)
    {
        var migration = new IncomingMigration(GuestHva, GuestPages, networkUp: false);
        var requests = 0;
        migration.FaultThread.PageRequested += request =>
        {
            output.WriteLine($"  [fault thread] userfault at hva 0x{request.Address:x} ({(request.Write ? "write" : "read")}); asked the source for the page: {Describe(request)}");
            Interlocked.Increment(ref requests);
        };
        output.WriteLine($"  [qemu]    incoming postcopy migration: {GuestPages} guest pages at hva 0x{GuestHva:x}, registered with userfaultfd (MISSING); fault thread running");
        output.WriteLine("  [network] the link to the source host is down: page requests are lost");

        var vcpu = variant.Create(migration.Ram);
        var result = int.MinValue;
        output.WriteLine($"  [vcpu0]   KVM_RUN: the guest writes gpa 0x{Gpa:x}, not migrated yet -> {variant.TypeName}.PageFault(0x{Gpa:x}, write: true)");
        var task = KernelTask.Start("vcpu0", migration.Ram.Mm, () => result = vcpu.PageFault(Gpa, true));

        var (exit, stateWhenKicked, problem) = KickAndWatch(task, () => Volatile.Read(ref requests) > 0, output);
        if (exit == VcpuExit.Never)
        {
            // The vCPU may still hold mmap_lock, which closing the userfaultfd takes: leave it all behind
            // (the tasks are background threads) rather than risk hanging the demo.
            return new VcpuOutcome(variant, stateWhenKicked, exit, result, vcpu.ExitReason(), vcpu.SignalExits(), vcpu.MappedPages(), problem);
        }

        output.WriteLine($"  [vcpu0]   PageFault returned {Errno.Name(result)}: exit reason {vcpu.ExitReason()}{(vcpu.ExitReason() == KvmExitReason.Intr ? " (KVM_EXIT_INTR: KVM_RUN returns -EINTR, QEMU handles the signal)" : string.Empty)}, signal exits {vcpu.SignalExits()}, pages mapped {vcpu.MappedPages()}");

        var finished = migration.Finish(KillDeadline);
        output.WriteLine(finished
            ? $"  [qemu]    migration cleanup: userfaultfd closed, the fault thread left after serving {migration.FaultThread.Faults} userfault(s)"
            : $"  [watchdog] the fault thread did not leave {KillDeadline.TotalSeconds:0} s after the userfaultfd was closed");
        problem ??= finished ? null : "the fault thread did not leave after the userfaultfd was closed";
        return new VcpuOutcome(variant, stateWhenKicked, exit, result, vcpu.ExitReason(), vcpu.SignalExits(), vcpu.MappedPages(), problem);
    }

    /// <summary>Waits for the vCPU to sleep on its page, kicks it with SIGUSR1, and is the watchdog after that.</summary>
    private static (VcpuExit Exit, TaskState StateWhenKicked, string? Problem) KickAndWatch(KernelTask task, Func<bool> pageRequested, TextWriter output)
    {
        var asleep = WaitFor(() => task.HasExited || (pageRequested() && task.State != TaskState.Running), SleepDeadline);
        if (TryJoin(task, TimeSpan.Zero, out var failure))
        {
            output.WriteLine("  [vcpu0]   left KVM_RUN before any kick: it never waited for the page");
            return (VcpuExit.BeforeKick, TaskState.Running, failure);
        }

        var state = task.State;
        if (asleep)
        {
            output.WriteLine($"  [vcpu0]   asleep in handle_userfault, state {state}: {WhatWakes(state)}");
        }
        else
        {
            output.WriteLine($"  [watchdog] vcpu0 did not fall asleep on its page within {SleepDeadline.TotalSeconds:0} s (state {state}); kicking it anyway");
        }

        output.WriteLine("  [qemu]    vm_stop: SIGUSR1 to vcpu0, to get it out of KVM_RUN");
        task.SendSignal(Signal.SIGUSR1);
        if (TryJoin(task, KickGrace, out failure))
        {
            output.WriteLine("  [vcpu0]   left KVM_RUN after SIGUSR1");
            return (VcpuExit.OnSigusr1, state, failure);
        }

        var pending = string.Join(", ", task.PendingSignals);
        output.WriteLine($"  [watchdog] HUNG: vcpu0 still asleep {KickGrace.TotalSeconds:0.0} s after SIGUSR1 (state {task.State}, pending {pending}); the VM cannot be stopped");
        output.WriteLine("  [watchdog] sending SIGKILL to end the hang (on a real host this kills the whole VM)");
        task.SendSignal(Signal.SIGKILL);
        if (TryJoin(task, KillDeadline, out failure))
        {
            output.WriteLine("  [vcpu0]   left KVM_RUN after SIGKILL");
            return (VcpuExit.OnlyOnSigkill, state, failure);
        }

        output.WriteLine($"  [watchdog] vcpu0 did not leave even {KillDeadline.TotalSeconds:0} s after SIGKILL (state {task.State}); giving up on it");
        return (VcpuExit.Never, state, $"vcpu0 did not leave even on SIGKILL (state {task.State})");
    }

    /// <summary>Polls a fact of the model until it holds or <paramref name="deadline"/> passes.</summary>
    private static bool WaitFor(Func<bool> condition, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        var spin = new SpinWait();
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                return false;
            }

            spin.SpinOnce();
        }

        return true;
    }

    /// <summary>
    /// Joins <paramref name="task"/> within <paramref name="timeout"/>: true once it has ended, with what
    /// its body threw (if anything) as a problem to report rather than an exception out of the demo.
    /// </summary>
    private static bool TryJoin(KernelTask task, TimeSpan timeout, out string? failure)
    {
        failure = null;
        try
        {
            return task.Join(timeout);
        }
        catch (Exception ex)
        {
            failure = $"vcpu0 threw {ex.GetType().Name}: {ex.Message}";
            return true;
        }
    }

    private static string WhatWakes(TaskState state) => state switch
    {
        TaskState.Interruptible => "any signal wakes this sleep",
        TaskState.Killable => "only SIGKILL wakes this sleep",
        _ => "no signal wakes this sleep",
    };

    private static string Describe(PageRequest request) => request.Result switch
    {
        0 => "request lost, the page will not arrive",
        > 0 => $"placed with UFFDIO_COPY ({request.Result} bytes)",
        _ => $"UFFDIO_COPY failed with {Errno.Name(request.Result)}",
    };
}
