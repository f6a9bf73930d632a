using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// The operations of each basic block in evaluation order (operands first, left to right, then the operation;
/// the block's statements, then its branch value), computed once per graph and shared by every problem solved on
/// it — by every rule family, since the driver hands all analyzers the same graph. Without it each solver pass
/// and each replay walked the operation trees again.
/// </summary>
internal sealed class EvaluationOrder
{
    private static readonly ConditionalWeakTable<ControlFlowGraph, EvaluationOrder> Cache = new();
    private static readonly ConditionalWeakTable<ControlFlowGraph, EvaluationOrder>.CreateValueCallback Create = graph => new EvaluationOrder(graph);

    private readonly ControlFlowGraph graph;
    private readonly IOperation[]?[] blocks;

    private EvaluationOrder(ControlFlowGraph graph)
    {
        this.graph = graph;
        blocks = new IOperation[]?[graph.Blocks.Length];
    }

    public static EvaluationOrder Of(ControlFlowGraph graph) => Cache.GetValue(graph, Create);

    /// <summary>The operations of <paramref name="block"/> (of this graph) in the order they run.</summary>
    public IOperation[] Of(BasicBlock block)
    {
        // Filled lazily; two threads racing here compute equal arrays, and either may win.
        var operations = blocks[block.Ordinal];
        if (operations is null)
        {
            operations = Flatten(graph.Blocks[block.Ordinal]);
            blocks[block.Ordinal] = operations;
        }

        return operations;
    }

    private static IOperation[] Flatten(BasicBlock block)
    {
        var order = new List<IOperation>();
        var stack = new Stack<(IOperation Operation, bool ChildrenDone)>();
        foreach (var root in block.Operations)
        {
            PostOrder(root, order, stack);
        }

        if (block.BranchValue is not null)
        {
            PostOrder(block.BranchValue, order, stack);
        }

        return order.ToArray();
    }

    /// <summary>
    /// Post-order with an explicit stack (a statement can be thousands of operations deep). Lambdas and local
    /// functions are listed but not entered: they have their own graphs and run at another time.
    /// </summary>
    private static void PostOrder(IOperation root, List<IOperation> order, Stack<(IOperation, bool)> stack)
    {
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (operation, childrenDone) = stack.Pop();
            if (childrenDone || operation is IFlowAnonymousFunctionOperation)
            {
                order.Add(operation);
                continue;
            }

            stack.Push((operation, true));
            foreach (var child in operation.ChildOperations.Reverse())
            {
                // Pushed last child first, so that the first child is walked first.
                stack.Push((child, false));
            }
        }
    }
}
