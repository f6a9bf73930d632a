using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// Walks one root operation of a basic block in evaluation order: operands first, left to right, then the
/// operation itself. In a control-flow graph, short-circuit operators, conditionals and null-coalescing are
/// already split into blocks with flow captures, so this order is C#'s. Lambdas and local functions are not
/// entered: they have their own graphs and run at another time.
/// </summary>
internal static class OperationWalk
{
    public static TState Run<TState>(IOperation root, TState state, Func<IOperation, TState, TState> apply)
        where TState : class
    {
        // Explicit stack, not recursion: one statement can be thousands of operations deep (a long chain of
        // additions), and a stack overflow kills the host. Each entry is an operation and whether its children
        // have been pushed; an operation is applied when it is popped the second time (post-order).
        var stack = new Stack<(IOperation Operation, bool ChildrenDone)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (operation, childrenDone) = stack.Pop();
            if (childrenDone || operation is IFlowAnonymousFunctionOperation)
            {
                state = apply(operation, state);
                continue;
            }

            stack.Push((operation, true));
            var children = new List<IOperation>(operation.ChildOperations);
            for (var i = children.Count - 1; i >= 0; i--)
            {
                // Pushed in reverse so that the first child is walked first.
                stack.Push((children[i], false));
            }
        }

        return state;
    }
}
