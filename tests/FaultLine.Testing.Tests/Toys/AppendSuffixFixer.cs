using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>A broken fix for TOY001: appends "X", so the name still starts with "Bad" and is flagged again — no fixed point.</summary>
public sealed class AppendSuffixFixer : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(BadIdentifierAnalyzer.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            context.RegisterCodeFix(
                CodeAction.Create("Append X", token => RenameFixes.RenameDeclarationAsync(context.Document, diagnostic, name => name + "X", token), "AppendX"),
                diagnostic);
        }

        return Task.CompletedTask;
    }
}
