using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// The graphs of the lambdas and local functions inside a graph, recursively. Each is analysed as its own
/// method: GUP calls in a <c>KernelTask.Start(..., () => { ... })</c> body are as common as in methods.
/// </summary>
internal static class NestedGraphs
{
    public static IEnumerable<(IMethodSymbol Symbol, ControlFlowGraph Graph)> Of(ControlFlowGraph graph, CancellationToken cancellationToken)
    {
        // Depth-first, each function before the functions inside it, with an explicit stack of the graphs being
        // listed: lambdas can nest a thousand deep, and recursive iterators would use the call stack for that.
        var stack = new Stack<IEnumerator<(IMethodSymbol Symbol, ControlFlowGraph Graph)>>();
        stack.Push(Children(graph, cancellationToken).GetEnumerator());
        try
        {
            while (stack.Count > 0)
            {
                var current = stack.Peek();
                if (!current.MoveNext())
                {
                    current.Dispose();
                    stack.Pop();
                    continue;
                }

                yield return current.Current;
                stack.Push(Children(current.Current.Graph, cancellationToken).GetEnumerator());
            }
        }
        finally
        {
            while (stack.Count > 0)
            {
                stack.Pop().Dispose();
            }
        }
    }

    /// <summary>The local functions and lambdas directly inside <paramref name="graph"/>, in block order.</summary>
    internal static IEnumerable<(IMethodSymbol Symbol, ControlFlowGraph Graph)> Children(ControlFlowGraph graph, CancellationToken cancellationToken)
    {
        foreach (var localFunction in graph.LocalFunctions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return (localFunction, graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken));
        }

        // The evaluation order lists lambdas without entering them, so these are the outermost ones, left to right.
        var order = EvaluationOrder.Of(graph);
        foreach (var block in graph.Blocks)
        {
            foreach (var operation in order.Of(block))
            {
                if (operation is IFlowAnonymousFunctionOperation lambda)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return (lambda.Symbol, graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken));
                }
            }
        }
    }
}
