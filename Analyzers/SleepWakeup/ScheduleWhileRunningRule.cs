using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3003: <c>Schedule()</c>/<c>ScheduleTimeout()</c> where the task is Running on every path: the state was never
/// set, or a sleeping lock, FinishWait or an earlier Schedule() put it back (rules 43, 46). Silent when some path may
/// carry a state the caller set (a helper entered with its caller's state) without the method itself having made it
/// Running, or when a helper we cannot read may have set it.
/// </summary>
internal sealed class ScheduleWhileRunningRule : ISleepRule
{
    public void Analyze(SleepMethodFacts facts, Reporter reporter)
    {
        foreach (var (invocation, kind, before) in facts.Calls)
        {
            if (kind is not (SleepCallKind.Schedule or SleepCallKind.ScheduleTimeout) || !IsRunningEverywhere(before.States))
            {
                continue;
            }

            var why = (before.States & TaskStateBits.Entry) != 0 ? " once it has been round the loop" : string.Empty;
            reporter.Report(Diagnostic.Create(
                Descriptors.FL3003ScheduleWhileRunning,
                invocation.Syntax.GetLocation(),
                FlagText.Properties((Descriptors.Properties.SleepState, StateUsedElsewhere(facts))),
                "Sched." + invocation.TargetMethod.Name + "()",
                why));
        }
    }

    /// <summary>
    /// Running on every path, and really Running: known Running, possibly joined with the caller's state only
    /// when the method itself made it Running on another path (a loop around Schedule() that never sets it).
    /// </summary>
    internal static bool IsRunningEverywhere(TaskStateBits states) =>
        (states & TaskStateBits.Running) != 0 && (states & ~(TaskStateBits.Running | TaskStateBits.Entry)) == 0;

    /// <summary>The sleeping state the method sets elsewhere (for the fix), else <c>Uninterruptible</c>.</summary>
    private static string StateUsedElsewhere(SleepMethodFacts facts)
    {
        foreach (var (invocation, kind, _) in facts.Calls)
        {
            var ordinal = kind switch
            {
                SleepCallKind.SetCurrentState => 0,
                SleepCallKind.PrepareToWait => 2,
                _ => -1,
            };
            if (ordinal < 0 || SleepKeys.Argument(invocation, ordinal) is not { } argument)
            {
                continue;
            }

            var value = facts.Index.Origin(argument);
            var bits = value.ConstantValue.HasValue ? facts.Symbols.StateOf(value.ConstantValue.Value) : TaskStateBits.Unknown;
            switch (bits)
            {
                case TaskStateBits.Interruptible:
                    return "Interruptible";
                case TaskStateBits.Killable:
                    return "Killable";
                case TaskStateBits.Uninterruptible:
                    return "Uninterruptible";
            }
        }

        return "Uninterruptible";
    }
}
