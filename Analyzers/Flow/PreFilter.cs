using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// The cheap checks every family runs on a code block before it binds it and asks for a control flow graph: does its
/// syntax call anything the family cares about (by name, so no binding), or hold a lambda that may be a handler.
/// </summary>
internal static class PreFilter
{
    /// <summary>Whether some invocation under <paramref name="codeBlock"/> is named so that <paramref name="isInteresting"/> accepts it.</summary>
    public static bool MentionsInvocation(SyntaxNode codeBlock, Func<string, bool> isInteresting)
    {
        foreach (var name in FactsOf(codeBlock).InvokedNames)
        {
            if (isInteresting(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="codeBlock"/> contains a lambda or anonymous method (which may be a fault handler).</summary>
    public static bool HasAnonymousFunction(SyntaxNode codeBlock) => FactsOf(codeBlock).HasAnonymousFunction;

    /// <summary>
    /// Every family asks about every code block, so its syntax is walked once and the answers kept as long as the
    /// syntax node lives (syntax facts: safe to share across compilations).
    /// </summary>
    private static SyntaxFacts FactsOf(SyntaxNode node) => Cache.GetValue(node, Collect);

    private static readonly ConditionalWeakTable<SyntaxNode, SyntaxFacts> Cache = new();

    private static readonly ConditionalWeakTable<SyntaxNode, SyntaxFacts>.CreateValueCallback Collect = node =>
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hasAnonymousFunction = false;
        foreach (var descendant in node.DescendantNodesAndSelf())
        {
            if (descendant is InvocationExpressionSyntax invocation)
            {
                names.Add(NameOf(invocation.Expression));
            }
            else if (descendant is AnonymousFunctionExpressionSyntax)
            {
                hasAnonymousFunction = true;
            }
        }

        var array = new string[names.Count];
        names.CopyTo(array);
        return new SyntaxFacts(array, hasAnonymousFunction);
    };

    private static string NameOf(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        _ => string.Empty,
    };

    private sealed class SyntaxFacts
    {
        public SyntaxFacts(string[] invokedNames, bool hasAnonymousFunction)
        {
            InvokedNames = invokedNames;
            HasAnonymousFunction = hasAnonymousFunction;
        }

        public string[] InvokedNames { get; }

        public bool HasAnonymousFunction { get; }
    }
}
