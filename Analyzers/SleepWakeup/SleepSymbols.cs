using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>What a call does to the sleeping machinery (SEMANTICS.md rules 40-46).</summary>
internal enum SleepCallKind
{
    /// <summary>Nothing the task-state lattice tracks.</summary>
    None,

    /// <summary><c>Sched.SetCurrentState(state)</c>.</summary>
    SetCurrentState,

    /// <summary><c>Wait.PrepareToWait(wq, entry, state)</c> / <c>PrepareToWaitExclusive</c>: queue, then set the state.</summary>
    PrepareToWait,

    /// <summary><c>Wait.FinishWait(wq, entry)</c>: Running, and the entry dequeued.</summary>
    FinishWait,

    /// <summary><c>Wait.AddWaitQueue(wq, entry)</c>: queued, the state untouched.</summary>
    AddWaitQueue,

    /// <summary><c>Wait.RemoveWaitQueue(wq, entry)</c>.</summary>
    RemoveWaitQueue,

    /// <summary><c>Sched.Schedule()</c>: sleeps in the state set before; Running after.</summary>
    Schedule,

    /// <summary><c>Sched.ScheduleTimeout(ticks)</c>: the same, bounded by a timer.</summary>
    ScheduleTimeout,

    /// <summary>Any other may-sleep runtime call ([MaySleep]: sleeping locks, <c>Wait.Event*</c>, ...): the task is Running after it (rule 46).</summary>
    MaySleep,

    /// <summary>A .NET blocking API (Thread.Sleep, Monitor.Enter, Task.Wait, ...): sleeps, but leaves the kernel task state alone.</summary>
    BlockingDotNet,

    /// <summary><c>KSpinLock.Lock()</c>.</summary>
    SpinLock,

    /// <summary><c>KSpinLock.TryLock()</c>: held when it returned true.</summary>
    SpinTryLock,

    /// <summary><c>KSpinLock.Unlock()</c>.</summary>
    SpinUnlock,

    /// <summary>A method of the user's own code: see <see cref="Flow.Summaries.TaskStateSummaries"/>.</summary>
    Helper,
}

/// <summary>
/// The runtime symbols the FL3xxx rules need, resolved once per compilation next to <see cref="KnownSymbols"/>
/// (which is only created when FaultLine.Runtime is referenced), and the classification of a call.
/// </summary>
internal sealed class SleepSymbols
{
    /// <summary>Invocation names that make a body worth a graph for FL3001-FL3005 and FL3007.</summary>
    public static readonly ImmutableHashSet<string> InterestingNames = ImmutableHashSet.Create(
        "Schedule", "ScheduleTimeout", "SetCurrentState", "PrepareToWait", "PrepareToWaitExclusive", "FinishWait", "AddWaitQueue",
        "Lock", "TryLock");

    private SleepSymbols(Compilation compilation)
    {
        Sched = Resolve(compilation, "FaultLine.Sched");
        Wait = Resolve(compilation, "FaultLine.Wait");
        TaskState = Resolve(compilation, "FaultLine.TaskState");
        KSpinLock = Resolve(compilation, "FaultLine.KSpinLock");
        KernelTask = Resolve(compilation, "FaultLine.KernelTask");
        Signals = Resolve(compilation, "FaultLine.Signals");
        VmFaultResult = Resolve(compilation, "FaultLine.VmFaultResult");
        VmOperations = Resolve(compilation, "FaultLine.VmOperations");
        MaySleepAttribute = Resolve(compilation, "FaultLine.MaySleepAttribute");
        MustNotSleepAttribute = Resolve(compilation, "FaultLine.MustNotSleepAttribute");
        ErrnoType = Resolve(compilation, "FaultLine.Errno");
        Running = EnumValue(TaskState, "Running");
        Interruptible = EnumValue(TaskState, "Interruptible");
        Uninterruptible = EnumValue(TaskState, "Uninterruptible");
        Killable = EnumValue(TaskState, "Killable");
        Retry = EnumValue(VmFaultResult, "Retry");
    }

    public INamedTypeSymbol? Sched { get; }

    public INamedTypeSymbol? Wait { get; }

    public INamedTypeSymbol? TaskState { get; }

    public INamedTypeSymbol? KSpinLock { get; }

    public INamedTypeSymbol? KernelTask { get; }

    public INamedTypeSymbol? Signals { get; }

    public INamedTypeSymbol? VmFaultResult { get; }

    public INamedTypeSymbol? VmOperations { get; }

    public INamedTypeSymbol? MaySleepAttribute { get; }

    public INamedTypeSymbol? MustNotSleepAttribute { get; }

    public INamedTypeSymbol? ErrnoType { get; }

    public long? Running { get; }

    public long? Interruptible { get; }

    public long? Uninterruptible { get; }

    public long? Killable { get; }

    public long? Retry { get; }

