using System.Linq;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3006: a may-sleep call (Schedule, a [MaySleep] runtime or user method, a .NET blocking API) with a KSpinLock
/// held on every path (Lock or TryLock-true, not yet Unlock), or anywhere in a [MustNotSleep] method. Through
/// helpers: a call to the user's own method that may sleep (<see cref="Flow.Summaries.MaySleepSummaries"/>, the
/// summary FL2001 uses) is reported with the chain of calls that reaches the sleep. A <c>lock</c> statement counts
/// as its <c>Monitor.Enter</c> (a sleeping lock, as for FL2001), reported at the <c>lock (x)</c> header; a helper
/// that takes one is reported through the same chain.
/// </summary>
internal sealed class SleepInAtomicRule : ISleepRule
{
    public void Analyze(SleepMethodFacts facts, Reporter reporter)
    {
        var mustNotSleep = facts.Method is { } method && facts.Symbols.HasMustNotSleep(method);
        foreach (var (invocation, kind, before) in facts.Calls)
        {
            if (SleepingCall(kind, invocation, facts) is not var (name, through))
            {
                continue;
            }

            string where;
            if (!before.HeldSpinLocks.IsEmpty)
            {
                where = "while KSpinLock '" + before.HeldSpinLocks.OrderBy(k => k, System.StringComparer.Ordinal).First() + "' is held (atomic context)";
            }
            else if (mustNotSleep)
            {
                where = "inside [MustNotSleep] method '" + facts.Method!.Name + "'";
            }
            else
            {
                continue;
            }

            reporter.Report(Diagnostic.Create(
                Descriptors.FL3006SleepInAtomicContext,
                SleepText.CallLocation(invocation),
                name,
                through,
                where));
        }
    }

    /// <summary>The sleeping call's name and, for a helper, the chain of calls to the sleep; null when it does not sleep.</summary>
    private static (string Name, string Through)? SleepingCall(SleepCallKind kind, IInvocationOperation invocation, SleepMethodFacts facts)
    {
        if (kind is SleepCallKind.Schedule or SleepCallKind.ScheduleTimeout or SleepCallKind.MaySleep or SleepCallKind.BlockingDotNet)
        {
            return (SleepText.CallName(invocation), string.Empty);
        }

        if (kind != SleepCallKind.Helper
            || !facts.MaySleep.TryGetSleepChain(invocation.TargetMethod, facts.Scope.CancellationToken, out var chain)
            || chain.Length < 2)
        {
            return null;
        }

        var through = new System.Text.StringBuilder(" (it calls '");
        for (var i = 1; i < chain.Length; i++)
        {
            through.Append(i == 1 ? string.Empty : "', which calls '").Append(chain[i].ContainingType?.Name).Append('.').Append(chain[i].Name);
        }

        return (SleepText.CallName(invocation), through.Append("')").ToString());
    }
}
