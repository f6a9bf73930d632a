using System.Linq;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// FL1006: the <c>ref locked</c> local of a ...Locked call is false there (<c>bool locked = false;</c>), or may have been
/// cleared by an earlier ...Locked call that dropped the mmap lock, with no test since (SEMANTICS.md rules 15, 18,
/// 22: external callers must pass <c>*locked == 1</c> with the read lock held; the runtime throws otherwise).
/// Silent when the local's value is unknown (a <c>ref</c> parameter, set from a call) or true on every path, e.g.
/// after <c>if (!locked) { mm.MmapReadLock(); locked = true; }</c> or <c>if (!locked) break;</c>.
/// </summary>
internal sealed class LockedNotTrueRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        if (!facts.Calls.Any(c => c.Api.Form == GupForm.Locked && c.LockedLocal is not null))
        {
            return;
        }

        var locked = facts.Locked;
        if (locked.Converged)
        {
            locked.Replay(new Observer(facts, reporter));
        }
    }

    private sealed class Observer : FlowObserver<BoolLocalsState>
    {
        private readonly GupMethodFacts facts;
        private readonly Reporter reporter;

        public Observer(GupMethodFacts facts, Reporter reporter)
        {
            this.facts = facts;
            this.reporter = reporter;
        }

        public override void OnOperation(IOperation operation, BoolLocalsState before, BasicBlock block)
        {
            if (operation is not IInvocationOperation invocation || facts.CallAt(invocation.Syntax) is not { Api.Form: GupForm.Locked } call
                || call.Invocation != invocation || call.LockedLocal is not { } local || call.LockedArgument is null
                || before.ValueOf(local) is not { } value)
            {
                return;
            }

            string? state = null;
            string? text = null;
            if ((value & BoolValue.True) == 0)
            {
                state = "false";
                text = "false";
            }
            else if ((value & BoolValue.ClearedByCallee) != 0)
            {
                state = "cleared";
                text = "possibly false (an earlier ...Locked call may have dropped the lock and nothing has tested it since)";
            }

            if (state is null)
            {
                return;
            }

            reporter.Report(Diagnostic.Create(
                Descriptors.FL1006LockedNotTrue,
                call.LockedArgument.Syntax.GetLocation(),
                FlagText.Properties(
                    (Descriptors.Properties.Method, call.Api.Name),
                    (Descriptors.Properties.LockedLocal, local.Name),
                    (Descriptors.Properties.LockedState, state)),
                local.Name,
                text,
                call.Api.Name));
        }
    }
}
