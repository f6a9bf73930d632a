using System.Collections.Immutable;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// A broken fix for TOY001 on <c>int Bad = 3 * 4;</c>: renames to Good and puts <c>1 + 2</c> under the <c>*</c> as a
/// tree node without parentheses. The text reads <c>1 + 2 * 4</c>, which parses as <c>1 + (2 * 4)</c>: the tree does not
/// round-trip.
/// </summary>
public sealed class DroppedParenthesesFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(BadIdentifierAnalyzer.Id);

    public override FixAllProvider? GetFixAllProvider() => null;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(CodeAction.Create("Rewrite", token => RewriteAsync(context.Document, diagnostic, token), "Rewrite"), diagnostic);
        }

        return Task.CompletedTask;
    }

    private static async Task<Document> RewriteAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var declarator = root!.FindToken(diagnostic.Location.SourceSpan.Start).Parent as VariableDeclaratorSyntax;
        if (declarator?.Initializer?.Value is not BinaryExpressionSyntax product)
        {
            return document;
        }

        var sum = SyntaxFactory.BinaryExpression(
            SyntaxKind.AddExpression,
            SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(1)),
            SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(2)));
        var rewritten = declarator
            .WithIdentifier(SyntaxFactory.Identifier(declarator.Identifier.LeadingTrivia, "Good", declarator.Identifier.TrailingTrivia))
            .WithInitializer(declarator.Initializer.WithValue(product.WithLeft(sum)));
        return document.WithSyntaxRoot(root.ReplaceNode(declarator, rewritten));
    }
}
