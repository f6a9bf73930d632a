using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
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
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var name in InvokedNames(block.Syntax))
            {
                if (isInteresting(name))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether some invocation under <paramref name="codeBlock"/> is named so that <paramref name="isInteresting"/> accepts it.</summary>
    public static bool MentionsInvocation(SyntaxNode codeBlock, Func<string, bool> isInteresting)
    {
        foreach (var name in InvokedNames(codeBlock))
        {
            if (isInteresting(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="codeBlock"/> contains a lambda or anonymous method (which may be a fault handler).</summary>
    public static bool HasAnonymousFunction(SyntaxNode codeBlock)
    {
        foreach (var node in codeBlock.DescendantNodes())
        {
            if (node is AnonymousFunctionExpressionSyntax)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The simple names invoked under <paramref name="node"/>. Every family asks about every body, so the walk is
    /// done once per body and kept as long as the syntax node lives (a syntax fact: safe across compilations).
    /// </summary>
    private static string[] InvokedNames(SyntaxNode node) => NamesCache.GetValue(node, CollectNames);

    private static readonly ConditionalWeakTable<SyntaxNode, string[]> NamesCache = new();

    private static readonly ConditionalWeakTable<SyntaxNode, string[]>.CreateValueCallback CollectNames = node =>
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var descendant in node.DescendantNodesAndSelf())
        {
            if (descendant is InvocationExpressionSyntax invocation)
            {
                names.Add(NameOf(invocation.Expression));
            }
        }

        var array = new string[names.Count];
        names.CopyTo(array);
        return array;
    };

    private static string NameOf(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        _ => string.Empty,
    };
}
