using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.GupCallers;

/// <summary>
/// FL1006: make <c>locked</c> true before the ...Locked call.
/// <list type="bullet">
/// <item>Definitely false (<c>bool locked = false;</c>): declare it <c>true</c> when nothing else touches it before the
/// call in the same block, otherwise set <c>locked = true;</c> right before the call.</item>
/// <item>Possibly cleared by an earlier ...Locked call that dropped the lock: re-take the lock and set it,
/// <c>if (!locked) { mm.MmapReadLock(); locked = true; }</c> — setting the flag alone would claim a lock not held.</item>
/// </list>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1006LockedNotTrueFix))]
[Shared]
public sealed class FL1006LockedNotTrueFix : SequentialFixProvider
{
    public const string SetLocked = "FL1006.SetLocked";

    protected override string DiagnosticId => Descriptors.FL1006LockedNotTrue.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedLocal, out var local);
        diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedState, out var state);
        if (local is null)
        {
            yield break;
        }

        yield return state == "cleared"
            ? ($"Re-take the mmap lock and set '{local}' when it was dropped", SetLocked)
            : ($"Set '{local}' to true before the call", SetLocked);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != SetLocked
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedLocal, out var local) || local is null
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedState, out var state)
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Method, out var method)
            || target.FirstAncestorOrSelf<ArgumentSyntax>() is not { } argument
            || !argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword) || !FixSyntax.IsName(argument.Expression, local)
            || GupFixFacts.InvocationAt(argument) is not { } invocation)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !GupFixFacts.IsGupCall(invocation, method, model, cancellationToken)
            || FixSyntax.StatementInBlock(invocation) is not { Parent: BlockSyntax block } statement
            || !RunsOnceBeforeCall(statement, invocation))
        {
            return null;
        }

        if (state == "false")
        {
            if (FalseDeclaration(block, statement, local) is { } literal)
            {
                var trueLiteral = SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression).WithTriviaFrom(literal);
                return document.WithSyntaxRoot(root.ReplaceNode(literal, trueLiteral));
            }

            var set = FixSyntax.ParseStatementLike($"{local} = true;", statement);
            return document.WithSyntaxRoot(root.InsertNodesBefore(statement, new[] { set }));
        }

        if (state == "cleared")
        {
            if (!FixSyntax.HasOnlyPositionalArguments(invocation) || invocation.ArgumentList.Arguments.Count == 0)
            {
                return null;
            }

            var mm = invocation.ArgumentList.Arguments[0].Expression;
            if (!FixSyntax.IsSimpleExpression(mm))
            {
                return null;
            }

            var retake = FixSyntax.ParseStatementLike(
                $"if (!{local})\n{{\n    {mm}.MmapReadLock();\n    {local} = true;\n}}",
                statement);
            return document.WithSyntaxRoot(root.InsertNodesBefore(statement, new[] { retake }));
        }

        return null;
    }

    /// <summary>
    /// Code placed before <paramref name="statement"/> runs once right before the call: the call is the statement's
    /// expression, its initializer, its returned value or its <c>if</c> condition (not a loop condition or a branch).
    /// </summary>
    private static bool RunsOnceBeforeCall(StatementSyntax statement, InvocationExpressionSyntax invocation) => statement switch
    {
        ExpressionStatementSyntax or LocalDeclarationStatementSyntax or ReturnStatementSyntax => !InConditionalPart(invocation, statement),
        IfStatementSyntax ifStatement => ifStatement.Condition.Span.Contains(invocation.Span) && !InConditionalPart(invocation, ifStatement.Condition),
        _ => false,
    };

    /// <summary>Whether the call sits where it may not run: a <c>?:</c> branch, the right of <c>&amp;&amp;</c>/<c>||</c>/<c>??</c>.</summary>
    private static bool InConditionalPart(SyntaxNode invocation, SyntaxNode container)
    {
        for (var child = invocation; child.Parent is { } parent && child != container; child = parent)
        {
            switch (parent)
            {
                case ConditionalExpressionSyntax conditional when child != conditional.Condition:
                case BinaryExpressionSyntax binary when child == binary.Right
                    && binary.Kind() is SyntaxKind.LogicalAndExpression or SyntaxKind.LogicalOrExpression or SyntaxKind.CoalesceExpression:
                case ConditionalAccessExpressionSyntax access when child == access.WhenNotNull:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The <c>false</c> of <c>bool local = false;</c> declared earlier in the same block, when no statement between
    /// the declaration and the call mentions the local.
    /// </summary>
    private static LiteralExpressionSyntax? FalseDeclaration(BlockSyntax block, StatementSyntax statement, string local)
    {
        var index = block.Statements.IndexOf(statement);
        for (var i = index - 1; i >= 0; i--)
        {
            var earlier = block.Statements[i];
            if (earlier is LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables }
                && variables[0].Identifier.ValueText == local)
            {
                return variables[0].Initializer?.Value is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.FalseLiteralExpression } literal ? literal : null;
            }

            if (earlier.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == local))
            {
                return null;
            }
        }

        return null;
    }
}
