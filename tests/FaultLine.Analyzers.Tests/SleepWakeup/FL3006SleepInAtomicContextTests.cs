using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.SleepWakeup.SleepWakeupAnalyzer>;

namespace FaultLine.Analyzers.Tests.SleepWakeup;

public class FL3006SleepInAtomicContextTests
{
    [Fact]
    public async Task Sleeping_lock_under_a_spinlock_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly KSpinLock sl = new();
                private readonly KMutex mutex = new();

                void Update()
                {
                    sl.Lock();
                    {|#0:mutex.Lock()|};
                    mutex.Unlock();
                    sl.Unlock();
                }

                void Balanced()
                {
                    sl.Lock();
                    this.sl.Unlock();
                    mutex.Lock();
                    mutex.Unlock();
                }

                void TryUpdate()
                {
                    if (!sl.TryLock())
                        return;
                    {|#1:Sched.ScheduleTimeout(1)|};
                    sl.Unlock();
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments("KMutex.Lock", "", "while KSpinLock 'sl' is held (atomic context)"),
            Verify.Diagnostic("FL3006").WithLocation(1).WithArguments("Sched.ScheduleTimeout", "", "while KSpinLock 'sl' is held (atomic context)"));
    }

    [Fact]
    public async Task Blocking_call_in_a_MustNotSleep_method_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using FaultLine;

            class Driver
            {
                private readonly RwSemaphore sem = new();

                [MustNotSleep]
                void Atomic()
                {
                    {|#0:Thread.Sleep(1)|};
                    {|#1:sem.DownRead()|};
                    sem.UpRead();
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments("Thread.Sleep", "", "inside [MustNotSleep] method 'Atomic'"),
            Verify.Diagnostic("FL3006").WithLocation(1).WithArguments("RwSemaphore.DownRead", "", "inside [MustNotSleep] method 'Atomic'"));
    }

    [Fact]
    public async Task Helper_that_sleeps_under_a_spinlock_is_reported_with_the_chain()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly KSpinLock sl = new();
                private readonly WaitQueueHead wq = new();
                private volatile bool ready;

                void WaitReady() => Wait.Event(wq, () => ready);

                void Refill() => WaitReady();

                void Update()
                {
                    sl.Lock();
                    {|#0:Refill()|};
                    sl.Unlock();
                }

                [MustNotSleep]
                void Atomic()
                {
                    {|#1:WaitReady()|};
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments("Driver.Refill", " (it calls 'Driver.WaitReady', which calls 'Wait.Event')", "while KSpinLock 'sl' is held (atomic context)"),
            Verify.Diagnostic("FL3006").WithLocation(1).WithArguments("Driver.WaitReady", " (it calls 'Wait.Event')", "inside [MustNotSleep] method 'Atomic'"));
    }

    [Fact]
    public async Task Non_sleeping_calls_under_a_spinlock_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly KSpinLock sl = new();
                private readonly KMutex mutex = new();
                private readonly WaitQueueHead wq = new();

                [MustNotSleep]
                void Wake()
                {
                    sl.Lock();
                    wq.WakeUp();
                    if (mutex.TryLock())
                        mutex.Unlock();
                    sl.Unlock();
                }
            }
            """);
    }
}
