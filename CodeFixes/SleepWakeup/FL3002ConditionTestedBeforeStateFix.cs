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
/// FL3002: move the state change before the test. For the loop shape <c>while (notReady) { SetState; ... }</c>
/// (the state change first in the body) it writes the canonical order:
/// <code>
/// for (;;)
/// {
///     SetState;
///     if (ready)
///         break;
///     ...
/// }
/// Sched.SetCurrentState(TaskState.Running);   // or Wait.FinishWait(wq, entry), unless already there
/// </code>
/// For <c>if (notReady) { SetState; ...; Restore; }</c> it moves the state change before the <c>if</c> and the
/// restore (FinishWait of the same entry, or SetCurrentState(Running)) after it; the single sleep that is left is
/// FL3001's to turn into a loop.
/// For an early exit <c>if (ready) return ...;</c> followed (through plain statements) by the state change and
/// <c>Schedule()</c>, it keeps the early test and tests again after the state change: <c>if (!ready) Sched.Schedule();</c>
/// (see <see cref="RecheckBeforeSleepAsync"/>); again the single sleep is then FL3001's.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL3002ConditionTestedBeforeStateFix))]
[Shared]
public sealed class FL3002ConditionTestedBeforeStateFix : SequentialFixProvider
{
    public const string SetStateFirst = "FL3002.SetStateFirst";

    protected override string DiagnosticId => Descriptors.FL3002ConditionTestedBeforeState.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Set the task state first, then test the condition", SetStateFirst);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        var condition = target as ExpressionSyntax ?? (target as ArgumentSyntax)?.Expression;
        if (equivalenceKey != SetStateFirst || condition is null)
        {
            return null;
        }

        if (condition.Parent is IfStatementSyntax { Else: null, Parent: BlockSyntax } early
            && early.Condition == condition && FixSyntax.AlwaysLeaves(early.Statement) && FixSyntax.IsWellFormed(early))
        {
            return await RecheckBeforeSleepAsync(document, early, cancellationToken).ConfigureAwait(false);
        }

        if (condition.Parent is IfStatementSyntax { Else: null, Statement: BlockSyntax { Statements.Count: > 2 }, Parent: BlockSyntax } test
            && test.Condition == condition && FixSyntax.IsWellFormed(test))
        {
            return await HoistOutOfIfAsync(document, test, cancellationToken).ConfigureAwait(false);
        }

