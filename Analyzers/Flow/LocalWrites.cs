using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow;

/// <summary>Which locals an operation, a region or a nested function writes.</summary>
internal static class LocalWrites
{
    /// <summary>
    /// Whether <paramref name="reference"/> (a local, parameter or field reference) is written rather than read:
    /// an assignment target, <c>++</c>/<c>--</c>, a <c>ref</c>/<c>out</c> argument, or a deconstruction target.
    /// A <c>ref</c> argument is both read and written; it counts as a write here.
    /// </summary>
    public static bool IsWrite(IOperation reference)
    {
        var current = reference;
        var parent = reference.Parent;
        while (parent is IDeclarationExpressionOperation or ITupleOperation)
        {
            current = parent;
            parent = parent.Parent;
        }

        return parent switch
        {
            IAssignmentOperation assignment => assignment.Target == current,
            IIncrementOrDecrementOperation increment => increment.Target == current,
            IArgumentOperation argument => argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out,
            _ => false,
        };
    }

    /// <summary>The locals written by the operations of <paramref name="region"/>'s blocks.</summary>
    public static ImmutableHashSet<ILocalSymbol> InRegion(ControlFlowGraph graph, ControlFlowRegion region)
    {
        var builder = ImmutableHashSet.CreateBuilder<ILocalSymbol>(SymbolEqualityComparer.Default);
        for (var i = region.FirstBlockOrdinal; i <= region.LastBlockOrdinal && i < graph.Blocks.Length; i++)
        {
            var block = graph.Blocks[i];
            foreach (var operation in block.Operations)
            {
                CollectWrites(operation, builder, owner: null);
            }

            if (block.BranchValue is not null)
            {
                CollectWrites(block.BranchValue, builder, owner: null);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>
    /// The locals of the method that its lambdas and local functions write: the method's own flow cannot see
    /// when those run, so their values are unknown everywhere.
    /// </summary>
    public static ImmutableHashSet<ILocalSymbol> CapturedAndWritten(ControlFlowGraph graph, System.Threading.CancellationToken cancellationToken)
    {
        // Each analyzer asks this for a method's graph and then for every nested graph in it. Walking all
        // descendants each time is quadratic in the nesting depth (a thousand nested lambdas took seconds), so the
        // answer is kept per graph and built bottom-up: a graph's set is, for each function directly inside it,
        // that function's own writes (its own locals excluded) plus that function's set. Explicit stack, no
        // recursion: lambdas can nest deeply.
        if (CapturedAndWrittenCache.TryGetValue(graph, out var cached))
        {
            return cached;
        }

        var stack = new Stack<(ControlFlowGraph Graph, bool ChildrenDone)>();
        stack.Push((graph, false));
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (current, childrenDone) = stack.Pop();
            if (CapturedAndWrittenCache.TryGetValue(current, out _))
            {
                continue;
            }

            var children = NestedGraphs.Children(current, cancellationToken);
            if (!childrenDone)
            {
                stack.Push((current, true));
                foreach (var child in children)
                {
                    stack.Push((child.Graph, false));
                }

                continue;
            }

            var builder = ImmutableHashSet.CreateBuilder<ILocalSymbol>(SymbolEqualityComparer.Default);
            foreach (var child in children)
            {
                foreach (var block in child.Graph.Blocks)
                {
                    foreach (var operation in block.Operations)
                    {
                        CollectWrites(operation, builder, child.Symbol);
                    }

                    if (block.BranchValue is not null)
                    {
                        CollectWrites(block.BranchValue, builder, child.Symbol);
                    }
                }

                if (CapturedAndWrittenCache.TryGetValue(child.Graph, out var inner))
                {
                    builder.UnionWith(inner);
                }
            }

            // Another thread may have added it meanwhile: both computed the same set.
            CapturedAndWrittenCache.GetValue(current, _ => builder.ToImmutable());
        }

        return CapturedAndWrittenCache.TryGetValue(graph, out var result) ? result : ImmutableHashSet<ILocalSymbol>.Empty;
    }

    /// <summary>Per graph (graphs are cached by the driver; entries die with them).</summary>
    private static readonly ConditionalWeakTable<ControlFlowGraph, ImmutableHashSet<ILocalSymbol>> CapturedAndWrittenCache = new();

    /// <summary>
    /// Parameters written by a nested function or inside a finally region: a graph that follows assignments to
    /// parameters must leave these alone.
    /// </summary>
    public static ImmutableHashSet<IParameterSymbol> ParametersWrittenOutsideNormalFlow(ControlFlowGraph graph, System.Threading.CancellationToken cancellationToken)
    {
        var builder = ImmutableHashSet.CreateBuilder<IParameterSymbol>(SymbolEqualityComparer.Default);
        foreach (var nested in NestedGraphs.Of(graph, cancellationToken))
        {
            foreach (var block in nested.Graph.Blocks)
            {
                CollectParameterWrites(block, builder);
            }
        }

        foreach (var block in graph.Blocks)
        {
            for (var region = block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
            {
                if (region.Kind is ControlFlowRegionKind.Finally or ControlFlowRegionKind.Catch or ControlFlowRegionKind.Filter)
                {
                    CollectParameterWrites(block, builder);
                    break;
                }
            }
        }

        return builder.ToImmutable();
    }

    private static void CollectParameterWrites(BasicBlock block, ImmutableHashSet<IParameterSymbol>.Builder builder)
    {
        var roots = block.BranchValue is null ? block.Operations : block.Operations.Add(block.BranchValue);
        foreach (var root in roots)
        {
            foreach (var operation in Descend(root))
            {
                if (operation is IParameterReferenceOperation parameter && IsWrite(operation))
                {
                    builder.Add(parameter.Parameter);
                }
            }
        }
    }

    private static void CollectWrites(IOperation root, ImmutableHashSet<ILocalSymbol>.Builder builder, IMethodSymbol? owner)
    {
        foreach (var operation in Descend(root))
        {
            if (operation is ILocalReferenceOperation local
                && (owner is null || !SymbolEqualityComparer.Default.Equals(local.Local.ContainingSymbol, owner))
                && IsWrite(operation))
            {
                builder.Add(local.Local);
            }
        }
    }

    private static IEnumerable<IOperation> Descend(IOperation root)
    {
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            yield return operation;
            if (operation is IFlowAnonymousFunctionOperation)
            {
                continue;
            }

            foreach (var child in operation.ChildOperations)
            {
                stack.Push(child);
            }
        }
    }
}
