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

namespace FaultLine.CodeFixes.SleepWakeup;

/// <summary>
/// FL3007: take the sleeping lock (or do the wait) before the state is set, as handle_userfault takes
/// hugetlb_vma_lock_read before set_current_state: the <c>lock.Lock();</c> statement moves up in its block to just
/// before the <c>SetCurrentState</c>/<c>PrepareToWait</c> statement, and before the spinlock and queueing calls that
/// lead up to it (a sleeping lock must not be taken under the spinlock either, FL3006). Offered when the blocking
/// call is a statement of its own in the same block as the state change.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL3007BlockingAfterStateSetFix))]
[Shared]
public sealed class FL3007BlockingAfterStateSetFix : SequentialFixProvider
{
    public const string TakeFirst = "FL3007.TakeFirst";

    protected override string DiagnosticId => Descriptors.FL3007BlockingAfterStateSet.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Take it before setting the task state", TakeFirst);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != TakeFirst || SleepFixSyntax.Invocation(target) is not { } invocation || !FixSyntax.IsWellFormed(invocation)
            || SleepFixSyntax.OwnStatement(invocation) is not { Parent: BlockSyntax block } moved)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null)
        {
            return null;
        }

        var statements = block.Statements;
        var movedIndex = statements.IndexOf(moved);
        var setIndex = -1;
        for (var i = movedIndex - 1; i >= 0; i--)
        {
            if (IsCall(statements[i], model, cancellationToken, "Sched", "SetCurrentState")
                || IsCall(statements[i], model, cancellationToken, "Wait", "PrepareToWait", "PrepareToWaitExclusive"))
            {
                setIndex = i;
                break;
            }
        }

        if (setIndex < 0)
        {
            return null;
        }

        // Before the spinlock and the queueing that lead up to the state change, too.
        var targetIndex = setIndex;
        while (targetIndex > 0
            && (IsCall(statements[targetIndex - 1], model, cancellationToken, "KSpinLock", "Lock")
                || IsCall(statements[targetIndex - 1], model, cancellationToken, "Wait", "AddWaitQueue")))
        {
            targetIndex--;
        }

        var anchor = statements[targetIndex];
        var list = new List<StatementSyntax>(statements);
        list.RemoveAt(movedIndex);
        if (movedIndex < list.Count && OnlyWhitespace(list[movedIndex].GetLeadingTrivia()))
        {
            // The blank line or comment above the moved statement stays where it was.
            list[movedIndex] = list[movedIndex].WithLeadingTrivia(moved.GetLeadingTrivia());
        }

        var indentation = SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(FixSyntax.IndentationOf(anchor)));
        list[targetIndex] = anchor.WithLeadingTrivia(indentation);
        list.Insert(targetIndex, moved.WithLeadingTrivia(anchor.GetLeadingTrivia()).WithTrailingTrivia(moved.GetTrailingTrivia()));
        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(list))));
    }

    private static bool IsCall(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken, string type, params string[] names) =>
        statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call }
        && SleepFixSyntax.Calls(call, model, type, cancellationToken, names);

    private static bool OnlyWhitespace(SyntaxTriviaList trivia)
    {
        foreach (var item in trivia)
        {
            if (!item.IsKind(SyntaxKind.WhitespaceTrivia))
            {
                return false;
            }
        }

        return true;
    }
}
