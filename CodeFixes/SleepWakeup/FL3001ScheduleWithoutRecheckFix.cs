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

namespace FaultLine.CodeFixes.SleepWakeup;

/// <summary>
/// FL3001: turn the single sleep into the canonical loop (rule 40). The shape it rewrites is the common one: the
/// state change, then <c>if (notReady) Sched.Schedule();</c>:
/// <code>
/// for (;;)
/// {
///     Wait.PrepareToWait(wq, entry, state);   // or Sched.SetCurrentState(state)
///     if (ready)
///         break;
///     Sched.Schedule();
/// }
/// </code>
/// What followed (FinishWait, SetCurrentState(Running)) stays after the loop. An Interruptible or Killable loop
/// also leaves on a pending signal (<c>SignalPending</c> / <c>FatalSignalPending</c>) right before its
/// <c>Schedule()</c>, undoing the wait as the code after it does and returning -ERESTARTSYS, as FL3004's fix writes
/// it; when the function returns no errno or that undo cannot be told, the loop is not offered (it would spin once a
/// signal is pending).
/// <para>
/// When the wait is <c>PrepareToWait(wq, entry, TaskState.Uninterruptible)</c>, <c>if (notReady) Schedule();</c>,
/// <c>FinishWait(wq, entry)</c> and the condition is a simple expression (names, member reads, comparisons,
/// literals, <c>!</c>, <c>&amp;&amp;</c>, <c>||</c>), a second action replaces the three with
/// <c>Wait.Event(wq, () =&gt; ready);</c>. Interruptible and killable waits are left to the loop: their
/// <c>Wait.Event*</c> forms return -ERESTARTSYS, which the single sleep had nowhere to put.
/// </para>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL3001ScheduleWithoutRecheckFix))]
[Shared]
public sealed class FL3001ScheduleWithoutRecheckFix : SequentialFixProvider
{
    public const string Loop = "FL3001.Loop";

    public const string WaitEvent = "FL3001.WaitEvent";

