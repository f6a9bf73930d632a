using System.Linq;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3007 (rule 46, case 13): a may-sleep runtime call other than Schedule (KMutex.Lock*, RwSemaphore.Down*,
/// MmStruct.MmapReadLock*, Page.Lock*, Wait.Event*, any [MaySleep] method, or a helper of the user's that reaches
/// one, per the may-sleep summary FL2001 uses) while the task is in a sleeping state the method set on every path.
/// Silent when some path may be Running or unknown there.
/// </summary>
internal sealed class BlockingAfterStateSetRule : ISleepRule
{
    public void Analyze(SleepMethodFacts facts, Reporter reporter)
    {
        foreach (var (invocation, kind, before) in facts.Calls)
        {
            if ((kind != SleepCallKind.MaySleep && !IsSleepingHelper(kind, invocation, facts))
                || (before.States & TaskStateBits.Sleeping) == 0
                || (before.States & ~TaskStateBits.Sleeping) != 0
                || before.SetSites.IsEmpty)
            {
                continue;
            }

            var site = before.SetSites.OrderBy(s => s.Syntax.SpanStart).First();
            reporter.Report(Diagnostic.Create(
                Descriptors.FL3007BlockingAfterStateSet,
                invocation.Syntax.GetLocation(),
                new[] { site.Syntax.GetLocation() },
                SleepText.CallName(invocation),
                SleepText.CallName(site),
                TaskStateNames.Describe(before.States & TaskStateBits.Sleeping)));
        }
    }

    private static bool IsSleepingHelper(SleepCallKind kind, Microsoft.CodeAnalysis.Operations.IInvocationOperation invocation, SleepMethodFacts facts) =>
        kind == SleepCallKind.Helper && facts.MaySleep.TryGetSleepChain(invocation.TargetMethod, facts.Scope.CancellationToken, out _);
}
