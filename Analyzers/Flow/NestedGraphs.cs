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
        foreach (var localFunction in graph.LocalFunctions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var nested = graph.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken);
            yield return (localFunction, nested);
            foreach (var inner in Of(nested, cancellationToken))
            {
                yield return inner;
            }
        }

        foreach (var block in graph.Blocks)
        {
            foreach (var root in block.Operations)
            {
                foreach (var lambda in Lambdas(root))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var nested = graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken);
                    yield return (lambda.Symbol, nested);
                    foreach (var inner in Of(nested, cancellationToken))
                    {
                        yield return inner;
                    }
                }
            }

            if (block.BranchValue is not null)
            {
                foreach (var lambda in Lambdas(block.BranchValue))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var nested = graph.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken);
                    yield return (lambda.Symbol, nested);
                    foreach (var inner in Of(nested, cancellationToken))
                    {
                        yield return inner;
                    }
                }
            }
        }
    }

    private static IEnumerable<IFlowAnonymousFunctionOperation> Lambdas(IOperation root)
    {
        if (root is IFlowAnonymousFunctionOperation lambda)
        {
            yield return lambda;
            yield break;
        }

        foreach (var child in root.ChildOperations)
        {
            foreach (var inner in Lambdas(child))
            {
                yield return inner;
            }
        }
    }
}