    /// <summary>The symbols, or null when the runtime's scheduler types are missing (nothing to check).</summary>
    public static SleepSymbols? Create(Compilation compilation)
    {
        var symbols = new SleepSymbols(compilation);
        return symbols.Sched is null || symbols.Wait is null || symbols.TaskState is null || symbols.Running is null ? null : symbols;
    }

    /// <summary>What a call to <paramref name="method"/> does.</summary>
    public SleepCallKind Classify(IMethodSymbol? method)
    {
        if (method is null)
        {
            return SleepCallKind.None;
        }

        method = method.OriginalDefinition;
        var type = method.ContainingType;
        if (type is null)
        {
            return SleepCallKind.None;
        }

        if (Is(type, Sched))
        {
            switch (method.Name)
            {
                case "SetCurrentState":
                    return SleepCallKind.SetCurrentState;
                case "Schedule":
                    return SleepCallKind.Schedule;
                case "ScheduleTimeout":
                    return SleepCallKind.ScheduleTimeout;
            }
        }
        else if (Is(type, Wait))
        {
            switch (method.Name)
            {
                case "PrepareToWait":
                case "PrepareToWaitExclusive":
                    return SleepCallKind.PrepareToWait;
                case "FinishWait":
                    return SleepCallKind.FinishWait;
                case "AddWaitQueue":
                    return SleepCallKind.AddWaitQueue;
                case "RemoveWaitQueue":
                    return SleepCallKind.RemoveWaitQueue;
            }
        }
        else if (Is(type, KSpinLock))
        {
            switch (method.Name)
            {
                case "Lock":
                    return SleepCallKind.SpinLock;
                case "TryLock":
                    return SleepCallKind.SpinTryLock;
                case "Unlock":
                    return SleepCallKind.SpinUnlock;
            }
        }

        if (HasMaySleep(method))
        {
            return SleepCallKind.MaySleep;
        }

        if (type.ContainingAssembly?.Name == KnownSymbols.RuntimeAssemblyName)
        {
            return SleepCallKind.None;
        }

        if (IsDotNetBlocking(method))
        {
            return SleepCallKind.BlockingDotNet;
        }

        return method.DeclaringSyntaxReferences.IsEmpty ? SleepCallKind.None : SleepCallKind.Helper;
    }

    /// <summary>Whether <paramref name="method"/> carries [MaySleep] (on itself or, for an accessor, its property).</summary>
    public bool HasMaySleep(IMethodSymbol method) =>
        HasAttribute(method, MaySleepAttribute) || (method.AssociatedSymbol is { } property && HasAttribute(property, MaySleepAttribute));

    public bool HasMustNotSleep(ISymbol? symbol) => symbol is not null && HasAttribute(symbol, MustNotSleepAttribute);

    /// <summary>The <see cref="TaskStateBits"/> a <c>TaskState</c> constant stands for; Unknown for anything else.</summary>
    public Flow.Lattices.TaskStateBits StateOf(object? constant)
    {
        if (constant is null)
        {
            return Flow.Lattices.TaskStateBits.Unknown;
        }

        long value;
        try
        {
            value = System.Convert.ToInt64(constant, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (System.Exception ex) when (ex is System.FormatException or System.InvalidCastException or System.OverflowException)
        {
            return Flow.Lattices.TaskStateBits.Unknown;
        }

        if (value == Running)
        {
            return Flow.Lattices.TaskStateBits.Running;
        }

        if (value == Interruptible)
        {
            return Flow.Lattices.TaskStateBits.Interruptible;
        }

        if (value == Uninterruptible)
        {
            return Flow.Lattices.TaskStateBits.Uninterruptible;
        }

        return value == Killable ? Flow.Lattices.TaskStateBits.Killable : Flow.Lattices.TaskStateBits.Unknown;
    }

    /// <summary>
    /// The .NET APIs that block the calling thread (in the model, the kernel task sleeping): one list for every
    /// family, kept in <see cref="Flow.Summaries.MaySleepSummaries.IsBlockingDotNetApi"/>.
    /// </summary>
    private static bool IsDotNetBlocking(IMethodSymbol method) => Flow.Summaries.MaySleepSummaries.IsBlockingDotNetApi(method);

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute)
    {
        if (attribute is null)
        {
            return false;
        }

        foreach (var data in symbol.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Is(INamedTypeSymbol type, INamedTypeSymbol? known) =>
        known is not null && SymbolEqualityComparer.Default.Equals(type, known);

    private static INamedTypeSymbol? Resolve(Compilation compilation, string metadataName)
    {
        var type = compilation.GetTypeByMetadataName(metadataName);
        return type is not null && type.ContainingAssembly?.Name == KnownSymbols.RuntimeAssemblyName ? type : null;
    }

    private static long? EnumValue(INamedTypeSymbol? enumType, string name)
    {
        if (enumType is null)
        {
            return null;
        }

        foreach (var member in enumType.GetMembers(name))
        {
            if (member is IFieldSymbol { HasConstantValue: true } field && field.ConstantValue is not null)
            {
                return System.Convert.ToInt64(field.ConstantValue, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
