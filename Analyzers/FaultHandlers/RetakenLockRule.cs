using System.Collections.Generic;
using FaultLine.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// FL2003, the re-take case (SEMANTICS.md §2 case 16, rule 30): a handler that released the fault lock, then took it
/// again and returns a result other than Retry tells its caller the lock was held all along, but the VMAs may have
/// changed or been freed while it was dropped. Reported at the returned constant when every path to it released and
/// re-took the lock and RetryNowait is not known to be set there (under RetryNowait the release is FL2004's).
/// Only handlers that both release and re-take the lock get the extra pass.
/// </summary>
internal static class RetakenLockRule
{
    public static void Analyze(HandlerFacts facts)
    {
        var handler = facts.Context;
        var targets = new Dictionary<IOperation, RetakenLockState?>();
        foreach (var site in facts.OtherReturns)
        {
            if (!site.Facts.IsKnownSet(handler.Symbols.RetryNowait))
            {
                targets[site.Operation] = null;
            }
        }

        if (targets.Count == 0 || facts.Unlocks.Count == 0 || !HasRetake(facts))
        {
            return;
        }

        var result = RetakenLockFacts.Solve(handler, handler.CancellationToken);
        if (result is null)
        {
            return;
        }

        result.Replay(new Observer(targets));
        foreach (var pair in targets)
        {
            if (pair.Value is { IsRetakenOnEveryPath: true })
            {
                handler.Report(
                    Descriptors.FL2003RetryWithLockHeld,
                    pair.Key.Syntax.GetLocation(),
                    handler.HandlerName,
                    $"returns {pair.Key.Syntax} after releasing the mmap lock and re-taking it, as if it had been held all along "
                    + "(the VMAs may have changed meanwhile): return VmFaultResult.Retry after releasing the lock instead of re-taking it");
            }
        }
    }

    private static bool HasRetake(HandlerFacts facts)
    {
        foreach (var call in facts.Calls)
        {
            if (call.Operation.TargetMethod.Name is "MmapReadLock" or "MmapReadLockKillable" or "MmapReadTrylock"
                or "DownRead" or "DownReadKillable" or "DownReadTrylock")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Records the re-take state where each returned constant is returned (or captured for a return).</summary>
    private sealed class Observer : FlowObserver<RetakenLockState>
    {
        private readonly Dictionary<IOperation, RetakenLockState?> targets;

        public Observer(Dictionary<IOperation, RetakenLockState?> targets)
        {
            this.targets = targets;
        }

        public override void OnOperation(IOperation operation, RetakenLockState before, BasicBlock block)
        {
            if (operation is IFlowCaptureOperation capture)
            {
                Record(Comparisons.StripConversions(capture.Value), before);
            }
        }

        public override void OnBlockExit(BasicBlock block, RetakenLockState fallThrough, RetakenLockState conditional)
        {
            if (block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return && block.BranchValue is not null)
            {
                Record(Comparisons.StripConversions(block.BranchValue), fallThrough);
            }
        }

        private void Record(IOperation value, RetakenLockState state)
        {
            if (targets.TryGetValue(value, out var seen))
            {
                targets[value] = seen is null ? state : seen.Join(state);
            }
        }
    }
}
