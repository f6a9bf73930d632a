using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using FaultLine.Analyzers.Flow.Summaries;
using FaultLine.Analyzers.SleepWakeup;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// The task state per path (SEMANTICS.md rules 40-46): <c>Sched.SetCurrentState</c> and <c>Wait.PrepareToWait</c>
/// set it, <c>Wait.FinishWait</c>, <c>Schedule()</c> and every other may-sleep call leave it Running (rule 46),
/// a helper that touches it makes it Unknown. Alongside: wait entries queued and not yet removed, KSpinLocks held
/// (Lock / TryLock-true to Unlock), and state changes not yet followed by a test of the wake condition.
/// </summary>
internal sealed class TaskStateAnalysis : ForwardAnalysis<TaskStateState>
{
    private readonly SleepSymbols symbols;
    private readonly TaskStateSummaries summaries;
    private readonly GraphIndex index;
    private readonly SummaryScope scope;
    private readonly TaskStateState entry;

    private readonly ControlFlowGraph graph;

    public TaskStateAnalysis(ControlFlowGraph graph, SleepSymbols symbols, TaskStateSummaries summaries, GraphIndex index, SummaryScope scope, TaskStateBits entryState)
    {
        this.graph = graph;
        this.symbols = symbols;
        this.summaries = summaries;
        this.index = index;
        this.scope = scope;
        entry = TaskStateState.Start(entryState);
    }

    public override TaskStateState Unreached => TaskStateState.Unreached;

    public override TaskStateState Entry => entry;

    public override TaskStateState Unknown { get; } = TaskStateState.Start(TaskStateBits.Unknown);

    public override TaskStateState Join(TaskStateState left, TaskStateState right) => left.Join(right);

    public override bool IsSame(TaskStateState left, TaskStateState right) => left.IsSame(right);

    public override TaskStateState Forget(TaskStateState state, ImmutableHashSet<ILocalSymbol> locals) => state;

    /// <summary>A finally that calls FinishWait/RemoveWaitQueue/SetCurrentState(Running) undoes them for every branch through it.</summary>
    public override TaskStateState ThroughFinally(TaskStateState state, ControlFlowRegion finallyRegion)
    {
        if (state.IsUnreached)
        {
            return state;
        }

        var (entries, running) = FinallyRestores(graph, finallyRegion, symbols, index);
        var removed = state.Queued.Where(site => entries.Contains(SleepKeys.WaitEntry(site))).ToImmutableHashSet();
        state = state.WithoutQueued(removed);
        return running ? state.WithRunning() : state;
    }

    /// <summary>What a finally region undoes: the wait entries it removes, and whether it sets the task Running.</summary>
    public static (HashSet<string> Entries, bool Running) FinallyRestores(ControlFlowGraph graph, ControlFlowRegion region, SleepSymbols symbols, GraphIndex index)
    {
        var entries = new HashSet<string>();
        var running = false;
        for (var ordinal = region.FirstBlockOrdinal; ordinal <= region.LastBlockOrdinal && ordinal < graph.Blocks.Length; ordinal++)
        {
            foreach (var root in graph.Blocks[ordinal].Operations)
            {
                foreach (var operation in root.DescendantsAndSelf())
                {
                    if (operation is not IInvocationOperation invocation)
                    {
                        continue;
                    }

                    switch (symbols.Classify(invocation.TargetMethod))
                    {
                        case SleepCallKind.FinishWait:
                            entries.Add(SleepKeys.WaitEntry(invocation));
                            running = true;
                            break;
                        case SleepCallKind.RemoveWaitQueue:
                            entries.Add(SleepKeys.WaitEntry(invocation));
                            break;
                        case SleepCallKind.SetCurrentState:
                            var value = SleepKeys.Argument(invocation, 0) is { } argument ? index.Origin(argument) : null;
                            if (value is { ConstantValue.HasValue: true } && symbols.StateOf(value.ConstantValue.Value) == TaskStateBits.Running)
                            {
                                running = true;
                            }

                            break;
                    }
                }
            }
        }

        return (entries, running);
    }

    public override TaskStateState Apply(IOperation operation, TaskStateState state)
    {
        if (state.IsUnreached || operation is not IInvocationOperation invocation)
        {
            return state;
        }

        switch (symbols.Classify(invocation.TargetMethod))
        {
            case SleepCallKind.SetCurrentState:
                return SetState(state, invocation, StateArgument(invocation, 0));
            case SleepCallKind.PrepareToWait:
                return SetState(state.WithQueued(invocation), invocation, StateArgument(invocation, 2));
            case SleepCallKind.FinishWait:
                return state.WithoutQueued(QueuedMatching(state, invocation)).WithRunning();
            case SleepCallKind.AddWaitQueue:
                return state.WithQueued(invocation);
            case SleepCallKind.RemoveWaitQueue:
                return state.WithoutQueued(QueuedMatching(state, invocation));
            case SleepCallKind.Schedule:
            case SleepCallKind.ScheduleTimeout:
            case SleepCallKind.MaySleep:
                return state.WithRunning();
            case SleepCallKind.SpinLock:
                return SleepKeys.Receiver(invocation) is { } locked ? state.WithHeld(locked) : state;
            case SleepCallKind.SpinUnlock:
                return SleepKeys.Receiver(invocation) is { } unlocked ? state.WithoutHeld(unlocked) : state;
            case SleepCallKind.Helper:
                return summaries.Effect(invocation.TargetMethod, scope) switch
                {
                    HelperSleepEffect.MaySleep => state.WithRunning(),
                    HelperSleepEffect.TouchesState or HelperSleepEffect.Unreadable => state.WithUnknownState(),
                    _ => state,
                };
            default:
                return state;
        }
    }

    public override (TaskStateState WhenTrue, TaskStateState WhenFalse) Split(IOperation condition, TaskStateState state)
    {
        if (state.IsUnreached)
        {
            return (state, state);
        }

        // A test of a pending signal is not a test of the wake condition (FL3002 must still see it untested).
        var tested = SleepKeys.IsSignalTest(condition, symbols) ? state : state.WithConditionTested();

        var (operand, negated) = SleepKeys.StripNot(condition);
        if (operand is IInvocationOperation invocation
            && symbols.Classify(invocation.TargetMethod) == SleepCallKind.SpinTryLock
            && SleepKeys.Receiver(invocation) is { } key)
        {
            return negated ? (tested, tested.WithHeld(key)) : (tested.WithHeld(key), tested);
        }

        return (tested, tested);
    }

    private static TaskStateState SetState(TaskStateState state, IInvocationOperation site, TaskStateBits states) =>
        states == TaskStateBits.Running ? state.WithRunning() : state.WithStateSet(states, site);

    private TaskStateBits StateArgument(IInvocationOperation invocation, int ordinal)
    {
        var argument = SleepKeys.Argument(invocation, ordinal);
        if (argument is null)
        {
            return TaskStateBits.Unknown;
        }

        var value = index.Origin(argument);
        return value.ConstantValue.HasValue ? symbols.StateOf(value.ConstantValue.Value) : TaskStateBits.Unknown;
    }

    private static ImmutableHashSet<IInvocationOperation> QueuedMatching(TaskStateState state, IInvocationOperation removal)
    {
        var key = SleepKeys.WaitEntry(removal);
        return state.Queued.Where(site => SleepKeys.WaitEntry(site) == key).ToImmutableHashSet();
    }
}
