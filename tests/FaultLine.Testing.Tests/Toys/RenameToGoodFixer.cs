using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>Fixes TOY001 by renaming "Bad..." to "Good..." (first action) or "Fine..." (second action); Fix All via the batch fixer.</summary>
public sealed class RenameToGoodFixer : CodeFixProvider
{
    public const string GoodKey = "RenameToGood";
    public const string FineKey = "RenameToFine";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(BadIdentifierAnalyzer.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create("Rename to Good", token => RenameFixes.RenameDeclarationAsync(context.Document, diagnostic, name => RenameFixes.ReplaceBad(name, "Good"), token), GoodKey),
                diagnostic);
            context.RegisterCodeFix(
                CodeAction.Create("Rename to Fine", token => RenameFixes.RenameDeclarationAsync(context.Document, diagnostic, name => RenameFixes.ReplaceBad(name, "Fine"), token), FineKey),
                diagnostic);
        }

        return Task.CompletedTask;
    }
}
