using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.SleepWakeup;

/// <summary>
/// FL3003: set the sleeping state right before the <c>Schedule()</c>: <c>Sched.SetCurrentState(TaskState.X);</c>,
/// with the state the method uses elsewhere (Uninterruptible when it uses none). A <c>Schedule()</c> that is the
/// body of a <c>while</c>/<c>if</c> gets a block around the two statements.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(FL3003ScheduleWhileRunningFix))]
[Shared]
public sealed class FL3003ScheduleWhileRunningFix : SequentialFixProvider
{
    public const string SetState = "FL3003.SetState";

    protected override string DiagnosticId => Descriptors.FL3003ScheduleWhileRunning.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Set TaskState." + State(diagnostic) + " before sleeping", SetState);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != SetState || SleepFixSyntax.Invocation(target) is not { } invocation || !FixSyntax.IsWellFormed(invocation)
            || SleepFixSyntax.OwnStatement(invocation) is not { } statement)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !SleepFixSyntax.Calls(invocation, model, "Sched", cancellationToken, "Schedule", "ScheduleTimeout"))
        {
            return null;
        }

        var sched = FixSyntax.TypeName(model, invocation.SpanStart, "Sched");
        var taskState = FixSyntax.TypeName(model, invocation.SpanStart, "TaskState");
        var setState = $"{sched}.SetCurrentState({taskState}.{State(diagnostic)});";

        if (statement.Parent is BlockSyntax)
        {
            return document.WithSyntaxRoot(root.InsertNodesBefore(statement, new[] { FixSyntax.ParseStatementLike(setState, statement) }));
        }

        if (SleepFixSyntax.IsEmbedded(statement) && SleepFixSyntax.Owner(statement) is { } owner)
        {
            // while (!done) Sched.Schedule();  →  while (!done) { SetCurrentState(...); Sched.Schedule(); }
            var sleep = statement.WithoutLeadingTrivia().WithoutTrailingTrivia().ToString();
            var block = FixSyntax.ParseStatement(
                "{\n    " + setState + "\n    " + sleep + "\n}",
                FixSyntax.IndentationOf(owner),
                FixSyntax.IndentUnit(owner),
                FixSyntax.EndOfLine(statement));
            return document.WithSyntaxRoot(root.ReplaceNode(statement, block));
        }

        return null;
    }

    private static string State(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(Descriptors.Properties.SleepState, out var state) && state is "Interruptible" or "Killable" or "Uninterruptible"
            ? state!
            : "Uninterruptible";
}
