using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// The solver: a worklist over the basic blocks of one control-flow graph. Block inputs are joined at merge
/// points, branch conditions split the state (<see cref="ForwardAnalysis{TState}.Split"/>), and loops run to a
/// fixed point. Every lattice here has finite height, but the solver still bounds the number of block visits so
/// that it terminates whatever a lattice does; a result that hit the bound says so and rules stay silent on it.
/// </summary>
internal static class ForwardDataflow
{
    /// <summary>Block visits allowed per block before the solver gives up.</summary>
    private const int VisitsPerBlock = 64;

    public static FlowResult<TState> Run<TState>(ControlFlowGraph graph, ForwardAnalysis<TState> analysis, CancellationToken cancellationToken)
        where TState : class
    {
        var blocks = graph.Blocks;
        var inputs = new TState[blocks.Length];
        var reached = new bool[blocks.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = analysis.Unreached;
        }

        // Ordered by ordinal: the graph lists blocks in source order, so the lowest pending ordinal is a good
        // next choice (predecessors before successors except along back edges).
        var pending = new SortedSet<int>();
        inputs[0] = analysis.Entry;
        reached[0] = true;
        pending.Add(0);

        // Exception handlers start from nothing known: an exception can come from any point of the try.
        foreach (var handlerEntry in HandlerEntries(graph.Root))
        {
            inputs[handlerEntry] = analysis.Unknown;
            reached[handlerEntry] = true;
            pending.Add(handlerEntry);
        }

        var order = EvaluationOrder.Of(graph);
        var finallyWrites = new Dictionary<ControlFlowRegion, ImmutableHashSet<ILocalSymbol>>();
        var budget = VisitsPerBlock * blocks.Length + 256;
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (--budget < 0)
            {
                return new FlowResult<TState>(graph, analysis, inputs, reached, converged: false);
            }

            var ordinal = pending.Min;
            pending.Remove(ordinal);
            var block = blocks[ordinal];
            var (fallThrough, conditional) = Transfer(block, order, inputs[ordinal], analysis, observer: null);
            Propagate(block.FallThroughSuccessor, fallThrough);
            Propagate(block.ConditionalSuccessor, conditional);
        }

        return new FlowResult<TState>(graph, analysis, inputs, reached, converged: true);

        void Propagate(ControlFlowBranch? branch, TState state)
        {
            var destination = branch?.Destination;
            if (branch is null || destination is null)
            {
                return;
            }

            foreach (var finallyRegion in branch.FinallyRegions)
            {
                state = analysis.ThroughFinally(state, finallyRegion);
                if (!finallyWrites.TryGetValue(finallyRegion, out var written))
                {
                    written = LocalWrites.InRegion(graph, finallyRegion);
                    finallyWrites[finallyRegion] = written;
                }

                if (!written.IsEmpty)
                {
                    state = analysis.Forget(state, written);
                }
            }

            var target = destination.Ordinal;
            var joined = reached[target] ? analysis.Join(inputs[target], state) : state;
            if (!reached[target] || !analysis.IsSame(joined, inputs[target]))
            {
                inputs[target] = joined;
                reached[target] = true;
                pending.Add(target);
            }
        }
    }

    /// <summary>
    /// Runs one block from <paramref name="input"/>: its operations, then its branch value, then the split on
    /// the condition. Returns the states along the fall-through and the conditional successor.
    /// </summary>
    internal static (TState FallThrough, TState Conditional) Transfer<TState>(
        BasicBlock block, EvaluationOrder order, TState input, ForwardAnalysis<TState> analysis, FlowObserver<TState>? observer)
        where TState : class
    {
        var state = input;
        foreach (var operation in order.Of(block))
        {
            observer?.OnOperation(operation, state, block);
            state = analysis.Apply(operation, state);
        }

        if (block.BranchValue is null || block.ConditionKind == ControlFlowConditionKind.None)
        {
            return (state, state);
        }

        var (whenTrue, whenFalse) = analysis.Split(block.BranchValue, state);
        return block.ConditionKind == ControlFlowConditionKind.WhenTrue
            ? (whenFalse, whenTrue)
            : (whenTrue, whenFalse);
    }

    private static IEnumerable<int> HandlerEntries(ControlFlowRegion region)
    {
        if (region.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter or ControlFlowRegionKind.Finally)
        {
            yield return region.FirstBlockOrdinal;
        }

        foreach (var nested in region.NestedRegions)
        {
            foreach (var entry in HandlerEntries(nested))
            {
                yield return entry;
            }
        }
    }
}
