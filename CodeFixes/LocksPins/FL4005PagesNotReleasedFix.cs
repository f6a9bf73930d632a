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
/// FL4005: release the pages the GUP call took before the error return, guarded by <c>if (ret &gt; 0)</c> (a negative
/// result took nothing, and UnpinUserPages warns on a negative count): <c>Gup.UnpinUserPages(pages, ret)</c> for Pin*,
/// a <c>PutPage</c> loop over the first <c>ret</c> pages for Get*. A return that is the only statement of an
/// <c>if</c>/<c>else</c> gets braces. Not offered when the path already releases with a wrong count (it would release twice).
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(FL4005PagesNotReleasedFix))]
[Shared]
public sealed class FL4005PagesNotReleasedFix : SequentialFixProvider
{
    public const string ReleaseBeforeReturn = "FL4005.ReleaseBeforeReturn";

    protected override string DiagnosticId => Descriptors.FL4005PagesNotReleased.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        if (Read(diagnostic) is { } facts)
        {
            yield return ($"Release the '{facts.Count}' pages of '{facts.Pages}' before returning", ReleaseBeforeReturn);
        }
    }

    private static (string Pages, string Count, bool Pins)? Read(Diagnostic diagnostic)
    {
        diagnostic.Properties.TryGetValue(Descriptors.Properties.Pages, out var pages);
        diagnostic.Properties.TryGetValue(Descriptors.Properties.CountLocal, out var count);
        diagnostic.Properties.TryGetValue(Descriptors.Properties.Release, out var release);
        return pages is null || count is null || release is null ? null : (pages, count, release == "UnpinUserPages");
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != ReleaseBeforeReturn || Read(diagnostic) is not { } facts
            || target.FirstAncestorOrSelf<ReturnStatementSyntax>() is not { } statement || !FixSyntax.IsWellFormed(statement))
        {
            return null;
        }

        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return null;
        }

        var gup = FixSyntax.TypeName(model, statement.SpanStart, "Gup");
        string release;
        if (facts.Pins)
        {
            release = $"if ({facts.Count} > 0)\n    {gup}.UnpinUserPages({facts.Pages}, {facts.Count});";
        }
        else
        {
            var index = FixSyntax.UniqueLocalName(model, statement, "i");
            release = $"if ({facts.Count} > 0)\n{{\n    for (long {index} = 0; {index} < {facts.Count}; {index}++)\n        {gup}.PutPage({facts.Pages}[{index}]);\n}}";
        }

        switch (statement.Parent)
        {
            case BlockSyntax:
                var inserted = FixSyntax.ParseStatementLike(release, statement);
                return document.WithSyntaxRoot(root.InsertNodesBefore(statement, new[] { inserted }));

            case IfStatementSyntax or ElseClauseSyntax:
                // if (...) return -EFAULT;  →  if (...) { release; return -EFAULT; }
                var owner = statement.Parent is ElseClauseSyntax { Parent: IfStatementSyntax elseOf } ? elseOf : statement.Parent;
                var unit = "    ";
                var indentation = FixSyntax.IndentationOf(owner);
                var text = "{\n" + Indent(release) + "\n    " + statement.WithoutTrivia().ToFullString() + "\n}";
                var block = FixSyntax.ParseStatement(text, indentation, unit, FixSyntax.EndOfLine(statement))
                    .WithTrailingTrivia(statement.GetTrailingTrivia());
                return document.WithSyntaxRoot(root.ReplaceNode(statement, block));

            default:
                return null;
        }
    }

    private static string Indent(string text) => "    " + text.Replace("\n", "\n    ");
}
