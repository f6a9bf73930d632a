using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.FaultHandlers;

/// <summary>
/// FL2002: return Sigbus where retry is not allowed — the returned Retry becomes
/// <c>(vmf.Flags &amp; FaultFlags.AllowRetry) != 0 ? VmFaultResult.Retry : VmFaultResult.Sigbus</c> (rule 34: without
/// AllowRetry a handler blocks holding the lock or fails the fault). Also in lambda and expression-bodied handlers.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL2002RetryWithoutAllowRetryFix))]
[Shared]
public sealed class FL2002RetryWithoutAllowRetryFix : SequentialFixProvider
{
    public const string SigbusWithoutAllowRetry = "FL2002.SigbusWithoutAllowRetry";

    protected override string DiagnosticId => Descriptors.FL2002RetryWithoutAllowRetry.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Return Sigbus when AllowRetry is not set", SigbusWithoutAllowRetry);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (equivalenceKey != SigbusWithoutAllowRetry || model is null || root is null
            || target is not ExpressionSyntax retry || !FixSyntax.IsWellFormed(retry)
            || HandlerFixFacts.HandlerOf(target, model, cancellationToken) is not { Vmf: { } vmf })
        {
            return null;
        }

        var flags = FixSyntax.TypeName(model, retry.SpanStart, "FaultFlags");
        var result = FixSyntax.TypeName(model, retry.SpanStart, "VmFaultResult");
        var whenTrue = retry is MemberAccessExpressionSyntax or IdentifierNameSyntax or ParenthesizedExpressionSyntax
            ? retry.WithoutTrivia().ToString()
            : "(" + retry.WithoutTrivia() + ")";
        var text = $"({vmf}.Flags & {flags}.AllowRetry) != 0 ? {whenTrue} : {result}.Sigbus";
        if (retry.Parent is not (ReturnStatementSyntax or ArrowExpressionClauseSyntax) && !IsLambdaBody(retry))
        {
            text = "(" + text + ")";
        }

        var replacement = SyntaxFactory.ParseExpression(text).WithTriviaFrom(retry);
        return document.WithSyntaxRoot(root.ReplaceNode(retry, replacement));
    }

    /// <summary>The whole expression body of a lambda handler (<c>vmf =&gt; VmFaultResult.Retry</c>): no parentheses needed.</summary>
    private static bool IsLambdaBody(ExpressionSyntax expression) =>
        expression.Parent is AnonymousFunctionExpressionSyntax lambda && lambda.ExpressionBody == expression;
}
