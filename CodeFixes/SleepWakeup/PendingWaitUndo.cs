using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.SleepWakeup;

/// <summary>
/// What a fix must undo on a return it adds in the middle of a wait (rules 40-46): the wait entries queued
/// (<c>AddWaitQueue</c>, <c>PrepareToWait</c>) and the sleep state set (<c>SetCurrentState</c>, <c>PrepareToWait</c>)
/// before that point and not yet undone. The undo is the code's own cleanup after the point —
/// <c>RemoveWaitQueue</c>, <c>FinishWait</c>, <c>SetCurrentState(Running)</c> — copied in the order it is written
/// there, so the new return leaves the task as the normal path does.
/// </summary>
internal static class PendingWaitUndo
{
    /// <summary>
    /// The statements (text, one per entry) to run before a return placed right before <paramref name="point"/>:
    /// empty when nothing is pending there; null when the fix cannot tell — a wait call in a branch, loop or try
    /// around or before the point, or pending work the code after the point never undoes in plain statements.
    /// </summary>
    public static List<string>? Before(StatementSyntax point, SemanticModel model, CancellationToken cancellationToken)
    {
        if (Levels(point, model, cancellationToken) is not { } levels)
        {
            return null;
        }

        // What is pending at the point: the statements before it, outermost block first (execution order).
        var waits = new List<string>();
        var state = false;
        for (var level = levels.Count - 1; level >= 0; level--)
        {
            var (block, index) = levels[level];
            for (var i = 0; i < index; i++)
            {
                var statement = block.Statements[i];
                if (LeavesOnItsOwn(statement, model, cancellationToken))
                {
                    continue;
                }

                var call = Classify(statement, model, cancellationToken);
                switch (call.Kind)
                {
                    case CallKind.None:
                        continue;
                    case CallKind.Unknown:
                        return null;
                    case CallKind.AddWait:
                        waits.Add(call.Key!);
                        break;
                    case CallKind.Prepare:
                        waits.Add(call.Key!);
                        state = true;
                        break;
                    case CallKind.RemoveWait:
                        waits.Remove(call.Key!);
                        break;
                    case CallKind.Finish:
                        waits.Remove(call.Key!);
                        state = false;
                        break;
                    case CallKind.SetState:
                        state = true;
                        break;
                    case CallKind.SetRunning:
                    case CallKind.Schedule:
                        // schedule() returns with the task Running.
                        state = false;
                        break;
                }
            }
        }

        var undo = new List<string>();
        if (waits.Count == 0 && !state)
        {
            return undo;
        }

        // The cleanup the code does after the point, innermost block first (execution order).
        for (var level = 0; level < levels.Count; level++)
        {
            var (block, index) = levels[level];
            for (var i = index + 1; i < block.Statements.Count; i++)
            {
                var statement = block.Statements[i];
                if (OnlySleeps(statement, model, cancellationToken) || LeavesOnItsOwn(statement, model, cancellationToken))
                {
                    // The sleep the new return skips (if (mustWait) Schedule();), or an early exit with its own undo
                    // (one this fix added before): the cleanup after them is still the undo.
                    continue;
                }

                var call = Classify(statement, model, cancellationToken);
                switch (call.Kind)
                {
                    case CallKind.None when statement is ReturnStatementSyntax or ThrowStatementSyntax:
                        return null;
                    case CallKind.None:
                        continue;
                    case CallKind.RemoveWait when waits.Remove(call.Key!):
                        undo.Add(Text(statement));
                        break;
                    case CallKind.Finish when waits.Remove(call.Key!):
                        undo.Add(Text(statement));
                        state = false;
                        break;
                    case CallKind.SetRunning when state:
                        undo.Add(Text(statement));
                        state = false;
                        break;
                    default:
                        // More waiting, or a cleanup of something not pending: not a plain undo to copy.
                        return null;
                }

                if (waits.Count == 0 && !state)
                {
                    return undo;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The blocks from <paramref name="point"/> up to the function body, innermost first, with the index of the
    /// statement on the way; null when the way crosses anything but a block or an <c>if</c> holding a wait call
    /// (a loop's earlier turns, a <c>finally</c> that cleans up, a <c>case</c>: not plain statements before and after).
    /// </summary>
    private static List<(BlockSyntax Block, int Index)>? Levels(StatementSyntax point, SemanticModel model, CancellationToken cancellationToken)
    {
        var levels = new List<(BlockSyntax, int)>();
        SyntaxNode current = point;
        while (current.Parent is { } parent)
        {
            switch (parent)
            {
                case BlockSyntax block:
                    levels.Add((block, block.Statements.IndexOf((StatementSyntax)current)));
                    if (block.Parent is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
                    {
                        return levels;
                    }

                    break;
                case IfStatementSyntax or ElseClauseSyntax:
                    break;
                case BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax
                    or MemberDeclarationSyntax:
                    return null;
                default:
                    if (parent is StatementSyntax or SwitchSectionSyntax or CatchClauseSyntax or FinallyClauseSyntax
                        && HasWaitCall(parent, model, cancellationToken))
                    {
                        return null;
                    }

                    break;
            }

            current = parent;
        }

        return null;
    }

    private enum CallKind
    {
        None,
        Unknown,
        AddWait,
        Prepare,
        RemoveWait,
        Finish,
        SetState,
        SetRunning,
        Schedule,
    }

    /// <summary>What a statement does to the wait: a plain call, or Unknown for a compound statement holding one.</summary>
    private static (CallKind Kind, string? Key) Classify(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken)
    {
        if (statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call })
        {
            var kind = KindOf(call, model, cancellationToken);
            var arguments = call.ArgumentList.Arguments;
            var key = arguments.Count >= 2 ? Normalize(arguments[0].Expression) + "," + Normalize(arguments[1].Expression) : null;
            switch (kind)
            {
                case CallKind.AddWait or CallKind.RemoveWait or CallKind.Finish when arguments.Count == 2:
                case CallKind.Prepare when arguments.Count == 3:
                    return (kind, key);
                case CallKind.SetState when arguments.Count == 1:
                    return (IsRunning(arguments[0].Expression) ? CallKind.SetRunning : CallKind.SetState, null);
                case CallKind.Schedule:
                    return (kind, null);
                case CallKind.None when !HasWaitCall(call, model, cancellationToken):
                    return (CallKind.None, null);
                default:
                    return (CallKind.Unknown, null);
            }
        }

        return HasWaitCall(statement, model, cancellationToken) ? (CallKind.Unknown, null) : (CallKind.None, null);
    }

    private static CallKind KindOf(InvocationExpressionSyntax call, SemanticModel model, CancellationToken cancellationToken)
    {
        if (SleepFixSyntax.Calls(call, model, "Wait", cancellationToken, "AddWaitQueue", "AddWaitQueueExclusive"))
        {
            return CallKind.AddWait;
        }

        if (SleepFixSyntax.Calls(call, model, "Wait", cancellationToken, "PrepareToWait", "PrepareToWaitExclusive"))
        {
            return CallKind.Prepare;
        }

        if (SleepFixSyntax.Calls(call, model, "Wait", cancellationToken, "RemoveWaitQueue"))
        {
            return CallKind.RemoveWait;
        }

        if (SleepFixSyntax.Calls(call, model, "Wait", cancellationToken, "FinishWait"))
        {
            return CallKind.Finish;
        }

        if (SleepFixSyntax.Calls(call, model, "Sched", cancellationToken, "SetCurrentState"))
        {
            return CallKind.SetState;
        }

        if (SleepFixSyntax.Calls(call, model, "Sched", cancellationToken, "Schedule", "ScheduleTimeout"))
        {
            return CallKind.Schedule;
        }

        return CallKind.None;
    }

    /// <summary>
    /// <c>if (c) { ...; return x; }</c> with no else and no wait call in <c>c</c>: what its body does to the wait is
    /// on a path that leaves, not on the one through the point (an early exit, like the ones these fixes add).
    /// </summary>
    private static bool LeavesOnItsOwn(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken) =>
        statement is IfStatementSyntax { Else: null } early
        && FixSyntax.AlwaysLeaves(early.Statement)
        && !HasWaitCall(early.Condition, model, cancellationToken);

    /// <summary>Whether the wait calls in <paramref name="statement"/> are all Schedule (at least one).</summary>
    private static bool OnlySleeps(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken)
    {
        var any = false;
        foreach (var call in statement.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
        {
            switch (KindOf(call, model, cancellationToken))
            {
                case CallKind.None:
                    continue;
                case CallKind.Schedule:
                    any = true;
                    continue;
                default:
                    return false;
            }
        }

        return any;
    }

    private static bool HasWaitCall(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken) =>
        node.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(call => KindOf(call, model, cancellationToken) != CallKind.None);

    private static bool IsRunning(ExpressionSyntax state) => state switch
    {
        MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Running" } => true,
        IdentifierNameSyntax { Identifier.ValueText: "Running" } => true,
        _ => false,
    };

    private static string Normalize(ExpressionSyntax expression) =>
        string.Concat(expression.ToString().Where(c => !char.IsWhiteSpace(c)));

    private static string Text(StatementSyntax statement) => statement.WithoutLeadingTrivia().WithoutTrailingTrivia().ToString();
}
