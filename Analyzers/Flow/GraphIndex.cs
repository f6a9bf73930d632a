using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// One pass over a graph's operations that finds what several problems need: every invocation, and the value(s)
/// each flow capture is given (arguments before a conditional argument are captured, so a GUP call's
/// <c>nrPages</c> may reach it as a capture reference).
/// </summary>
internal sealed class GraphIndex
{
    private static readonly ConditionalWeakTable<ControlFlowGraph, GraphIndex> Cache = new();
    private static readonly ConditionalWeakTable<ControlFlowGraph, GraphIndex>.CreateValueCallback Create = graph => new GraphIndex(graph);

    private readonly Dictionary<CaptureId, List<IOperation>> captureSources = new();
    private readonly Dictionary<IOperation, BasicBlock> blocks = new();

    /// <summary>The index of <paramref name="graph"/>, built once and shared by every family (read-only once built).</summary>
    public static GraphIndex Of(ControlFlowGraph graph) => Cache.GetValue(graph, Create);

    private GraphIndex(ControlFlowGraph graph)
    {
        var invocations = ImmutableArray.CreateBuilder<IInvocationOperation>();
        foreach (var block in graph.Blocks)
        {
            foreach (var root in block.Operations)
            {
                Scan(root, block, invocations);
            }

            if (block.BranchValue is not null)
            {
                Scan(block.BranchValue, block, invocations);
            }
        }

        Invocations = invocations.ToImmutable();
    }

    /// <summary>Every invocation of the graph (not of its lambdas), in block order.</summary>
    public ImmutableArray<IInvocationOperation> Invocations { get; }

    /// <summary>
    /// Follows conversions and flow captures that are given a single value to the operation that computes it.
    /// A capture given different values on different paths is left as is.
    /// </summary>
    public IOperation Origin(IOperation operation)
    {
        for (var guard = 0; guard < 16; guard++)
        {
            operation = Comparisons.StripConversions(operation);
            if (operation is IFlowCaptureReferenceOperation reference
                && captureSources.TryGetValue(reference.Id, out var sources) && sources.Count == 1)
            {
                operation = sources[0];
                continue;
            }

            break;
        }

        return operation;
    }

    /// <summary>The block an invocation of this graph belongs to.</summary>
    public BasicBlock? BlockOf(IOperation invocation) => blocks.TryGetValue(invocation, out var block) ? block : null;

    private void Scan(IOperation root, BasicBlock block, ImmutableArray<IInvocationOperation>.Builder invocations)
    {
        // Explicit stack (pre-order, children left to right): an operation tree can be thousands deep.
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            if (operation is IFlowAnonymousFunctionOperation)
            {
                continue;
            }

            if (operation is IInvocationOperation invocation)
            {
                invocations.Add(invocation);
                blocks[invocation] = block;
            }
            else if (operation is IFlowCaptureOperation capture)
            {
                if (!captureSources.TryGetValue(capture.Id, out var list))
                {
                    list = new List<IOperation>();
                    captureSources[capture.Id] = list;
                }

                list.Add(capture.Value);
            }

            foreach (var child in operation.ChildOperations.Reverse())
            {
                // Last child first, so that the first child is popped first.
                stack.Push(child);
            }
        }
    }
}
