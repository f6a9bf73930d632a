using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace FaultLine.CodeFixes.Common;

/// <summary>
/// A fix provider whose actions are computed up front (a fix is offered only when it can be built) and whose Fix
/// All applies the fixes of one document one after the other on the updated document. Merging independent text
/// edits (the batch fixer) would give two fixes in one method the same new local name, or insert the same check
/// twice; applying them in turn lets each see what the previous one wrote. The node each diagnostic is on is
/// marked with an annotation first, so it is found again after the earlier edits.
/// </summary>
public abstract class SequentialFixProvider : CodeFixProvider
{
    /// <summary>The diagnostic the provider fixes.</summary>
    protected abstract string DiagnosticId { get; }

    /// <inheritdoc/>
    public sealed override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(DiagnosticId);

    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

    /// <summary>The actions that may apply to <paramref name="diagnostic"/>: title and equivalence key.</summary>
    protected abstract IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic);

    /// <summary>
    /// Applies the action <paramref name="equivalenceKey"/> at <paramref name="target"/> (the innermost node at the
    /// diagnostic's span), or returns null when it does not apply there.
    /// </summary>
    protected abstract Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!root.FullSpan.Contains(diagnostic.Location.SourceSpan))
            {
                continue;
            }

            var target = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            foreach (var (title, key) in Candidates(diagnostic))
            {
                var fixedDocument = await ApplyAsync(context.Document, target, diagnostic, key, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(fixedDocument), key), diagnostic);
                }
            }
        }
    }

    private async Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
    {
        var key = context.CodeActionEquivalenceKey;
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || key is null)
        {
            return null;
        }

        var marks = new Dictionary<SyntaxNode, (SyntaxAnnotation Mark, Diagnostic Diagnostic)>();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (!root.FullSpan.Contains(diagnostic.Location.SourceSpan))
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (!marks.ContainsKey(node))
            {
                marks[node] = (new SyntaxAnnotation(), diagnostic);
            }
        }

        if (marks.Count == 0)
        {
            return null;
        }

        var ordered = marks.OrderBy(pair => pair.Key.SpanStart).Select(pair => pair.Value).ToList();
        root = root.ReplaceNodes(marks.Keys, (original, rewritten) => rewritten.WithAdditionalAnnotations(marks[original].Mark));
        var current = document.WithSyntaxRoot(root);
        var changed = false;
        foreach (var (mark, diagnostic) in ordered)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var currentRoot = await current.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            var target = currentRoot?.GetAnnotatedNodes(mark).FirstOrDefault();
            if (target is null)
            {
                continue;
            }

            var next = await ApplyAsync(current, target, diagnostic, key, context.CancellationToken).ConfigureAwait(false);
            if (next is not null)
            {
                current = next;
                changed = true;
            }
        }

        return changed ? current : null;
    }
}
