using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3005 (rules 40-41): in a method that sleeps itself (calls Schedule/ScheduleTimeout), a way out (return, throw,
/// the end of the body) on which a sleeping state the method set may still be set, or a wait entry it queued may
/// still be queued. A finally the exit passes through counts with the FinishWait, RemoveWaitQueue and
/// SetCurrentState(Running) calls it makes; a throw that a catch may take is not a way out. Silent for methods
/// that only prepare (a helper that sets the state for its caller to sleep) and for states we cannot read.
/// </summary>
internal sealed class StateNotRestoredRule : ISleepRule
{
    public void Analyze(SleepMethodFacts facts, Reporter reporter)
    {
        if (!facts.Sleeps)
        {
            return;
        }

        foreach (var exit in facts.Exits)
        {
            if (exit.State.IsUnreached || !FinallyRegions(exit, out var finallies))
            {
                continue;
            }

            var restores = Restores(facts, finallies);
            var where = Describe(exit);
            foreach (var queued in exit.State.Queued.OrderBy(s => s.Syntax.SpanStart))
            {
                var key = SleepKeys.WaitEntry(queued);
                if (restores.Entries.Contains(key))
                {
                    continue;
                }

                var queue = SleepKeys.Argument(queued, 0)?.Syntax.ToString() ?? "wq";
                var entry = SleepKeys.Argument(queued, 1)?.Syntax.ToString() ?? "entry";
                Report(reporter, queued, where, "call Wait.FinishWait(" + queue + ", " + entry + ") on every way out, or in a finally", queue, entry);
            }

            if ((exit.State.States & TaskStateBits.Sleeping) == 0 || restores.Running)
            {
                continue;
            }

            foreach (var site in exit.State.SetSites.OrderBy(s => s.Syntax.SpanStart))
            {
                if (exit.State.Queued.Contains(site) && !restores.Entries.Contains(SleepKeys.WaitEntry(site)))
                {
                    // Already reported for its entry, with the same remedy.
                    continue;
                }

                Report(reporter, site, where, "the task is left in " + TaskStateNames.Describe(exit.State.States & TaskStateBits.Sleeping) + "; set TaskState.Running on every way out", null, null);
            }
        }
    }

    private static void Report(Reporter reporter, IInvocationOperation site, string where, string remedy, string? queue, string? entry)
    {
        reporter.Report(Diagnostic.Create(
            Descriptors.FL3005StateNotRestored,
            site.Syntax.GetLocation(),
            FlagText.Properties((Descriptors.Properties.WaitQueue, queue), (Descriptors.Properties.WaitEntry, entry)),
            SleepText.CallName(site),
            where,
            remedy));
    }

    private static string Describe(SleepExit exit)
    {
        if (exit.Branch.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow)
        {
            return exit.Block.BranchValue is { } thrown ? "the throw at line " + SleepText.Line(thrown.Syntax) : "a throw";
        }

        if (exit.Branch.Semantics == ControlFlowBranchSemantics.Return && exit.Block.BranchValue is { } returned)
        {
            return "the return at line " + SleepText.Line(returned.Syntax);
        }

        return "a return or the end of the method";
    }

    /// <summary>The finally regions the exit runs; false when a catch may take the exception instead.</summary>
    private static bool FinallyRegions(SleepExit exit, out ImmutableArray<ControlFlowRegion> finallies)
    {
        if (exit.Branch.Semantics is not (ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow))
        {
            finallies = exit.Branch.FinallyRegions;
            return true;
        }

        var builder = ImmutableArray.CreateBuilder<ControlFlowRegion>();
        for (var region = exit.Block.EnclosingRegion; region is not null; region = region.EnclosingRegion)
        {
            if (region.Kind != ControlFlowRegionKind.Try || region.EnclosingRegion is not { } parent)
            {
                continue;
            }

            if (parent.Kind is ControlFlowRegionKind.TryAndCatch)
            {
                finallies = ImmutableArray<ControlFlowRegion>.Empty;
                return false;
            }

            if (parent.Kind == ControlFlowRegionKind.TryAndFinally && parent.NestedRegions.Length == 2)
            {
                builder.Add(parent.NestedRegions[1]);
            }
        }

        finallies = builder.ToImmutable();
        return true;
    }

    /// <summary>What the finally regions undo: wait entries removed, and whether they set the task Running.</summary>
    private static (HashSet<string> Entries, bool Running) Restores(SleepMethodFacts facts, ImmutableArray<ControlFlowRegion> finallies)
    {
        var entries = new HashSet<string>();
        var running = false;
        foreach (var region in finallies)
        {
            var (removed, restoresRunning) = TaskStateAnalysis.FinallyRestores(facts.Graph, region, facts.Symbols, facts.Index);
            entries.UnionWith(removed);
            running |= restoresRunning;
        }

        return (entries, running);
    }
}
