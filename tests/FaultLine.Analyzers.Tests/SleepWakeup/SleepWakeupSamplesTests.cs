using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

/// <summary>
/// The wait loops of Samples/ (Doorbell, UffdResolver), buggy and fixed, with small stand-ins for their devices:
/// the analyzer must report exactly the bugs their comments name, and nothing on the fixed variants.
/// </summary>
public class SleepWakeupSamplesTests
{
    private const string Device = """

        sealed class MailboxDevice
        {
            private readonly KSpinLock regs = new("mbox_regs_lock");
            private (uint Tag, int Status, uint Result) completion;
            private volatile bool removed;

            public bool Removed => removed;

            public void WriteDoorbell(uint opcode, uint tag) { }

            public (uint Tag, int Status, uint Result) ReadCompletion()
            {
                regs.Lock();
                try
                {
                    return completion;
                }
                finally
                {
                    regs.Unlock();
                }
            }
        }
        """;

    private const string Daemon = """

        sealed class LazyPagesDaemon
        {
            private readonly int[] resolved = new int[16];

            public WaitQueueHead ResolvedWq { get; } = new();

            public bool IsResolved(ulong address) => System.Threading.Volatile.Read(ref resolved[address % 16]) != 0;

            public void RequestPage(ulong address) { }
        }
        """;

    [Fact]
    public async Task Doorbell_buggy_leaks_the_wait_on_removal_and_spins_on_signals()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using FaultLine;

            sealed class Mailbox
            {
                private readonly MailboxDevice device = new();
                private readonly KMutex cmdLock = new("mbox_cmd_lock");
                private readonly WaitQueueHead cmdWq = new();
                private uint nextTag;
                private uint waitingTag;
                private volatile bool done;
                private int status;
                private uint result;
                private long waitIterations;

