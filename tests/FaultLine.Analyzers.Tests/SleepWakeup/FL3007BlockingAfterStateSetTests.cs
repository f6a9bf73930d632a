using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

public class FL3007BlockingAfterStateSetTests
{
    [Fact]
    public async Task Mutex_taken_between_PrepareToWait_and_Schedule_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private readonly KMutex mutex = new();
                private bool done;

                void WaitDone()
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    for (;;)
                    {
                        {|#1:Wait.PrepareToWait(wq, entry, TaskState.Uninterruptible)|};
                        {|#0:mutex.Lock()|};
                        bool ready = done;
                        mutex.Unlock();
                        if (ready)
                            break;
                        {|#2:Sched.Schedule()|};
                    }
                    Wait.FinishWait(wq, entry);
                }
            }
            """,
            Verify.Diagnostic("FL3007").WithLocation(0).WithLocation(1).WithArguments("KMutex.Lock", "Wait.PrepareToWait", "TaskState.Uninterruptible"),
            Verify.Diagnostic("FL3003").WithLocation(2).WithArguments("Sched.Schedule()", ""));
    }

    [Fact]
    public async Task Wait_event_after_SetCurrentState_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private volatile bool done;

                int WaitDone()
                {
                    {|#1:Sched.SetCurrentState(TaskState.Interruptible)|};
                    int ret = {|#0:Wait.EventInterruptible(wq, () => done)|};
                    Sched.SetCurrentState(TaskState.Running);
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL3007").WithLocation(0).WithLocation(1).WithArguments("Wait.EventInterruptible", "Sched.SetCurrentState", "TaskState.Interruptible"));
    }

    [Fact]
    public async Task Helper_that_takes_a_sleeping_lock_after_SetCurrentState_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly KMutex mutex = new();
                private bool done;

                bool Ready()
                {
                    mutex.Lock();
                    var ready = done;
                    mutex.Unlock();
                    return ready;
                }

                void WaitDone()
                {
                    for (;;)
                    {
                        {|#1:Sched.SetCurrentState(TaskState.Uninterruptible)|};
                        if ({|#0:Ready()|})
                            break;
                        {|#2:Sched.Schedule()|};
                    }
                    Sched.SetCurrentState(TaskState.Running);
                }
            }
            """,
            Verify.Diagnostic("FL3007").WithLocation(0).WithLocation(1).WithArguments("Driver.Ready", "Sched.SetCurrentState", "TaskState.Uninterruptible"),
            Verify.Diagnostic("FL3003").WithLocation(2).WithArguments("Sched.Schedule()", ""));
    }
}