        if (condition.Parent is not WhileStatementSyntax { Statement: BlockSyntax { Statements.Count: > 1 } body, Parent: BlockSyntax block } loop
            || loop.Condition != condition || !FixSyntax.IsWellFormed(loop))
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null)
        {
            return null;
        }

        var set = body.Statements[0];
        string restore;
        var position = loop.SpanStart;
        if (SleepFixSyntax.IsCall(set, model, cancellationToken, "Sched", "SetCurrentState"))
        {
            restore = $"{FixSyntax.TypeName(model, position, "Sched")}.SetCurrentState({FixSyntax.TypeName(model, position, "TaskState")}.Running);";
        }
        else if (SleepFixSyntax.IsCall(set, model, cancellationToken, "Wait", "PrepareToWait", "PrepareToWaitExclusive")
            && set is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 3 } prepare })
        {
            var arguments = prepare.ArgumentList.Arguments;
            restore = $"{FixSyntax.TypeName(model, position, "Wait")}.FinishWait({arguments[0].Expression}, {arguments[1].Expression});";
        }
        else
        {
            return null;
        }

        var text = new System.Text.StringBuilder("for (;;)\n{\n");
        text.Append(SleepFixSyntax.Relative(set, "    ")).Append('\n');
        text.Append("    if (").Append(SleepFixSyntax.Negate(condition)).Append(")\n        break;\n");
        for (var i = 1; i < body.Statements.Count; i++)
        {
            text.Append(SleepFixSyntax.Relative(body.Statements[i], "    ")).Append('\n');
        }

        text.Append('}');
        var statements = new List<StatementSyntax>(block.Statements);
        var index = statements.IndexOf(loop);
        statements[index] = FixSyntax.ParseStatementLike(text.ToString(), loop).WithLeadingTrivia(loop.GetLeadingTrivia());

        // Leaving the loop now leaves the state set: undo it after the loop unless the code already does.
        var next = SleepFixSyntax.Next(loop);
        if (!SleepFixSyntax.IsCall(next, model, cancellationToken, "Wait", "FinishWait")
            && !(SleepFixSyntax.IsCall(next, model, cancellationToken, "Sched", "SetCurrentState") && next!.ToString().Contains(".Running")))
        {
            statements.Insert(index + 1, FixSyntax.ParseStatementLike(restore, loop));
        }

        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(statements))));
    }

    /// <summary>
    /// if (ready) return ...; ...; SetState; Schedule();  →  the same with <c>if (!ready) Schedule();</c>: the early test
    /// stays as a fast path, and the condition is tested again once the state is set, so a wakeup between the early
    /// test and the state change is no longer lost (the shape of 8d2afd96c203, case 11: userfaultfd_must_wait() after
    /// queueing). The early test must be the condition itself (re-evaluable, see <see cref="CanRecheck"/>), and only
    /// plain statements (calls, declarations) may stand between it and the sleep.
    /// </summary>
    private static async Task<Document?> RecheckBeforeSleepAsync(Document document, IfStatementSyntax early, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var block = (BlockSyntax)early.Parent!;
        if (model is null || root is null)
        {
            return null;
        }

        // The first state change after the early test, then Schedule(), with nothing that branches in between.
        StatementSyntax? set = null;
        ExpressionStatementSyntax? sleep = null;
        var between = new List<StatementSyntax>();
        for (var i = block.Statements.IndexOf(early) + 1; i < block.Statements.Count && sleep is null; i++)
        {
            var statement = block.Statements[i];
            if (set is not null && SleepFixSyntax.IsCall(statement, model, cancellationToken, "Sched", "Schedule"))
            {
                sleep = (ExpressionStatementSyntax)statement;
            }
            else if (set is null && (SleepFixSyntax.IsCall(statement, model, cancellationToken, "Sched", "SetCurrentState")
                || SleepFixSyntax.IsCall(statement, model, cancellationToken, "Wait", "PrepareToWait", "PrepareToWaitExclusive")))
            {
                set = statement;
            }
            else if (statement is ExpressionStatementSyntax or LocalDeclarationStatementSyntax
                && !SleepFixSyntax.IsCall(statement, model, cancellationToken, "Sched", "SetCurrentState", "Schedule", "ScheduleTimeout")
                && !SleepFixSyntax.IsCall(statement, model, cancellationToken, "Wait", "PrepareToWait", "PrepareToWaitExclusive", "FinishWait"))
            {
                between.Add(statement);
            }
            else
            {
                return null;
            }
        }

        if (sleep is null || !FixSyntax.IsWellFormed(sleep) || !CanRecheck(early.Condition, between, model, cancellationToken))
        {
            return null;
        }

        var text = "if (" + SleepFixSyntax.Negate(early.Condition) + ")\n" + SleepFixSyntax.Relative(sleep, "    ");
        var guarded = FixSyntax.ParseStatementLike(text, sleep).WithLeadingTrivia(sleep.GetLeadingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(sleep, guarded));
    }

    /// <summary>
    /// Whether evaluating <paramref name="condition"/> again later asks the same question of the current state: it
    /// has no side effect of its own (no assignment, increment, allocation or lambda), it reads something that can
    /// change under it (a field, a property, a call), it tests no value-type local directly (a copy taken earlier,
    /// which a second test would only read again; as a call's argument it is an input), and nothing in <paramref name="between"/> writes a local or parameter it reads.
    /// </summary>
    private static bool CanRecheck(ExpressionSyntax condition, IReadOnlyList<StatementSyntax> between, SemanticModel model, CancellationToken cancellationToken)
    {
        var readsShared = false;
        var names = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var node in condition.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case AssignmentExpressionSyntax or AnonymousFunctionExpressionSyntax or BaseObjectCreationExpressionSyntax
                    or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax or AwaitExpressionSyntax
                    or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }
                    or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression }
                    or ArgumentSyntax { RefKindKeyword.RawKind: not (int)SyntaxKind.None }:
                    return false;
                case InvocationExpressionSyntax:
                    readsShared = true;
                    break;
                case IdentifierNameSyntax name:
                    switch (model.GetSymbolInfo(name, cancellationToken).Symbol)
                    {
                        case IFieldSymbol { IsConst: false } or IPropertySymbol:
                            readsShared = true;
                            break;
                        case ILocalSymbol { Type.IsValueType: true } when name.Parent is not ArgumentSyntax:
                            // ready, count == 0: a copy of the state taken earlier, not the state.
                            return false;
                        case ILocalSymbol or IParameterSymbol:
                            names.Add(model.GetSymbolInfo(name, cancellationToken).Symbol!);
                            break;
                    }

                    break;
            }
        }

        if (!readsShared)
        {
            return false;
        }

        foreach (var statement in between)
        {
            foreach (var node in statement.DescendantNodes())
            {
                ExpressionSyntax? target = node switch
                {
                    AssignmentExpressionSyntax assignment => assignment.Left,
                    PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
                    PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand,
                    ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(SyntaxKind.None) => argument.Expression,
                    _ => null,
                };
                if (FixSyntax.Unparenthesize(target) is { } written && model.GetSymbolInfo(written, cancellationToken).Symbol is { } symbol && names.Contains(symbol))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>if (C) { SetState; ...; Restore; }  →  SetState; if (C) { ... } Restore;</summary>
    private static async Task<Document?> HoistOutOfIfAsync(Document document, IfStatementSyntax test, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var body = (BlockSyntax)test.Statement;
        var block = (BlockSyntax)test.Parent!;
        if (model is null || root is null)
        {
            return null;
        }

        var set = body.Statements[0];
        var restore = body.Statements[body.Statements.Count - 1];
        if (!Undoes(set, restore, model, cancellationToken))
        {
            return null;
        }

        var hoisted = FixSyntax.ParseStatementLike(set.WithoutTrivia().ToString(), test);
        var after = FixSyntax.ParseStatementLike(restore.WithoutTrivia().ToString(), test);
        var remaining = body.Statements.RemoveAt(body.Statements.Count - 1).RemoveAt(0);
        var newTest = test.WithStatement(body.WithStatements(remaining));
        var statements = new List<StatementSyntax>(block.Statements);
        var index = statements.IndexOf(test);
        statements[index] = newTest.WithLeadingTrivia(SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(FixSyntax.IndentationOf(test))));
        statements.Insert(index + 1, after);
        statements.Insert(index, hoisted.WithLeadingTrivia(test.GetLeadingTrivia()));
        return document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(statements))));
    }

    /// <summary>Whether <paramref name="restore"/> undoes <paramref name="set"/>: FinishWait of the same entry, or SetCurrentState(Running).</summary>
    private static bool Undoes(StatementSyntax set, StatementSyntax restore, SemanticModel model, CancellationToken cancellationToken)
    {
        if (set is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax setCall }
            || restore is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax restoreCall })
        {
            return false;
        }

        if (SleepFixSyntax.Calls(setCall, model, "Sched", cancellationToken, "SetCurrentState"))
        {
            return SleepFixSyntax.Calls(restoreCall, model, "Sched", cancellationToken, "SetCurrentState")
                && restoreCall.ArgumentList.Arguments.Count == 1
                && restoreCall.ArgumentList.Arguments[0].Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Running" };
        }

        return SleepFixSyntax.Calls(setCall, model, "Wait", cancellationToken, "PrepareToWait", "PrepareToWaitExclusive")
            && SleepFixSyntax.Calls(restoreCall, model, "Wait", cancellationToken, "FinishWait")
            && setCall.ArgumentList.Arguments.Count == 3 && restoreCall.ArgumentList.Arguments.Count == 2
            && setCall.ArgumentList.Arguments[0].Expression.IsEquivalentTo(restoreCall.ArgumentList.Arguments[0].Expression)
            && setCall.ArgumentList.Arguments[1].Expression.IsEquivalentTo(restoreCall.ArgumentList.Arguments[1].Expression);
    }
}
