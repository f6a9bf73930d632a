using System.Collections.Generic;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.SleepWakeup;

/// <summary>
/// FL3004: right before the <c>Schedule()</c> of the wait loop, leave on a pending signal with -ERESTARTSYS, undoing
/// the wait first as <c>___wait_event</c> does: <c>Wait.FinishWait(wq, entry)</c> for each entry the loop prepares,
/// else <c>Sched.SetCurrentState(TaskState.Running)</c>. Tests <c>SignalPending</c> for an Interruptible sleep and
/// <c>FatalSignalPending</c> for a Killable one. Offered in functions that return an errno (<c>int</c>/<c>long</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL3004WaitLoopIgnoresSignalsFix))]
[Shared]
public sealed class FL3004WaitLoopIgnoresSignalsFix : SequentialFixProvider
{
    public const string LeaveOnSignal = "FL3004.LeaveOnSignal";

    protected override string DiagnosticId => Descriptors.FL3004WaitLoopIgnoresSignals.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Leave the wait with -ERESTARTSYS when a signal is pending", LeaveOnSignal);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != LeaveOnSignal || SleepFixSyntax.Invocation(target) is not { } invocation || !FixSyntax.IsWellFormed(invocation)
            || SleepFixSyntax.OwnStatement(invocation) is not { Parent: BlockSyntax } statement
            || SleepFixSyntax.EnclosingLoop(statement) is not { } loop)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null
            || !SleepFixSyntax.Calls(invocation, model, "Sched", cancellationToken, "Schedule", "ScheduleTimeout")
            || !FixSyntax.ReturnsErrno(FixSyntax.ReturnTypeOfEnclosingFunction(loop, model, cancellationToken)))
        {
            return null;
        }

        var position = invocation.SpanStart;
        var killable = diagnostic.Properties.TryGetValue(Descriptors.Properties.SleepState, out var state) && state == "Killable";
        var text = SleepFixSyntax.LeaveOnSignal(killable, Undo(loop, model, position, cancellationToken), model, position);
        var check = FixSyntax.ParseStatementLike(text, statement);
        return document.WithSyntaxRoot(root.InsertNodesBefore(statement, new[] { check }));
    }

    /// <summary>What to undo before leaving: FinishWait for each entry the loop prepares, else the state back to Running.</summary>
    private static List<string> Undo(StatementSyntax loop, SemanticModel model, int position, CancellationToken cancellationToken)
    {
        var undo = new List<string>();
        var wait = FixSyntax.TypeName(model, position, "Wait");
        foreach (var call in loop.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (call.ArgumentList.Arguments.Count == 3
                && SleepFixSyntax.Calls(call, model, "Wait", cancellationToken, "PrepareToWait", "PrepareToWaitExclusive"))
            {
                var text = $"{wait}.FinishWait({call.ArgumentList.Arguments[0].Expression}, {call.ArgumentList.Arguments[1].Expression});";
                if (!undo.Contains(text))
                {
                    undo.Add(text);
                }
            }
        }

        if (undo.Count == 0)
        {
            undo.Add($"{FixSyntax.TypeName(model, position, "Sched")}.SetCurrentState({FixSyntax.TypeName(model, position, "TaskState")}.Running);");
        }

        return undo;
    }
}
