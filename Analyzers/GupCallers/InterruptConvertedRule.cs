using System.Collections.Generic;
using System.Linq;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// FL1004: after an interruptible GUP call (Interruptible on a ...Locked or ...Unlocked form), a path on which the
/// result is not the full count and may still be -EINTR (or, for ...Unlocked, -EAGAIN) returns a different
/// negative errno, or overwrites the result with one. The signal is lost (SEMANTICS.md rules 17, 19, 23, 48;
/// cases 1 and 3; Peter Xu: "deliver it back to user app this -EINTR ... rather than converting it to -EFAULT").
/// Silent when: the path tested -EINTR/-EAGAIN and excluded them; the value returned is the result itself, -EINTR,
/// -ERESTARTSYS or -EAGAIN, or not a known constant; the result escaped into code we cannot read.
/// </summary>
internal sealed class InterruptConvertedRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        var interruptible = facts.Symbols.FollInterruptible;
        if (interruptible is null || !facts.Calls.Any(c => c.Api.Form is GupForm.Locked or GupForm.Unlocked && c.Flags.AllHave(interruptible.Value)))
        {
            return;
        }

        var results = facts.Results;
        if (!results.Converged)
        {
            return;
        }

        results.Replay(new Observer(facts, reporter, interruptible.Value));
    }

    private sealed class Observer : FlowObserver<GupResultState>
    {
        private readonly GupMethodFacts facts;
        private readonly Reporter reporter;
        private readonly long interruptible;
        private readonly HashSet<long> preserving = new();

        public Observer(GupMethodFacts facts, Reporter reporter, long interruptible)
        {
            this.facts = facts;
            this.reporter = reporter;
            this.interruptible = interruptible;

            // Signal errnos a caller may hand on instead: -ERESTARTSYS is turned into -EINTR on the way out, and
            // KVM maps -EINTR and -EAGAIN alike to "signal pending" (rule 48).
            foreach (var errno in new[] { facts.Symbols.EINTR, facts.Symbols.EAGAIN, facts.Symbols.ERESTARTSYS })
            {
                if (errno is { } value)
                {
                    preserving.Add(-value);
                }
            }
        }

        public override void OnOperation(IOperation operation, GupResultState before, BasicBlock block)
        {
            if (operation == block.BranchValue && block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return)
            {
                // return <errno>;
                if (facts.ResultAnalysis.Resolve(operation, before) is null
                    && facts.ReturnedValues.TryGetValue(operation, out var returned))
                {
                    Check(operation, returned, before, overwritten: null);
                }
            }
            else if (operation is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment
                && before.LocalAliases.TryGetValue(target.Local, out var site)
                && Comparisons.ConstantOf(assignment.Value) is { } constant)
            {
                // ret = -Errno.EFAULT; with ret holding the result.
                Check(operation, ConstantSet.Of(constant), before, overwritten: site);
            }
        }

        private void Check(IOperation at, ConstantSet value, GupResultState state, SyntaxNode? overwritten)
        {
            if (!value.IsKnown || value.Values.Any(v => v >= 0 || preserving.Contains(v)))
            {
                return;
            }

            foreach (var pair in state.Results)
            {
                if (overwritten is not null && pair.Key != overwritten)
                {
                    continue;
                }

                var call = facts.CallAt(pair.Key);
                if (call is null || call.Api.Form is not (GupForm.Locked or GupForm.Unlocked) || !call.Flags.AllHave(interruptible))
                {
                    continue;
                }

                var result = pair.Value;

                // Only on a failure path: the path has tested the result and the full count is excluded.
                if (result.Escaped || !result.Tested || (result.Possible & ResultClasses.Full) != 0)
                {
                    continue;
                }

                var signalClasses = ResultClasses.Eintr | (call.Api.Form == GupForm.Unlocked ? ResultClasses.Eagain : ResultClasses.None);
                var lost = result.Possible & ~result.Accounted & signalClasses;
                if (lost == ResultClasses.None)
                {
                    continue;
                }

                var lostName = (lost & ResultClasses.Eintr) != 0 ? "EINTR" : "EAGAIN";
                var properties = FlagText.Properties(
                    (Descriptors.Properties.Method, call.Api.Name),
                    (Descriptors.Properties.LostErrno, lostName),
                    (Descriptors.Properties.ResultLocal, state.LocalAliases.Where(a => a.Value == pair.Key).Select(a => a.Key.Name).OrderBy(n => n, System.StringComparer.Ordinal).FirstOrDefault()));
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL1004InterruptConverted,
                    at.Syntax.GetLocation(),
                    new[] { call.Syntax.GetLocation() },
                    properties,
                    call.Api.Name,
                    "-" + lostName,
                    ErrnoText(value)));
                return;
            }
        }

        private string ErrnoText(ConstantSet value)
        {
            var names = new List<string>();
            foreach (var v in value.Values)
            {
                names.Add(ErrnoName(-v) is { } name ? "-" + name : v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return string.Join(" or ", names);
        }

        private string? ErrnoName(long positive)
        {
            if (facts.Symbols.Errno is null)
            {
                return null;
            }

            foreach (var member in facts.Symbols.Errno.GetMembers())
            {
                if (member is IFieldSymbol { HasConstantValue: true } field && ConstantFolding.ToLong(field.ConstantValue) == positive)
                {
                    return field.Name;
                }
            }

            return null;
        }
    }
}
