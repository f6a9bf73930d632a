using System.Collections.Generic;
using System.Linq;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3002 (rule 43, case 11): a <c>Schedule()</c> reached from a SetCurrentState/PrepareToWait with no test of a
/// condition in between, where a test made before that state change decided whether to sleep (one way leads to
/// the Schedule(), the other returns without it). A wakeup between that test and the state change is lost.
/// Silent when: some condition is tested between the state change and Schedule() on every path; the deciding test
/// and the state change are both made under one KSpinLock (the waker takes it too, rule 43); the only tests before
/// are argument checks that throw, signal tests, or tests of the fault/GUP flags.
/// </summary>
internal sealed class LostWakeupRule : ISleepRule
{
    public void Analyze(SleepMethodFacts facts, Reporter reporter)
    {
        foreach (var (invocation, kind, before) in facts.Calls)
        {
            if (kind != SleepCallKind.Schedule || before.UntestedSets.IsEmpty || facts.BlockOf(invocation) is not { } sleepBlock)
            {
                continue;
            }

            foreach (var site in before.UntestedSets.OrderBy(s => s.Syntax.SpanStart))
            {
                if (facts.BlockOf(site) is not { } setBlock || !SetState(facts, site, out var setState))
                {
                    continue;
                }

                var test = DecidingTest(facts, setBlock, sleepBlock, setState);
                if (test?.BranchValue is not { } condition)
                {
                    continue;
                }

                var written = AsWritten(condition.Syntax);
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL3002ConditionTestedBeforeState,
                    written.GetLocation(),
                    new[] { site.Syntax.GetLocation() },
                    written.ToString(),
                    SleepText.CallName(site)));
                break;
            }
        }
    }

    /// <summary>The graph folds <c>!</c> into the branch; report the condition as the code writes it.</summary>
    private static SyntaxNode AsWritten(SyntaxNode condition)
    {
        var node = condition;
        while (node.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.ParenthesizedExpressionSyntax
            or Microsoft.CodeAnalysis.CSharp.Syntax.PrefixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.LogicalNotExpression })
        {
            node = node.Parent;
        }

        return node;
    }

    private static bool SetState(SleepMethodFacts facts, IInvocationOperation site, out Flow.Lattices.TaskStateState state)
    {
        foreach (var call in facts.Calls)
        {
            if (call.Invocation == site)
            {
                state = call.Before;
                return true;
            }
        }

        state = Flow.Lattices.TaskStateState.Unreached;
        return false;
    }

    /// <summary>
    /// A block that tests a (non-signal) condition, can reach the state change, and splits: one successor reaches
    /// the sleep, the other cannot and leaves the method other than by a throw.
    /// </summary>
    private static BasicBlock? DecidingTest(SleepMethodFacts facts, BasicBlock setBlock, BasicBlock sleepBlock, Flow.Lattices.TaskStateState atSet)
    {
        // The test nearest before the state change first: that is the one the reader thinks of as the check.
        foreach (var pair in facts.AtCondition.OrderBy(p => p.Key.Ordinal < setBlock.Ordinal ? 0 : 1).ThenByDescending(p => p.Key.Ordinal))
        {
            var test = pair.Key;
            if (test.Ordinal == setBlock.Ordinal || test.BranchValue is not { } condition
                || !SleepKeys.IsWakeConditionTest(condition, facts.Symbols)
                || test.FallThroughSuccessor?.Destination is not { } first
                || test.ConditionalSuccessor?.Destination is not { } second
                || !facts.CanReach(test, setBlock))
            {
                continue;
            }

            // Serialised by one lock: test and state change under the same KSpinLock.
            if (pair.Value.HeldSpinLocks.Intersect(atSet.HeldSpinLocks).Any())
            {
                continue;
            }

            var firstSleeps = facts.CanReach(first, sleepBlock);
            var secondSleeps = facts.CanReach(second, sleepBlock);
            if (firstSleeps == secondSleeps)
            {
                continue;
            }

            var avoiding = firstSleeps ? second : first;
            if (LeavesWithoutThrow(facts, avoiding))
            {
                return test;
            }
        }

        return null;
    }

    private static bool LeavesWithoutThrow(SleepMethodFacts facts, BasicBlock from)
    {
        foreach (var exit in facts.ExitsReachableFrom(from))
        {
            if (exit.Semantics is not (ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow))
            {
                return true;
            }
        }

        return from.Kind == BasicBlockKind.Exit;
    }
}
