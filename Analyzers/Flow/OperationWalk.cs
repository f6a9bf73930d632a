using System;
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
        return Visit(root, state, apply);
    }

    private static TState Visit<TState>(IOperation operation, TState state, Func<IOperation, TState, TState> apply)
        where TState : class
    {
        if (operation is not IFlowAnonymousFunctionOperation)
        {
            foreach (var child in operation.ChildOperations)
            {
                state = Visit(child, state, apply);
            }
        }

        return apply(operation, state);
    }
}
