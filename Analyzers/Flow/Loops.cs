using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// A loop of a graph: a header block, the blocks that can reach a back edge without passing the header, and the
/// back edges themselves. C# loops and <c>goto retry;</c> both appear as a branch to a block at or before the
/// source in the graph's block order.
/// </summary>
internal sealed class Loop
{
    public Loop(BasicBlock header, ImmutableHashSet<int> body, ImmutableArray<ControlFlowBranch> backEdges)
    {
        Header = header;
        Body = body;
        BackEdges = backEdges;
    }

    public BasicBlock Header { get; }

    /// <summary>Ordinals of the loop's blocks, the header included.</summary>
    public ImmutableHashSet<int> Body { get; }

    public ImmutableArray<ControlFlowBranch> BackEdges { get; }

    public bool Contains(BasicBlock block) => Body.Contains(block.Ordinal);

    /// <summary>
    /// Whether control can leave the loop from the start of <paramref name="start"/> without going round again:
    /// reach a block outside the loop, or a return or throw, without passing the header.
    /// </summary>
    public bool CanExitFrom(BasicBlock start, ControlFlowGraph graph)
    {
        if (!Contains(start))
        {
            return true;
        }

        if (start == Header)
        {
            // Back at the header: that is going round again, not leaving.
            return false;
        }

        var seen = new HashSet<int>();
        var pending = new Stack<BasicBlock>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            var block = pending.Pop();
            if (!seen.Add(block.Ordinal))
            {
                continue;
            }

            foreach (var branch in Successors(block))
            {
                if (branch.Destination is null)
                {
                    if (branch.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow or ControlFlowBranchSemantics.Return)
                    {
                        return true;
                    }

                    continue;
                }

                if (!Contains(branch.Destination))
                {
                    return true;
                }

                if (branch.Destination != Header)
                {
                    pending.Push(graph.Blocks[branch.Destination.Ordinal]);
                }
            }
        }

        return false;
    }

    internal static IEnumerable<ControlFlowBranch> Successors(BasicBlock block)
    {
        if (block.FallThroughSuccessor is { } fallThrough)
        {
            yield return fallThrough;
        }

        if (block.ConditionalSuccessor is { } conditional)
        {
            yield return conditional;
        }
    }
}

/// <summary>Finds the loops of a graph.</summary>
internal static class Loops
{
    public static ImmutableArray<Loop> Find(ControlFlowGraph graph)
    {
        var backEdgesByHeader = new SortedDictionary<int, List<ControlFlowBranch>>();
        foreach (var block in graph.Blocks)
        {
            foreach (var branch in Loop.Successors(block))
            {
                if (branch.Destination is { } destination && destination.Ordinal <= block.Ordinal)
                {
                    if (!backEdgesByHeader.TryGetValue(destination.Ordinal, out var list))
                    {
                        list = new List<ControlFlowBranch>();
                        backEdgesByHeader[destination.Ordinal] = list;
                    }

                    list.Add(branch);
                }
            }
        }

        var loops = ImmutableArray.CreateBuilder<Loop>();
        foreach (var pair in backEdgesByHeader)
        {
            var header = graph.Blocks[pair.Key];
            var body = new HashSet<int> { header.Ordinal };
            var pending = new Stack<BasicBlock>();
            foreach (var edge in pair.Value)
            {
                pending.Push(edge.Source);
            }

            // Natural loop: everything that reaches a back edge's source without passing the header.
            while (pending.Count > 0)
            {
                var block = pending.Pop();
                if (!body.Add(block.Ordinal))
                {
                    continue;
                }

                foreach (var predecessor in block.Predecessors)
                {
                    pending.Push(predecessor.Source);
                }
            }

            loops.Add(new Loop(header, body.ToImmutableHashSet(), pair.Value.ToImmutableArray()));
        }

        return loops.ToImmutable();
    }
}
