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
/// FL3005: when the wait loop is followed by its restore (<c>Wait.FinishWait(wq, entry);</c> for the entry the
/// diagnostic names, or <c>Sched.SetCurrentState(TaskState.Running);</c>), move the restore into a <c>finally</c>
/// around the loop, so the return or throw that leaves the loop early runs it too.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL3005StateNotRestoredFix))]
[Shared]
public sealed class FL3005StateNotRestoredFix : SequentialFixProvider
{
    public const string RestoreInFinally = "FL3005.RestoreInFinally";

    protected override string DiagnosticId => Descriptors.FL3005StateNotRestored.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Undo the wait in a finally around the loop", RestoreInFinally);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != RestoreInFinally || SleepFixSyntax.Invocation(target) is not { } invocation || !FixSyntax.IsWellFormed(invocation)
            || SleepFixSyntax.EnclosingLoop(invocation) is not { Parent: BlockSyntax block } loop
            || SleepFixSyntax.Next(loop) is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax restoreCall } restore)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !Restores(restoreCall, diagnostic, model, cancellationToken))
        {
            return null;
        }

        var text = "try\n{\n" + SleepFixSyntax.Relative(loop, "    ") + "\n}\nfinally\n{\n" + SleepFixSyntax.Relative(restore, "    ") + "\n}";
        var wrapped = FixSyntax.ParseStatementLike(text, loop).WithLeadingTrivia(loop.GetLeadingTrivia());
        var statements = new List<StatementSyntax>(block.Statements);
        var index = statements.IndexOf(loop);
        statements.RemoveAt(index + 1);
        statements[index] = wrapped;
        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(statements))));
    }

    /// <summary>The statement after the loop undoes what the diagnostic names.</summary>
    private static bool Restores(InvocationExpressionSyntax call, Diagnostic diagnostic, SemanticModel model, CancellationToken cancellationToken)
    {
        diagnostic.Properties.TryGetValue(Descriptors.Properties.WaitQueue, out var queue);
        diagnostic.Properties.TryGetValue(Descriptors.Properties.WaitEntry, out var entry);
        if (queue is not null && entry is not null)
        {
            return call.ArgumentList.Arguments.Count == 2
                && SleepFixSyntax.Calls(call, model, "Wait", cancellationToken, "FinishWait")
                && call.ArgumentList.Arguments[0].Expression.ToString() == queue
                && call.ArgumentList.Arguments[1].Expression.ToString() == entry;
        }

        return call.ArgumentList.Arguments.Count == 1
            && SleepFixSyntax.Calls(call, model, "Sched", cancellationToken, "SetCurrentState")
            && call.ArgumentList.Arguments[0].Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Running" };
    }
}