                public int Execute(uint opcode, out uint cmdResult)
                {
                    cmdResult = 0;
                    cmdLock.Lock();
                    var tag = ++nextTag;
                    done = false;
                    Volatile.Write(ref waitingTag, tag);
                    device.WriteDoorbell(opcode, tag);

                    var wait = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        {|#0:Wait.PrepareToWait(cmdWq, wait, TaskState.Interruptible)|};
                        Interlocked.Increment(ref waitIterations);
                        if (done)
                        {
                            break;
                        }

                        if (device.Removed)
                        {
                            cmdLock.Unlock();
                            return -Errno.EIO;
                        }

                        {|#1:Sched.Schedule()|};
                    }

                    Wait.FinishWait(cmdWq, wait);
                    cmdResult = result;
                    var ret = status;
                    cmdLock.Unlock();
                    return ret;
                }

                [MustNotSleep]
                private void Interrupt()
                {
                    var c = device.ReadCompletion();
                    if (c.Tag != 0 && c.Tag == Volatile.Read(ref waitingTag))
                    {
                        status = c.Status;
                        result = c.Result;
                        done = true;
                    }

                    cmdWq.WakeUpAll();
                }
            }
            """ + Device,
            Verify.Diagnostic("FL3005").WithLocation(0).WithArguments(
                "Wait.PrepareToWait", "the return at line 38", "call Wait.FinishWait(cmdWq, wait) on every way out, or in a finally"),
            Verify.Diagnostic("FL3004").WithLocation(1).WithArguments("TaskState.Interruptible", "never checks for a pending signal", "Sched.Schedule()"));
    }

    [Fact]
    public async Task Doorbell_fixed_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using FaultLine;

            sealed class Mailbox
            {
                private readonly MailboxDevice device = new();
                private readonly KMutex cmdLock = new("mbox_cmd_lock");
                private readonly WaitQueueHead cmdWq = new();
                private uint nextTag;
                private uint waitingTag;
                private volatile bool done;
                private int status;
                private uint result;
                private long waitIterations;

                public int Execute(uint opcode, out uint cmdResult)
                {
                    cmdResult = 0;
                    cmdLock.Lock();
                    var tag = ++nextTag;
                    done = false;
                    Volatile.Write(ref waitingTag, tag);
                    device.WriteDoorbell(opcode, tag);

                    var wait = new WaitQueueEntry(KernelTask.Current);
                    int ret;
                    for (;;)
                    {
                        Wait.PrepareToWait(cmdWq, wait, TaskState.Interruptible);
                        Interlocked.Increment(ref waitIterations);
                        if (done)
                        {
                            ret = status;
                            cmdResult = result;
                            break;
                        }

                        if (device.Removed)
                        {
                            ret = -Errno.EIO;
                            break;
                        }

                        if (KernelTask.Current.SignalPending)
                        {
                            Volatile.Write(ref waitingTag, 0);
                            ret = -Errno.ERESTARTSYS;
                            break;
                        }

                        Sched.Schedule();
                    }

                    Wait.FinishWait(cmdWq, wait);
                    cmdLock.Unlock();
                    return ret;
                }

                [MustNotSleep]
                private void Interrupt()
                {
                    var c = device.ReadCompletion();
                    if (c.Tag != 0 && c.Tag == Volatile.Read(ref waitingTag))
                    {
                        status = c.Status;
                        result = c.Result;
                        done = true;
                    }

                    cmdWq.WakeUpAll();
                }
            }
            """ + Device);
    }

    [Fact]
    public async Task Doorbell_irq_handler_reading_registers_under_a_sleeping_lock_is_reported()
    {
        // The device as it was first written: a C# lock (Monitor.Enter, which sleeps) guarding the completion
        // registers the [MustNotSleep] IRQ handler reads. The samples use a KSpinLock instead.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class Mailbox
            {
                private readonly MailboxDevice device = new();
                private readonly WaitQueueHead cmdWq = new();
                private volatile bool done;

                [MustNotSleep]
                private void Interrupt()
                {
                    var c = {|#0:device.ReadCompletion()|};
                    done = c.Tag != 0;
                    cmdWq.WakeUpAll();
                }
            }

            sealed class MailboxDevice
            {
                private readonly object regs = new();
                private (uint Tag, int Status, uint Result) completion;

                public (uint Tag, int Status, uint Result) ReadCompletion()
                {
                    lock (regs)
                    {
                        return completion;
                    }
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments(
                "MailboxDevice.ReadCompletion", " (it calls 'Monitor.Enter')", "inside [MustNotSleep] method 'Interrupt'"));
    }

    [Fact]
    public async Task UffdResolver_buggy_loses_the_wakeup_and_trusts_one_schedule()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class PageWaiter
            {
                private readonly LazyPagesDaemon daemon = new();

                public int WaitForPage(ulong address)
                {
                    if ({|#0:daemon.IsResolved(address)|})
                    {
                        return 0;
                    }

                    daemon.RequestPage(address);

                    var wait = new WaitQueueEntry(KernelTask.Current);
                    {|#1:Wait.PrepareToWait(daemon.ResolvedWq, wait, TaskState.Killable)|};
                    {|#2:Sched.Schedule()|};
                    Wait.FinishWait(daemon.ResolvedWq, wait);
                    return 0;
                }
            }
            """ + Daemon,
            Verify.Diagnostic("FL3002").WithLocation(0).WithLocation(1).WithArguments("daemon.IsResolved(address)", "Wait.PrepareToWait"),
            Verify.Diagnostic("FL3001").WithLocation(2));
    }

    [Fact]
    public async Task UffdResolver_fixed_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class PageWaiter
            {
                private readonly LazyPagesDaemon daemon = new();

                public int WaitForPage(ulong address)
                {
                    daemon.RequestPage(address);
                    return Wait.EventKillable(daemon.ResolvedWq, () => daemon.IsResolved(address));
                }
            }
            """ + Daemon);
    }
}
