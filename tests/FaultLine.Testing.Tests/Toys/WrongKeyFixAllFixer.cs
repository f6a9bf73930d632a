using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// Fixes TOY001 like <see cref="RenameToGoodFixer"/> one at a time, but its Fix All ignores the chosen action and
/// renames everything to "Fine..." — a Fix All whose result differs from fixing one by one.
/// </summary>
public sealed class WrongKeyFixAllFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(BadIdentifierAnalyzer.Id);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        foreach (var diagnostic in diagnostics.OrderByDescending(diagnostic => diagnostic.Location.SourceSpan.Start))
        {
            document = await RenameFixes.RenameDeclarationAsync(document, diagnostic, name => RenameFixes.ReplaceBad(name, "Fine"), context.CancellationToken).ConfigureAwait(false);
        }

        return document;
    });

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create("Rename to Good", token => RenameFixes.RenameDeclarationAsync(context.Document, diagnostic, name => RenameFixes.ReplaceBad(name, "Good"), token), RenameToGoodFixer.GoodKey),
                diagnostic);
        }

        return Task.CompletedTask;
    }
}
