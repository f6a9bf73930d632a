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

    [Fact]
    public async Task Lock_statement_under_a_spinlock_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly KSpinLock sl = new();
                private readonly object gate = new();
                private int count;

                void Update()
                {
                    sl.Lock();
                    try
                    {
                        {|#0:lock (gate)|}
                        {
                            count++;
                        }
                    }
                    finally
                    {
                        sl.Unlock();
                    }
                }

                void TryUpdate()
                {
                    if (!sl.TryLock())
                        return;
                    {|#1:lock (this.gate)|}
                        count--;
                    sl.Unlock();
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments("Monitor.Enter", "", "while KSpinLock 'sl' is held (atomic context)"),
            Verify.Diagnostic("FL3006").WithLocation(1).WithArguments("Monitor.Enter", "", "while KSpinLock 'sl' is held (atomic context)"));
    }

    [Fact]
    public async Task Lock_statement_in_a_MustNotSleep_method_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Device
            {
                private readonly object gate = new();
                private readonly System.Threading.Lock typedGate = new();
                private int pending;

                [MustNotSleep]
                void Interrupt()
                {
                    {|#0:lock (gate)|}
                    {
                        pending++;
                    }

                    {|#1:lock (typedGate)|}
                    {
                        pending--;
                    }
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments("Monitor.Enter", "", "inside [MustNotSleep] method 'Interrupt'"),
            Verify.Diagnostic("FL3006").WithLocation(1).WithArguments("Lock.EnterScope", "", "inside [MustNotSleep] method 'Interrupt'"));
    }

    [Fact]
    public async Task Helper_that_takes_a_lock_is_reported_with_the_chain()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Device
            {
                private readonly KSpinLock sl = new();
                private readonly object gate = new();
                private int pending;

                void Bump()
                {
                    lock (gate)
                    {
                        pending++;
                    }
                }

                void Post() => Bump();

                void Update()
                {
                    sl.Lock();
                    {|#0:Post()|};
                    sl.Unlock();
                }

                [MustNotSleep]
                void Interrupt()
                {
                    {|#1:Bump()|};
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments("Device.Post", " (it calls 'Device.Bump', which calls 'Monitor.Enter')", "while KSpinLock 'sl' is held (atomic context)"),
            Verify.Diagnostic("FL3006").WithLocation(1).WithArguments("Device.Bump", " (it calls 'Monitor.Enter')", "inside [MustNotSleep] method 'Interrupt'"));
    }

    [Fact]
    public async Task Lock_statement_outside_a_spinlock_region_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Device
            {
                private readonly KSpinLock sl = new();
                private readonly object gate = new();
                private int pending;

                void Update()
                {
                    lock (gate)
                    {
                        pending++;
                    }

                    sl.Lock();
                    pending--;
                    sl.Unlock();
                    lock (gate)
                    {
                        pending++;
                    }
                }

                void Nested()
                {
                    // A spinlock taken inside a sleeping lock is the legal order.
                    lock (gate)
                    {
                        sl.Lock();
                        pending++;
                        sl.Unlock();
                    }
                }

                void Bump()
                {
                    lock (gate)
                    {
                        pending++;
                    }
                }

                void Caller()
                {
                    Bump();
                    sl.Lock();
                    pending--;
                    sl.Unlock();
                }
            }
            """);
    }

    [Fact]
    public async Task KSpinLock_in_a_MustNotSleep_method_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Device
            {
                private readonly KSpinLock sl = new();
                private readonly WaitQueueHead wq = new();
                private int pending;

                [MustNotSleep]
                void Interrupt()
                {
                    sl.Lock();
                    try
                    {
                        pending++;
                    }
                    finally
                    {
                        sl.Unlock();
                    }

                    wq.WakeUp();
                }
            }
            """);
    }

    [Fact]
    public async Task Monitor_TryEnter_blocks_only_with_a_timeout()
    {
        // TryEnter(obj) and TryEnter(obj, ref taken) return at once; the overloads with a timeout wait.
        await Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using FaultLine;

            class Driver
            {
                private readonly object gate = new();

                [MustNotSleep]
                void Poll()
                {
                    var taken = false;
                    Monitor.TryEnter(gate, ref taken);
                    if (taken)
                    {
                        Monitor.Exit(gate);
                    }

                    if (Monitor.TryEnter(gate))
                    {
                        Monitor.Exit(gate);
                    }

                    if ({|#0:Monitor.TryEnter(gate, 10)|})
                    {
                        Monitor.Exit(gate);
                    }
                }
            }
            """,
            Verify.Diagnostic("FL3006").WithLocation(0).WithArguments("Monitor.TryEnter", "", "inside [MustNotSleep] method 'Poll'"));
    }
}
