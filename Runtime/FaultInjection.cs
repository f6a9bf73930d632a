namespace FaultLine;

/// <summary>What the injector did, and where.</summary>
public enum InjectionKind
{
    /// <summary>schedule() returned without a wakeup.</summary>
    SpuriousWakeup,
    /// <summary>A signal was made pending as the task reached a sleep point.</summary>
    Signal,
    /// <summary>The fault path returned VM_FAULT_RETRY as if the handler had blocked.</summary>
    ForcedRetry,
    /// <summary>The task was held up for a moment (cond_resched, lock paths) to shake out races.</summary>
    Delay,
}

/// <summary>One injected event: which task, its sequence number in that task, and what was done.</summary>
public readonly record struct InjectionEvent(string TaskComm, int Sequence, InjectionKind Kind, string Detail);

/// <summary>
/// Seeded fault injection (the kernel's fail_* and fault-injection ideas applied to sleeping and
/// faulting): spurious wakeups from <see cref="Sched.Schedule"/>, signals delivered at sleep points,
/// forced VM_FAULT_RETRY from the fault path, and short delays. Each task draws from its own random
/// stream, seeded from <see cref="Seed"/> and the task's comm, so a task's decisions do not depend on
/// how the threads interleave: the same seed reproduces the same outcome. Install it around a test
/// with <see cref="Install"/>; tasks started inside inherit it.
/// </summary>
public sealed class FaultInjection
{
    private static readonly AsyncLocal<FaultInjection?> Installed = new();
    private readonly object gate = new();
    private readonly List<InjectionEvent> events = new();

    /// <summary>An injector whose every decision follows from <paramref name="seed"/>.</summary>
    public FaultInjection(int seed)
    {
        Seed = seed;
    }

    /// <summary>The injector in force for the current flow, or null.</summary>
    public static FaultInjection? Current => Installed.Value;

    /// <summary>The seed: print it when a test fails, to replay the run.</summary>
    public int Seed { get; }

    /// <summary>Chance (0..1) that a schedule() returns at once without a wakeup.</summary>
    public double SpuriousWakeupRate { get; init; }

    /// <summary>Chance (0..1) that <see cref="SignalToDeliver"/> becomes pending as a task reaches a sleep point.</summary>
    public double SignalRate { get; init; }

    /// <summary>The signal delivered at sleep points; SIGUSR1 unless set.</summary>
    public Signal SignalToDeliver { get; init; } = Signal.SIGUSR1;

    /// <summary>
    /// Chance (0..1) that handle_mm_fault returns VM_FAULT_RETRY before calling the handler, as a
    /// handler that blocked would, following the lock rules of rule 34 (only when AllowRetry is set).
    /// </summary>
    public double ForcedRetryRate { get; init; }

    /// <summary>Chance (0..1) of a short delay at cond_resched points.</summary>
    public double DelayRate { get; init; }

    /// <summary>Every event injected so far, in the order they happened.</summary>
    public IReadOnlyList<InjectionEvent> Events
    {
        get
        {
            lock (gate)
            {
                return events.ToArray();
            }
        }
    }

    /// <summary>The events injected into one task, in its order: the same for the same seed.</summary>
    public IReadOnlyList<InjectionEvent> EventsOf(string comm) =>
        Events.Where(e => e.TaskComm == comm).OrderBy(e => e.Sequence).ToArray();

    /// <summary>
    /// Makes this injector current for the calling flow and the tasks it starts, until the returned
    /// scope is disposed.
    /// </summary>
    public IDisposable Install()
    {
        var previous = Installed.Value;
        Installed.Value = this;
        var task = KernelTask.CurrentOrNull;
        var previousStream = task?.Injection;
        if (task is not null)
        {
            task.Injection = StreamFor(task.Comm);
        }

        return new Scope(() =>
        {
            Installed.Value = previous;
            if (task is not null)
            {
                task.Injection = previousStream;
            }
        });
    }

    internal InjectionStream StreamFor(string comm) => new(this, StableHash(comm) ^ Seed, comm);

    internal void Record(InjectionEvent e)
    {
        lock (gate)
        {
            events.Add(e);
        }
    }

    // string.GetHashCode is randomised per process; replaying a seed needs a hash that is not.
    private static int StableHash(string s)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var c in s)
            {
                h = (h ^ c) * 16777619;
            }

            return h;
        }
    }

    private sealed class Scope(Action dispose) : IDisposable
    {
        private Action? onDispose = dispose;

        public void Dispose()
        {
            Interlocked.Exchange(ref onDispose, null)?.Invoke();
        }
    }
}

/// <summary>One task's private stream of injection decisions.</summary>
internal sealed class InjectionStream
{
    private readonly FaultInjection owner;
    private readonly Random random;
    private readonly string comm;
    private int sequence;

    internal InjectionStream(FaultInjection owner, int seed, string comm)
    {
        this.owner = owner;
        random = new Random(seed);
        this.comm = comm;
    }

    internal void AtSleepPoint(KernelTask task)
    {
        if (Roll(owner.SignalRate))
        {
            Log(InjectionKind.Signal, owner.SignalToDeliver.ToString());
            task.SendSignal(owner.SignalToDeliver);
        }
    }

    internal bool SpuriousWakeup()
    {
        if (!Roll(owner.SpuriousWakeupRate))
        {
            return false;
        }

        Log(InjectionKind.SpuriousWakeup, "schedule");
        return true;
    }

    internal bool ForcedRetry(ulong address)
    {
        if (!Roll(owner.ForcedRetryRate))
        {
            return false;
        }

        Log(InjectionKind.ForcedRetry, $"0x{address:x}");
        return true;
    }

    internal void MaybeDelay()
    {
        if (!Roll(owner.DelayRate))
        {
            return;
        }

        Log(InjectionKind.Delay, "cond_resched");
        Thread.Yield();
    }

    // Draw every time, even at rate 0, so one knob does not shift the others' decisions.
    private bool Roll(double rate) => random.NextDouble() < rate;

    private void Log(InjectionKind kind, string detail) =>
        owner.Record(new InjectionEvent(comm, sequence++, kind, detail));
}
