using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

/// <summary>The correct shapes of SEMANTICS.md rules 40-46: every FL3xxx rule must stay silent on them.</summary>
public class SleepWakeupSilentTests
{
    [Fact]
    public async Task Wait_event_helpers_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitInterruptible() => Wait.EventInterruptible(wq, () => done);

                int WaitKillable() => Wait.EventKillable(wq, () => done);

                void WaitPlain()
                {
                    Wait.Event(wq, () => done);
                }
            }
            """);
    }

    [Fact]
    public async Task Prepare_finish_loop_with_signal_exit_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    int ret = 0;
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Interruptible);
                        if (done)
                            break;
                        if (KernelTask.Current.SignalPending)
                        {
                            ret = -Errno.ERESTARTSYS;
                            break;
                        }
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                    return ret;
                }

                void WaitUninterruptible()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        Wait.PrepareToWaitExclusive(wq, entry, TaskState.Uninterruptible);
                        if (done)
                            break;
                        Sched.Schedule();
                    }
                    Wait.FinishWait(wq, entry);
                }

                int WaitKillable()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    try
                    {
                        for (;;)
                        {
                            Wait.PrepareToWait(wq, entry, TaskState.Killable);
                            if (done)
                                return 0;
                            if (KernelTask.Current.FatalSignalPending)
                                return -Errno.ERESTARTSYS;
                            Sched.Schedule();
                        }
                    }
                    finally
                    {
                        Wait.FinishWait(wq, entry);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Set_state_test_schedule_loop_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private volatile bool done;

                void WaitDone()
                {
                    for (;;)
                    {
                        Sched.SetCurrentState(TaskState.Uninterruptible);
                        if (done)
                            break;
                        Sched.Schedule();
                    }
                    Sched.SetCurrentState(TaskState.Running);
                }
            }
            """);
    }

    [Fact]
    public async Task Test_and_state_change_serialised_by_one_spinlock_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly KSpinLock sl = new();
                private bool done;

                void WaitDone()
                {
                    sl.Lock();
                    while (!done)
                    {
                        Sched.SetCurrentState(TaskState.Uninterruptible);
                        sl.Unlock();
                        Sched.Schedule();
                        sl.Lock();
                    }
                    sl.Unlock();
                }
            }
            """);
    }

    [Fact]
    public async Task Helper_that_schedules_in_its_callers_state_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private volatile bool done;

                static void SleepOnce() => Sched.Schedule();

                static void Prepare() => Sched.SetCurrentState(TaskState.Uninterruptible);

                void WaitDone()
                {
                    for (;;)
                    {
                        Prepare();
                        if (done)
                            break;
                        SleepOnce();
                    }
                    Sched.SetCurrentState(TaskState.Running);
                }
            }
            """);
    }

    [Fact]
    public async Task Timed_sleep_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                void Backoff()
                {
                    Sched.SetCurrentState(TaskState.Uninterruptible);
                    Sched.ScheduleTimeout(10);
                }
            }
            """);
    }

    [Fact]
    public async Task Sleeping_lock_taken_before_the_state_is_set_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly KMutex mutex = new();
                private readonly KSpinLock sl = new();
                private int counter;

                void Update()
                {
                    mutex.Lock();
                    sl.Lock();
                    counter++;
                    sl.Unlock();
                    mutex.Unlock();
                }

                void TryUpdate()
                {
                    if (sl.TryLock())
                    {
                        counter++;
                        sl.Unlock();
                    }
                    mutex.Lock();
                    mutex.Unlock();
                }
            }
            """);
    }

    [Fact]
    public async Task Code_that_does_not_bind_is_left_alone()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                void Spin()
                {
                    while (!{|CS0103:done|})
                        Sched.Schedule();
                }
            }
            """);
    }

    [Fact]
    public async Task State_from_a_value_the_analyzer_cannot_read_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            sealed class Ops : VmOperations
            {
                private readonly WaitQueueHead wq = new();

                static TaskState BlockingState(FaultFlags flags) =>
                    (flags & FaultFlags.Interruptible) != 0 ? TaskState.Interruptible
                    : (flags & FaultFlags.Killable) != 0 ? TaskState.Killable : TaskState.Uninterruptible;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, BlockingState(vmf.Flags));
                    vmf.Vma.Mm.MmapReadUnlock();
                    Sched.Schedule();
                    Wait.FinishWait(wq, entry);
                    return VmFaultResult.Retry;
                }
            }
            """);
    }

    [Fact]
    public async Task Without_the_runtime_nothing_is_reported()
    {
        await Verify.VerifyWithoutRuntimeAsync("""
            static class Sched
            {
                public static void Schedule() { }
            }

            class Driver
            {
                void Spin()
                {
                    while (true)
                        Sched.Schedule();
                }
            }
            """);
    }
}
