using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.LocksPins;

/// <summary>
/// FL4006: call the release that matches how the pages were taken. <c>PutPage(p)</c> on pinned pages becomes
/// <c>UnpinUserPage(p)</c>, <c>UnpinUserPage(p)</c> on referenced pages becomes <c>PutPage(p)</c>, and
/// <c>UnpinUserPages(pages, n)</c> on referenced pages becomes a <c>PutPage</c> loop over the first <c>n</c>.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(FL4006PinGetMismatchFix))]
[Shared]
public sealed class FL4006PinGetMismatchFix : SequentialFixProvider
{
    public const string MatchingRelease = "FL4006.MatchingRelease";

    protected override string DiagnosticId => Descriptors.FL4006PinGetMismatch.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        if (diagnostic.Properties.TryGetValue(Descriptors.Properties.Release, out var release) && release is not null)
        {
            yield return (release == "PutPage" ? "Release the referenced pages with PutPage" : "Release the pinned pages with UnpinUserPage", MatchingRelease);
        }
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != MatchingRelease
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Release, out var release) || release is null
            || target.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
            || !FixSyntax.IsWellFormed(invocation) || !FixSyntax.HasOnlyPositionalArguments(invocation))
        {
            return null;
        }

        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method)
        {
            return null;
        }

        var arguments = invocation.ArgumentList.Arguments;
        if (method.Name is "PutPage" or "UnpinUserPage" && arguments.Count == 1)
        {
            return FixSyntax.WithMethodName(invocation, release) is { } renamed
                ? document.WithSyntaxRoot(root.ReplaceNode(invocation, renamed))
                : null;
        }

        if (method.Name == "UnpinUserPages" && release == "PutPage" && arguments.Count == 2
            && invocation.Parent is ExpressionStatementSyntax { Parent: BlockSyntax } statement
            && FixSyntax.IsSimpleExpression(arguments[0].Expression) && FixSyntax.IsSimpleExpression(arguments[1].Expression))
        {
            var gup = FixSyntax.TypeName(model, statement.SpanStart, "Gup");
            var index = FixSyntax.UniqueLocalName(model, statement, "i");
            var pages = arguments[0].Expression.ToString();
            var count = arguments[1].Expression.ToString();
            var loop = FixSyntax.ParseStatementLike($"for (long {index} = 0; {index} < {count}; {index}++)\n    {gup}.PutPage({pages}[{index}]);", statement)
                .WithLeadingTrivia(statement.GetLeadingTrivia())
                .WithTrailingTrivia(statement.GetTrailingTrivia());
            return document.WithSyntaxRoot(root.ReplaceNode(statement, loop));
        }

        return null;
    }
}
