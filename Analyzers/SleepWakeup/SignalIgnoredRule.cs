using System.Collections.Generic;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3004 (rule 45, case 8): a loop that calls Schedule()/ScheduleTimeout() in an Interruptible or Killable state the
/// method set, and never tests for a signal that state lets in: any signal (<c>SignalPending</c>,
/// <c>Signals.*Pending</c>, a helper that tests one, the result of an interruptible or killable wait or lock) for
/// Interruptible; <c>FatalSignalPending</c> is enough for Killable only. With such a signal pending Schedule()
/// returns at once, so the loop spins. Silent for Uninterruptible sleeps and states we cannot read.
/// </summary>
internal sealed class SignalIgnoredRule : ISleepRule
{
    public void Analyze(SleepMethodFacts facts, Reporter reporter)
    {
        if (facts.Loops.IsEmpty)
        {
            return;
        }

        foreach (var (invocation, kind, before) in facts.Calls)
        {
            var wakes = before.States & TaskStateBits.SignalWakes;
            if (kind is not (SleepCallKind.Schedule or SleepCallKind.ScheduleTimeout) || wakes == 0 || facts.BlockOf(invocation) is not { } block)
            {
                continue;
            }

            foreach (var loop in facts.Loops)
            {
                if (!loop.Contains(block))
                {
                    continue;
                }

                var check = StrongestCheck(loop, facts);
                string? what = null;
                if (check == SignalCheck.None)
                {
                    what = "never checks for a pending signal";
                }
                else if (check == SignalCheck.Fatal && (wakes & TaskStateBits.Interruptible) != 0)
                {
                    what = "checks only for fatal signals, but any signal wakes a TaskState.Interruptible sleep";
                }

                if (what is null)
                {
                    continue;
                }

                var state = (wakes & TaskStateBits.Interruptible) != 0 ? "Interruptible" : "Killable";
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL3004WaitLoopIgnoresSignals,
                    invocation.Syntax.GetLocation(),
                    FlagText.Properties((Descriptors.Properties.SleepState, state)),
                    TaskStateNames.Describe(wakes),
                    what,
                    "Sched." + invocation.TargetMethod.Name + "()"));
                break;
            }
        }
    }

    /// <summary>The strongest signal test anywhere in the loop's blocks.</summary>
    private static SignalCheck StrongestCheck(Loop loop, SleepMethodFacts facts)
    {
        var strongest = SignalCheck.None;
        foreach (var ordinal in loop.Body)
        {
            var block = facts.Graph.Blocks[ordinal];
            foreach (var root in Roots(block))
            {
                var pending = new Stack<IOperation>();
                pending.Push(root);
                while (pending.Count > 0)
                {
                    var operation = pending.Pop();
                    if (operation is IFlowAnonymousFunctionOperation)
                    {
                        continue;
                    }

                    var check = CheckOf(operation, facts);
                    if (check == SignalCheck.Any)
                    {
                        return SignalCheck.Any;
                    }

                    if (check == SignalCheck.Fatal)
                    {
                        strongest = SignalCheck.Fatal;
                    }

                    foreach (var child in operation.ChildOperations)
                    {
                        pending.Push(child);
                    }
                }
            }
        }

        return strongest;
    }

    private static IEnumerable<IOperation> Roots(BasicBlock block)
    {
        foreach (var operation in block.Operations)
        {
            yield return operation;
        }

        if (block.BranchValue is not null)
        {
            yield return block.BranchValue;
        }
    }

    private static SignalCheck CheckOf(IOperation operation, SleepMethodFacts facts)
    {
        var direct = SleepKeys.SignalCheckKindOf(operation, facts.Symbols);
        if (direct != SignalCheck.None || operation is not IInvocationOperation invocation)
        {
            return direct;
        }

        var method = invocation.TargetMethod;
        if (facts.Summaries.CanRead(method, facts.Scope) && facts.Summaries.ChecksSignals(method, facts.Scope))
        {
            return SignalCheck.Any;
        }

        // An interruptible or killable wait or lock reports the signal in its result (-ERESTARTSYS, -EINTR):
        // a loop that looks at that result has its way out. (In the graph a discarded call is a root: no parent.)
        if (facts.Symbols.HasMaySleep(method)
            && method.ReturnType.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
            && (method.Name.Contains("Interruptible") || method.Name.Contains("Killable"))
            && invocation.Parent is not null)
        {
            return method.Name.Contains("Interruptible") ? SignalCheck.Any : SignalCheck.Fatal;
        }

        return SignalCheck.None;
    }
}
