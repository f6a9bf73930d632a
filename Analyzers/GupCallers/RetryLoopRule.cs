using System.Collections.Generic;
using System.Linq;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// FL1005: a loop goes round again after a GUP call failed (its result tested and still possibly negative on the
/// back edge) or after HandleMmFault returned Retry (tested and possibly set), and no exit of the loop is taken on
/// a pending signal (<c>FatalSignalPending</c>, <c>SignalPending</c>, <c>Signals.*Pending</c>, a helper that checks
/// them) or on a negative GUP result. While the signal stays pending GUP keeps failing with -EINTR and the fault
/// keeps returning Retry, so the loop spins (SEMANTICS.md rules 2, 5, 17, 31, 45; cases 1, 4, 8, 20).
/// Silent when: the loop only re-issues after success (walking a range); it is bounded by a counter stepped by a
/// constant; the result escaped into code we cannot read.
/// </summary>
internal sealed class RetryLoopRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        if (facts.Loops.IsEmpty)
        {
            return;
        }

        var resultExits = facts.Calls.IsEmpty ? null : ExitStates(facts.Results);
        var faultExits = facts.FaultCalls.IsEmpty ? null : ExitStates(facts.FaultRetries);
        if ((resultExits is null && faultExits is null)
            || (resultExits is not null && !facts.Results.Converged)
            || (faultExits is not null && !facts.FaultRetries.Converged))
        {
            return;
        }

        foreach (var loop in facts.Loops)
        {
            var retried = new List<(IInvocationOperation Invocation, string Callee, string After, bool IsGup)>();
            foreach (var call in facts.Calls)
            {
                if (facts.Index.BlockOf(call.Invocation) is { } block && loop.Contains(block)
                    && resultExits is not null && RetriesAfterFailure(loop, call.Syntax, resultExits))
                {
                    retried.Add((call.Invocation, call.Api.Name, "a failure", true));
                }
            }

            foreach (var fault in facts.FaultCalls)
            {
                if (facts.Index.BlockOf(fault) is { } block && loop.Contains(block)
                    && faultExits is not null && RetriesAfterRetry(loop, fault.Syntax, faultExits))
                {
                    retried.Add((fault, fault.TargetMethod.Name, "VmFaultResult.Retry", false));
                }
            }

            if (retried.Count == 0 || HasSafeExit(loop, facts, resultExits, retried) || IsCounted(loop, facts.Graph))
            {
                continue;
            }

            foreach (var (invocation, callee, after, isGup) in retried)
            {
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL1005RetryLoopIgnoresSignals,
                    invocation.Syntax.GetLocation(),
                    FlagText.Properties(
                        (Descriptors.Properties.Method, callee),
                        (Descriptors.Properties.Retried, isGup ? "gup" : "fault")),
                    callee,
                    after));
            }
        }
    }

    /// <summary>Some back edge is taken with the GUP result tested and still possibly negative.</summary>
    private static bool RetriesAfterFailure(Loop loop, SyntaxNode site, Dictionary<ControlFlowBranch, GupResultState> exits)
    {
        foreach (var edge in loop.BackEdges)
        {
            if (exits.TryGetValue(edge, out var state) && state.FactsOf(site) is { } facts
                && facts.Tested && !facts.Escaped && (facts.Possible & ResultClasses.Negative) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Some back edge is taken with the fault result tested and Retry possibly set.</summary>
    private static bool RetriesAfterRetry(Loop loop, SyntaxNode site, Dictionary<ControlFlowBranch, FaultRetryState> exits)
    {
        foreach (var edge in loop.BackEdges)
        {
            if (exits.TryGetValue(edge, out var state) && state.Results.TryGetValue(site, out var facts)
                && facts.Tested && (facts.Retry & RetryBit.Set) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether some branch in the loop leaves it on a pending signal, or (for GUP) on the side where the result
    /// is negative.
    /// </summary>
    private static bool HasSafeExit(Loop loop, GupMethodFacts facts, Dictionary<ControlFlowBranch, GupResultState>? resultExits,
        List<(IInvocationOperation Invocation, string Callee, string After, bool IsGup)> retried)
    {
        var gupSites = retried.Where(r => r.IsGup).Select(r => r.Invocation.Syntax).ToList();
        foreach (var ordinal in loop.Body)
        {
            var block = facts.Graph.Blocks[ordinal];
            if (block.ConditionKind == ControlFlowConditionKind.None || block.BranchValue is null
                || block.FallThroughSuccessor is not { } fallThrough || block.ConditionalSuccessor is not { } conditional)
            {
                continue;
            }

            // The successor taken when the condition is true, and when it is false.
            var (whenTrue, whenFalse) = block.ConditionKind == ControlFlowConditionKind.WhenTrue
                ? (conditional, fallThrough)
                : (fallThrough, conditional);

            var signal = SignalTest(block.BranchValue, facts);
            if ((signal is SignalSide.WhenTrue or SignalSide.Either && CanExit(loop, whenTrue, facts))
                || (signal is SignalSide.WhenFalse or SignalSide.Either && CanExit(loop, whenFalse, facts)))
            {
                return true;
            }

            if (resultExits is null || gupSites.Count == 0)
            {
                continue;
            }

            foreach (var side in new[] { whenTrue, whenFalse })
            {
                if (!resultExits.TryGetValue(side, out var state))
                {
                    continue;
                }

                foreach (var site in gupSites)
                {
                    if (state.FactsOf(site) is { } result && (result.Possible & ResultClasses.Negative) != 0
                        && (result.Possible & ResultClasses.Positive) == 0 && CanExit(loop, side, facts))
                    {
                        return true;
                    }
                }
            }
        }

        // A signal test stored in a local first (bool pending = task.SignalPending; if (pending) ...) is not
        // followed to its branch: give the loop the benefit of the doubt.
        foreach (var ordinal in loop.Body)
        {
            var block = facts.Graph.Blocks[ordinal];
            foreach (var root in block.Operations)
            {
                if (root.DescendantsAndSelf().Any(operation => IsSignalAtom(operation, facts)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool CanExit(Loop loop, ControlFlowBranch branch, GupMethodFacts facts) =>
        branch.Destination is null
            ? branch.Semantics is ControlFlowBranchSemantics.Return or ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow
            : loop.CanExitFrom(branch.Destination, facts.Graph);

    /// <summary>On which side of a condition a pending signal lies.</summary>
    private enum SignalSide
    {
        None,
        WhenTrue,
        WhenFalse,

        /// <summary>A signal test inside a larger expression: its polarity is not guessed, either side counts.</summary>
        Either,
    }

    /// <summary>Whether, and on which side, a condition tests for a pending signal.</summary>
    private static SignalSide SignalTest(IOperation condition, GupMethodFacts facts)
    {
        var polarity = true;
        var operation = Comparisons.StripConversions(condition);
        while (operation is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            polarity = !polarity;
            operation = Comparisons.StripConversions(not.Operand);
        }

        if (IsSignalAtom(operation, facts))
        {
            return polarity ? SignalSide.WhenTrue : SignalSide.WhenFalse;
        }

        foreach (var descendant in operation.Descendants())
        {
            if (IsSignalAtom(descendant, facts))
            {
                return SignalSide.Either;
            }
        }

        return SignalSide.None;
    }

    private static bool IsSignalAtom(IOperation operation, GupMethodFacts facts) => operation switch
    {
        IPropertyReferenceOperation property => facts.Symbols.IsSignalCheck(property.Property),
        IInvocationOperation invocation => facts.Symbols.IsSignalCheck(invocation.TargetMethod)
            || facts.Context.Summaries.ChecksSignals(invocation.TargetMethod, facts.Context.Scope),
        _ => false,
    };

    /// <summary>
    /// A loop bounded by a counter: some branch in it compares a local that the loop steps by a constant
    /// (<c>for (tries = 0; tries &lt; 3; tries++)</c>). It ends even while a signal is pending.
    /// </summary>
    private static bool IsCounted(Loop loop, ControlFlowGraph graph)
    {
        var stepped = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        var compared = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var ordinal in loop.Body)
        {
            var block = graph.Blocks[ordinal];
            foreach (var root in block.Operations)
            {
                foreach (var operation in root.DescendantsAndSelf())
                {
                    switch (operation)
                    {
                        case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation local }:
                            stepped.Add(local.Local);
                            break;
                        case ICompoundAssignmentOperation { Target: ILocalReferenceOperation local, OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } compound
                            when Comparisons.ConstantOf(compound.Value) is not (null or 0):
                            stepped.Add(local.Local);
                            break;
                    }
                }
            }

            if (block.BranchValue is IBinaryOperation binary && Comparisons.IsRelational(binary.OperatorKind) && binary.OperatorKind is not (BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals))
            {
                foreach (var operand in new[] { binary.LeftOperand, binary.RightOperand })
                {
                    if (Comparisons.StripConversions(operand) is ILocalReferenceOperation local)
                    {
                        compared.Add(local.Local);
                    }
                }
            }
        }

        return compared.Overlaps(stepped);
    }

    private static Dictionary<ControlFlowBranch, TState> ExitStates<TState>(FlowResult<TState> result)
        where TState : class
    {
        var recorder = new ExitRecorder<TState>();
        result.Replay(recorder);
        return recorder.Exits;
    }

    private sealed class ExitRecorder<TState> : FlowObserver<TState>
        where TState : class
    {
        public Dictionary<ControlFlowBranch, TState> Exits { get; } = new();

        public override void OnBlockExit(BasicBlock block, TState fallThrough, TState conditional)
        {
            if (block.FallThroughSuccessor is { } fall)
            {
                Exits[fall] = fallThrough;
            }

            if (block.ConditionalSuccessor is { } cond)
            {
                Exits[cond] = conditional;
            }
        }
    }
}
