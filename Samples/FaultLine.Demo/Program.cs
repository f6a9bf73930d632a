using FaultLine;

namespace FaultLine.Demo;

/// <summary>
/// Postcopy live migration, told step by step on the runtime: a vCPU faults on guest memory that
/// userfaultfd serves, the network to the source host is down so the page never arrives, and the
/// management layer sends SIGUSR1 ("vm_stop") to kick the vCPU out of the kernel. Without
/// FOLL_INTERRUPTIBLE the kick does nothing and the vCPU hangs (SEMANTICS.md case 6); with it the vCPU
/// leaves with -EINTR, as KVM does since v6.2. Then the FaultLine analyzers run on the buggy vCPU's source
/// (Samples/FaultLine.Samples/Postcopy/Buggy.cs) and print what they find there (FL1001).
/// </summary>
public static class Program
{
    private const ulong GuestRam = 0x7f0000000000;
    private static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(2);

    public static int Main()
    {
        Console.WriteLine("FaultLine demo: a postcopy vCPU, a lost page, and a vm_stop kick (SIGUSR1)");
        Console.WriteLine();
        var buggy = RunVcpu("buggy vCPU", FollFlags.Write);
        Console.WriteLine();
        var fixedRun = RunVcpu("fixed vCPU", FollFlags.Write | FollFlags.Interruptible);
        Console.WriteLine();

        var warnings = KernelDebug.Warnings;
        var storyAsDesigned = buggy.StuckAfterKick && buggy.Result == -Errno.EINTR
            && !fixedRun.StuckAfterKick && fixedRun.Result == -Errno.EINTR && warnings.Count == 0;

        // The same bug, found without running anything: the analyzers on the buggy vCPU's source.
        var analysis = AnalyzerReport.Run();
        var fl1001 = analysis.Reported("FL1001");
        Console.WriteLine();

        var asDesigned = storyAsDesigned && fl1001;
        Console.WriteLine("Summary");
        Console.WriteLine($"  buggy vCPU: {(buggy.StuckAfterKick ? "ignored SIGUSR1 and hung until the watchdog sent SIGKILL" : "left on SIGUSR1")}, returned {Errno.Name(buggy.Result)}");
        Console.WriteLine($"  fixed vCPU: {(fixedRun.StuckAfterKick ? "hung" : "left on SIGUSR1")}, returned {Errno.Name(fixedRun.Result)}");
        Console.WriteLine($"  kernel warnings from the debug checks: {warnings.Count}");
        Console.WriteLine(analysis.Ran
            ? $"  analyzers: {analysis.AnalyzerCount} run on Postcopy/Buggy.cs, {analysis.Diagnostics.Count} FaultLine diagnostic(s); FL1001 (Interruptible ignored without 'locked') {(fl1001 ? "reported" : "NOT reported")}"
            : $"  analyzers: not run ({analysis.Problem})");
        Console.WriteLine(asDesigned
            ? "The story played out as designed, and the analyzers flag the bug in the source."
            : $"UNEXPECTED: {(storyAsDesigned ? "the story played out, but the analyzers did not report FL1001 on the buggy source" : "the story did not play out as designed")}.");
        return asDesigned ? 0 : 1;
    }

    private sealed record VcpuRun(long Result, bool StuckAfterKick);

    private static VcpuRun RunVcpu(string name, FollFlags flags)
    {
        Console.WriteLine($"== {name}: get_user_pages_unlocked(guest page, {flags})");
        var mm = new MmStruct();
        mm.Mmap(GuestRam, 16 * Page.Size, VmFlags.Read | VmFlags.Write, null);
        var uffd = Userfaultfd.Create(mm);
        uffd.Register(GuestRam, 16 * Page.Size, UffdRegisterMode.Missing);

        long result = 0;
        var vcpu = KernelTask.Start(name, mm, () =>
        {
            var pages = new Page[1];
            result = Gup.GetUserPagesUnlocked(mm, GuestRam, 1, flags, pages);
            if (result == 1)
            {
                Gup.PutPage(pages[0]);
            }
        });

        var msg = uffd.Read();
        Console.WriteLine($"  resolver: read a userfault at 0x{msg.Address:x}; asking the source host for it ...");
        Console.WriteLine("  resolver: the network to the source is down; the page will not arrive");
        WaitForSleep(vcpu);
        Console.WriteLine($"  {name}: asleep in handle_userfault, state {vcpu.State}");
        Console.WriteLine("  management: vm_stop -> SIGUSR1 to the vCPU thread");
        vcpu.SendSignal(Signal.SIGUSR1);

        var stuck = !vcpu.Join(Watchdog);
        if (stuck)
        {
            Console.WriteLine($"  watchdog: {name} still blocked {Watchdog.TotalSeconds:0}s after the kick (state {vcpu.State}); SIGUSR1 cannot wake a {vcpu.State} sleep");
            Console.WriteLine("  watchdog: sending SIGKILL, which any retrying GUP honours");
            vcpu.SendSignal(Signal.SIGKILL);
            vcpu.Join();
        }

        Console.WriteLine($"  {name}: GUP returned {Errno.Name(result)}{(stuck ? " (only after SIGKILL)" : " on SIGUSR1: KVM_RUN returns -EINTR and QEMU can stop the VM")}");
        uffd.Release();
        return new VcpuRun(result, stuck);
    }

    private static void WaitForSleep(KernelTask vcpu)
    {
        var spin = new SpinWait();
        var deadline = DateTime.UtcNow + Watchdog;
        while (vcpu.State == TaskState.Running && DateTime.UtcNow < deadline)
        {
            spin.SpinOnce();
        }
    }
}
