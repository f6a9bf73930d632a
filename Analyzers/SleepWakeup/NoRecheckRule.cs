using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3001 (rules 43-44, cases 11 and 14): a <c>Schedule()</c> that is not inside a loop, after which the method
/// returns. Silent when every return reachable after it hands the decision back to a caller that re-evaluates
/// everything: a method returning <c>VmFaultResult</c> whose returns there are <c>Retry</c> (today's
/// handle_userfault), or a value we cannot read. Also silent for <c>ScheduleTimeout</c> (a timed sleep needs no
/// condition), where only throws follow, and where the task is Running anyway (FL3003 says so).
/// </summary>
internal sealed class NoRecheckRule : ISleepRule
{
    public void Analyze(SleepMethodFacts facts, Reporter reporter)
    {
        foreach (var (invocation, kind, before) in facts.Calls)
        {
            if (kind != SleepCallKind.Schedule
                || ScheduleWhileRunningRule.IsRunningEverywhere(before.States)
                || (before.States & Flow.Lattices.TaskStateBits.Sleeping) == 0
                || facts.BlockOf(invocation) is not { } block
                || InLoop(block, facts))
            {
                continue;
            }

            if (HandsBackToCaller(block, facts))
            {
                continue;
            }

            reporter.Report(Diagnostic.Create(Descriptors.FL3001ScheduleWithoutRecheck, invocation.Syntax.GetLocation()));
        }
    }

    private static bool InLoop(BasicBlock block, SleepMethodFacts facts)
    {
        foreach (var loop in facts.Loops)
        {
            if (loop.Contains(block))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every return after the sleep is a <c>VmFaultResult</c> with Retry set, or a value we cannot read; or there is none.</summary>
    private static bool HandsBackToCaller(BasicBlock block, SleepMethodFacts facts)
    {
        var returnsFaultResult = facts.Method is { } method && facts.Symbols.VmFaultResult is { } faultResult
            && SymbolEqualityComparer.Default.Equals(method.ReturnType, faultResult);
        foreach (var exit in facts.ExitsReachableFrom(block))
        {
            if (exit.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow)
            {
                continue;
            }

            if (!returnsFaultResult)
            {
                return false;
            }

            var value = exit.Source.BranchValue is { } returned ? facts.Index.Origin(returned) : null;
            if (value is null)
            {
                return false;
            }

            if (!value.ConstantValue.HasValue || value.ConstantValue.Value is null)
            {
                // A value computed at run time: we cannot tell, so we trust it.
                continue;
            }

            if (value.ConstantValue.Value is not (int or long or uint or short or byte) || facts.Symbols.Retry is not { } retry
                || (System.Convert.ToInt64(value.ConstantValue.Value, System.Globalization.CultureInfo.InvariantCulture) & retry) == 0)
            {
                return false;
            }
        }

        return true;
    }
}
