using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// The cheap checks every family runs on an operation block before it asks for a control flow graph: is the
/// block code at all, and does its syntax call anything the family cares about (by name, so no binding).
/// </summary>
internal static class PreFilter
{
    /// <summary>Operation blocks that run code: bodies and initializers (not attribute arguments).</summary>
    public static bool IsExecutable(IOperation block) =>
        block is IBlockOperation or IMethodBodyOperation or IConstructorBodyOperation or IFieldInitializerOperation
            or IPropertyInitializerOperation or IParameterInitializerOperation;

    /// <summary>Whether some invocation in <paramref name="blocks"/> is named so that <paramref name="isInteresting"/> accepts it.</summary>
    public static bool MentionsInvocation(ImmutableArray<IOperation> blocks, Func<string, bool> isInteresting, CancellationToken cancellationToken)
    {
        foreach (var block in blocks)
        {
            foreach (var node in block.Syntax.DescendantNodesAndSelf())
            {
                if (node is InvocationExpressionSyntax invocation && isInteresting(NameOf(invocation.Expression)))
                {
                    return true;
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        return false;
    }

    private static string NameOf(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        _ => string.Empty,
    };
}
