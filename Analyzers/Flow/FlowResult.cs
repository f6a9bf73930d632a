using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>The solution of one <see cref="ForwardAnalysis{TState}"/> on one graph: the input state of every block.</summary>
/// <typeparam name="TState">The problem's state.</typeparam>
internal sealed class FlowResult<TState>
    where TState : class
{
    private readonly TState[] inputs;
    private readonly bool[] reached;

    internal FlowResult(ControlFlowGraph graph, ForwardAnalysis<TState> analysis, TState[] inputs, bool[] reached, bool converged)
    {
        Graph = graph;
        Analysis = analysis;
        this.inputs = inputs;
        this.reached = reached;
        Converged = converged;
    }

    public ControlFlowGraph Graph { get; }

    public ForwardAnalysis<TState> Analysis { get; }

    /// <summary>False when the solver hit its visit bound; the states are then not a fixed point and rules must not report.</summary>
    public bool Converged { get; }

    /// <summary>Whether any path from the entry (or a handler) reaches <paramref name="block"/>.</summary>
    public bool IsReached(BasicBlock block) => reached[block.Ordinal];

    /// <summary>The joined state on entry to <paramref name="block"/>.</summary>
    public TState In(BasicBlock block) => inputs[block.Ordinal];

    /// <summary>
    /// Replays every reachable block from its solved input, telling <paramref name="observer"/> the state before
    /// each operation and the states leaving each block. Cheap: one pass, no iteration.
    /// </summary>
    public void Replay(FlowObserver<TState> observer)
    {
        var order = EvaluationOrder.Of(Graph);
        foreach (var block in Graph.Blocks)
        {
            if (!reached[block.Ordinal])
            {
                continue;
            }

            var (fallThrough, conditional) = ForwardDataflow.Transfer(block, order, inputs[block.Ordinal], Analysis, observer);
            observer.OnBlockExit(block, fallThrough, conditional);
        }
    }
}
