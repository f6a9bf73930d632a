using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// Fixes TOY001 like <see cref="RenameToGoodFixer"/>, but its Fix All fixes only the first diagnostic of each
/// document, so Fix All needs several passes where one is expected.
/// </summary>
public sealed class FirstOnlyFixAllFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(BadIdentifierAnalyzer.Id);

    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var first = diagnostics.OrderBy(diagnostic => diagnostic.Location.SourceSpan.Start).First();
        return await RenameFixes.RenameDeclarationAsync(document, first, name => RenameFixes.ReplaceBad(name, "Good"), context.CancellationToken).ConfigureAwait(false);
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
