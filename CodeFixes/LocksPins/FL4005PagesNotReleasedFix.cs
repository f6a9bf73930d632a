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

namespace FaultLine.CodeFixes.LocksPins;

/// <summary>
/// FL4005: release the pages the GUP call took before the error return, guarded by <c>if (ret &gt; 0)</c> (a negative
/// result took nothing, and UnpinUserPages warns on a negative count): <c>Gup.UnpinUserPages(pages, ret)</c> for Pin*,
/// a <c>PutPage</c> loop over the first <c>ret</c> pages for Get*. A return that is the only statement of an
/// <c>if</c>/<c>else</c> gets braces; a return behind a label (a kernel-style error label) keeps the label on the
/// release. Not offered when the path already releases with a wrong count (it would release twice).
/// <para>
/// When the return hands back the count itself (<c>return ret;</c>) and is reached only where the count was found
/// short (<c>if (ret != n) return ret;</c>, or every <c>goto</c> to its label is under such a test), the positive
/// count would reach the caller as if it were an error code; as the kpc2000 fix did (SEMANTICS.md §2 case 21) the
/// return becomes <c>return ret &lt; 0 ? ret : -Errno.EFAULT;</c>.
/// </para>
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

        // return ret;  on a short-count path  →  return ret < 0 ? ret : -Errno.EFAULT;
        var returned = statement;
        if (ShortCountPaths.ReturnsShortCount(statement, facts.Count, model, cancellationToken))
        {
            var errno = FixSyntax.TypeName(model, statement.SpanStart, "Errno");
            var value = SyntaxFactory.ParseExpression($"{facts.Count} < 0 ? {facts.Count} : -{errno}.EFAULT")
                .WithTriviaFrom(statement.Expression!);
            returned = statement.WithExpression(value);
        }

        switch (statement.Parent)
        {
            case BlockSyntax:
                var inserted = FixSyntax.ParseStatementLike(release, statement);
                return document.WithSyntaxRoot(root.ReplaceNode(statement, new[] { inserted, returned }));

            case LabeledStatementSyntax { Parent: BlockSyntax } labeled:
                // ErrGetUserPages: return ret;  →  ErrGetUserPages: if (ret > 0) release; return ...;  (the label stays
                // on the first statement of the error path, so every goto still releases).
                var first = FixSyntax.ParseStatementLike(release, statement).WithLeadingTrivia(statement.GetLeadingTrivia());
                var replacement = new StatementSyntax[] { labeled.WithStatement(first), WithOwnLine(returned, statement) };
                return document.WithSyntaxRoot(root.ReplaceNode(labeled, replacement));

            case IfStatementSyntax or ElseClauseSyntax:
                // if (...) return -EFAULT;  →  if (...) { release; return -EFAULT; }
                var owner = statement.Parent is ElseClauseSyntax { Parent: IfStatementSyntax elseOf } ? elseOf : statement.Parent;
                var unit = "    ";
                var indentation = FixSyntax.IndentationOf(owner);
                var text = "{\n" + Indent(release) + "\n    " + returned.WithoutTrivia().ToFullString() + "\n}";
                var block = FixSyntax.ParseStatement(text, indentation, unit, FixSyntax.EndOfLine(statement))
                    .WithTrailingTrivia(statement.GetTrailingTrivia());
                return document.WithSyntaxRoot(root.ReplaceNode(statement, block));

            default:
                return null;
        }
    }

    /// <summary>The (possibly rewritten) return on a line of its own, indented like the original return.</summary>
    private static StatementSyntax WithOwnLine(ReturnStatementSyntax returned, ReturnStatementSyntax original) =>
        returned.WithLeadingTrivia(SyntaxFactory.Whitespace(FixSyntax.IndentationOf(original)));

    private static string Indent(string text) => "    " + text.Replace("\n", "\n    ");
}
