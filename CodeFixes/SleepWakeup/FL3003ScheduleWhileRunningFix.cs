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
/// FL3003: set the sleeping state right before the <c>Schedule()</c>: <c>Sched.SetCurrentState(TaskState.X);</c>,
/// with the state the method uses elsewhere (Uninterruptible when it uses none). Offered only where that alone is
/// a correct sleep: the sleep runs unconditionally (no loop, <c>if</c>, <c>switch</c>, <c>try</c> or <c>goto</c>
/// around it in its function; otherwise the condition that decides it would be tested before the new state,
/// FL3002) and something re-evaluates afterwards (a <c>ScheduleTimeout</c>, which needs no condition, or a fault
/// handler whose every later return is <c>Retry</c>; otherwise nothing rechecks, FL3001). Elsewhere the fix is a
/// rewrite into a wait loop that the code's author must shape (<c>Wait.Event*</c>), so it declines.
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

        if (statement.Parent is not BlockSyntax || !RunsUnconditionally(statement))
        {
            return null;
        }

        var timed = SleepFixSyntax.Calls(invocation, model, "Sched", cancellationToken, "ScheduleTimeout");
        if (!timed && !HandsBackToCaller(statement, model, cancellationToken))
        {
            return null;
        }

        return document.WithSyntaxRoot(root.InsertNodesBefore(statement, new[] { FixSyntax.ParseStatementLike(setState, statement) }));
    }

    /// <summary>
    /// Whether only plain blocks lie between <paramref name="statement"/> and its function's body, and the function
    /// has no <c>goto</c>: then no condition decides whether the sleep runs, and no path comes round to it again.
    /// </summary>
    private static bool RunsUnconditionally(StatementSyntax statement)
    {
        for (SyntaxNode? node = statement.Parent; node is not null; node = node.Parent)
        {
            if (node is BlockSyntax)
            {
                continue;
            }

            return IsFunction(node) && !node.DescendantNodes(n => n == node || !IsFunction(n)).OfType<GotoStatementSyntax>().Any();
        }

        return false;
    }

    private static bool IsFunction(SyntaxNode node) =>
        node is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax;

    /// <summary>
    /// Whether the function returns <c>VmFaultResult</c> and every return after <paramref name="statement"/> (at
    /// least one) names <c>VmFaultResult.Retry</c>: the fault is retried, which tests everything again (FL3001's
    /// own exemption).
    /// </summary>
    private static bool HandsBackToCaller(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken)
    {
        if (FixSyntax.ReturnTypeOfEnclosingFunction(statement, model, cancellationToken) is not { Name: "VmFaultResult", ContainingNamespace.Name: "FaultLine" }
            || statement.Ancestors().FirstOrDefault(IsFunction) is not { } function)
        {
            return false;
        }

        var returns = function.DescendantNodes(n => n == function || !IsFunction(n)).OfType<ReturnStatementSyntax>()
            .Where(r => r.SpanStart > statement.Span.End)
            .ToList();
        return returns.Count > 0 && returns.All(r => r.Expression is { } value && NamesRetry(value, model, cancellationToken));
    }

    private static bool NamesRetry(ExpressionSyntax value, SemanticModel model, CancellationToken cancellationToken) =>
        value.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(name =>
            name.Identifier.ValueText == "Retry"
            && model.GetSymbolInfo(name, cancellationToken).Symbol is IFieldSymbol { ContainingType.Name: "VmFaultResult" });

    private static string State(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(Descriptors.Properties.SleepState, out var state) && state is "Interruptible" or "Killable" or "Uninterruptible"
            ? state!
            : "Uninterruptible";
}