    protected override string DiagnosticId => Descriptors.FL3001ScheduleWithoutRecheck.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Sleep in a loop that rechecks the condition", Loop);
        yield return ("Use Wait.Event", WaitEvent);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey is not (Loop or WaitEvent) || SleepFixSyntax.Invocation(target) is not { } invocation || !FixSyntax.IsWellFormed(invocation)
            || SleepFixSyntax.OwnStatement(invocation) is not { } sleep)
        {
            return null;
        }

        // if (notReady) Sched.Schedule();  (or { Sched.Schedule(); }), no else, right after the state change.
        var test = sleep.Parent as IfStatementSyntax ?? (sleep.Parent as BlockSyntax)?.Parent as IfStatementSyntax;
        if (test is not { Else: null, Parent: BlockSyntax block } || SleepFixSyntax.Single(test.Statement) != sleep)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var index = block.Statements.IndexOf(test);
        if (model is null || root is null || index < 1)
        {
            return null;
        }

        var set = block.Statements[index - 1];
        if (!SleepFixSyntax.IsCall(set, model, cancellationToken, "Sched", "SetCurrentState")
            && !SleepFixSyntax.IsCall(set, model, cancellationToken, "Wait", "PrepareToWait", "PrepareToWaitExclusive"))
        {
            return null;
        }

        if (equivalenceKey == WaitEvent)
        {
            return WithWaitEvent(document, root, block, index, test, model, cancellationToken);
        }

        if (SignalExit(set, test, sleep, model, cancellationToken) is not { } exit)
        {
            return null;
        }

        var text = "for (;;)\n{\n"
            + SleepFixSyntax.Relative(set, "    ") + "\n"
            + "    if (" + SleepFixSyntax.Negate(test.Condition) + ")\n"
            + "        break;\n"
            + exit
            + CommentsAbove(test, sleep)
            + SleepFixSyntax.Relative(sleep, "    ") + "\n"
            + "}";
        var loop = FixSyntax.ParseStatementLike(text, set).WithLeadingTrivia(set.GetLeadingTrivia());
        var statements = new List<StatementSyntax>(block.Statements);
        statements.RemoveAt(index);
        statements[index - 1] = loop;
        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(statements))));
    }

    /// <summary>
    /// The signal exit the loop needs before its <c>Schedule()</c> (rules 40, 45): none for an Uninterruptible sleep
    /// (empty text); for Interruptible / Killable, <see cref="SleepFixSyntax.LeaveOnSignal"/> undoing what is pending
    /// as the code after the sleep does (FinishWait, SetCurrentState(Running), RemoveWaitQueue). Null — no loop — when
    /// the state is not a known constant, the function returns no errno, or the undo cannot be told.
    /// </summary>
    private static string? SignalExit(StatementSyntax set, IfStatementSyntax test, StatementSyntax sleep, SemanticModel model, CancellationToken cancellationToken)
    {
        if (set is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments } }
            || model.GetConstantValue(arguments[arguments.Count - 1].Expression, cancellationToken) is not { HasValue: true, Value: int state })
        {
            return null;
        }

        bool killable;
        switch ((TaskStateValue)state)
        {
            case TaskStateValue.Uninterruptible:
                return string.Empty;
            case TaskStateValue.Interruptible:
                killable = false;
                break;
            case TaskStateValue.Killable:
                killable = true;
                break;
            default:
                return null;
        }

        if (!FixSyntax.ReturnsErrno(FixSyntax.ReturnTypeOfEnclosingFunction(test, model, cancellationToken))
            || PendingWaitUndo.Before(test, model, cancellationToken) is not { Count: > 0 } undo)
        {
            return null;
        }

        var exit = SleepFixSyntax.LeaveOnSignal(killable, undo, model, sleep.SpanStart);
        return string.Concat(exit.Split('\n').Select(line => "    " + line + "\n"));
    }

    /// <summary>FaultLine.TaskState's values (Runtime/Flags.cs): the fix reads the state argument as a constant.</summary>
    private enum TaskStateValue
    {
        Interruptible = 0x1,
        Uninterruptible = 0x2,
        Killable = 0x100 | Uninterruptible,
    }

    /// <summary>
    /// The comment lines written above the <c>if</c> and above the sleep, one level into the new loop and above its
    /// <c>Schedule()</c> (what they describe), so that the comments on the sleep survive the rewrite.
    /// </summary>
    private static string CommentsAbove(IfStatementSyntax test, StatementSyntax sleep)
    {
        var text = new System.Text.StringBuilder();
        foreach (var trivia in test.GetLeadingTrivia().Concat(sleep.GetLeadingTrivia()))
        {
            if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia))
            {
                text.Append("    ").Append(trivia.ToString()).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>PrepareToWait(Uninterruptible) + if (notReady) Schedule() + FinishWait → Wait.Event(wq, () =&gt; ready).</summary>
    private static Document? WithWaitEvent(Document document, SyntaxNode root, BlockSyntax block, int index, IfStatementSyntax test, SemanticModel model, CancellationToken cancellationToken)
    {
        var statements = block.Statements;
        if (index + 1 >= statements.Count
            || statements[index - 1] is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 3 } prepare } prepareCall }
            || !SleepFixSyntax.Calls(prepareCall, model, "Wait", cancellationToken, "PrepareToWait")
            || prepare[2].Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Uninterruptible" }
            || statements[index + 1] is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 2 } finish } finishCall }
            || !SleepFixSyntax.Calls(finishCall, model, "Wait", cancellationToken, "FinishWait")
            || !finish[0].Expression.IsEquivalentTo(prepare[0].Expression)
            || !finish[1].Expression.IsEquivalentTo(prepare[1].Expression)
            || !IsSimple(test.Condition))
        {
            return null;
        }

        var wait = FixSyntax.TypeName(model, test.SpanStart, "Wait");
        var call = $"{wait}.Event({prepare[0].Expression}, () => {SleepFixSyntax.Negate(test.Condition)});";
        var replacement = FixSyntax.ParseStatementLike(call, statements[index - 1]).WithLeadingTrivia(statements[index - 1].GetLeadingTrivia());
        var list = new List<StatementSyntax>(statements);
        list.RemoveRange(index - 1, 3);
        list.Insert(index - 1, replacement);
        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(list))));
    }

    /// <summary>A condition a lambda can re-evaluate freely: no calls, assignments or increments.</summary>
    private static bool IsSimple(ExpressionSyntax condition)
    {
        foreach (var node in condition.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case IdentifierNameSyntax or MemberAccessExpressionSyntax or LiteralExpressionSyntax or ParenthesizedExpressionSyntax
                    or ThisExpressionSyntax or PredefinedTypeSyntax:
                    continue;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression }:
                    continue;
                case BinaryExpressionSyntax binary when binary.Kind() is SyntaxKind.EqualsExpression or SyntaxKind.NotEqualsExpression
                    or SyntaxKind.LessThanExpression or SyntaxKind.LessThanOrEqualExpression or SyntaxKind.GreaterThanExpression
                    or SyntaxKind.GreaterThanOrEqualExpression or SyntaxKind.LogicalAndExpression or SyntaxKind.LogicalOrExpression:
                    continue;
                default:
                    return false;
            }
        }

        return true;
    }
}
