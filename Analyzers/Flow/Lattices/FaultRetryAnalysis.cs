using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Follows <c>MmFault.HandleMmFault</c> results: whether the path has tested the result and whether
/// <c>VmFaultResult.Retry</c> may be set there (<c>(r &amp; VmFaultResult.Retry) != 0</c>, <c>r.HasFlag(Retry)</c>,
/// <c>r == Retry</c>, in either polarity). A retry loop re-faults on the side where Retry is set.
/// </summary>
internal sealed class FaultRetryAnalysis : ForwardAnalysis<FaultRetryState>
{
    private readonly FlowContext context;

    public FaultRetryAnalysis(FlowContext context)
    {
        this.context = context;
    }

    public override FaultRetryState Unreached => FaultRetryState.Unreached;

    public override FaultRetryState Entry => FaultRetryState.Empty;

    public override FaultRetryState Unknown => FaultRetryState.Empty;

    public override FaultRetryState Join(FaultRetryState left, FaultRetryState right) => left.Join(right);

    public override bool IsSame(FaultRetryState left, FaultRetryState right) => left.IsSame(right);

    public override FaultRetryState Forget(FaultRetryState state, ImmutableHashSet<ILocalSymbol> locals) => state.Without(locals);

    public SyntaxNode? Resolve(IOperation operation, FaultRetryState state)
    {
        operation = Comparisons.StripConversions(operation);
        SyntaxNode? site = operation switch
        {
            ILocalReferenceOperation local => state.LocalAliases.TryGetValue(local.Local, out var aliased) ? aliased : null,
            IFlowCaptureReferenceOperation capture => state.CaptureAliases.TryGetValue(capture.Id, out var captured) ? captured : null,
            IInvocationOperation invocation when context.Symbols.IsHandleMmFault(invocation.TargetMethod) => invocation.Syntax,
            _ => null,
        };
        return site is not null && state.Results.ContainsKey(site) ? site : null;
    }

    public override FaultRetryState Apply(IOperation operation, FaultRetryState state)
    {
        switch (operation)
        {
            case IInvocationOperation invocation when context.Symbols.IsHandleMmFault(invocation.TargetMethod):
                return state.WithCall(invocation.Syntax);

            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                return state.WithAlias(target.Local, context.IsTracked(target.Local) ? Resolve(assignment.Value, state) : null);

            case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target }:
                return state.WithAlias(target.Local, null);

            case IFlowCaptureOperation capture:
                return state.WithCaptureAlias(capture.Id, Resolve(capture.Value, state));

            case IBinaryOperation binary:
                return MarkTested(binary.LeftOperand, MarkTested(binary.RightOperand, state));

            case IInvocationOperation { Instance: { } instance }:
                return MarkTested(instance, state);

            default:
                return state;
        }
    }

    public override (FaultRetryState WhenTrue, FaultRetryState WhenFalse) Split(IOperation condition, FaultRetryState state)
    {
        if (!TryReadRetryTest(condition, state, out var site, out var whenTrue, out var whenFalse))
        {
            return (state, state);
        }

        var facts = state.Results[site];
        return (
            state.WithFacts(site, new FaultResultFacts(facts.Retry & whenTrue, tested: true)),
            state.WithFacts(site, new FaultResultFacts(facts.Retry & whenFalse, tested: true)));
    }

    private FaultRetryState MarkTested(IOperation operand, FaultRetryState state)
    {
        operand = Comparisons.StripConversions(operand);
        if (operand is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } masked)
        {
            state = MarkTested(masked.LeftOperand, MarkTested(masked.RightOperand, state));
        }

        return Resolve(operand, state) is { } site
            ? state.WithFacts(site, new FaultResultFacts(state.Results[site].Retry, tested: true))
            : state;
    }

    /// <summary>Reads a test of the Retry bit and the bit values that make it true and false.</summary>
    private bool TryReadRetryTest(IOperation condition, FaultRetryState state, out SyntaxNode site, out RetryBit whenTrue, out RetryBit whenFalse)
    {
        site = null!;
        whenTrue = whenFalse = RetryBit.Either;
        if (context.Symbols.VmFaultRetry is not { } retry)
        {
            return false;
        }

        condition = Comparisons.StripConversions(condition);
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                var found = TryReadRetryTest(not.Operand, state, out site, out var innerTrue, out var innerFalse);
                (whenTrue, whenFalse) = (innerFalse, innerTrue);
                return found;

            case IInvocationOperation { TargetMethod.Name: "HasFlag", Instance: { } instance, Arguments.Length: 1 } hasFlag
                when Resolve(instance, state) is { } hasFlagSite && Comparisons.ConstantOf(hasFlag.Arguments[0].Value) is { } flag && (flag & retry) != 0:
                site = hasFlagSite;
                whenTrue = RetryBit.Set;
                whenFalse = flag == retry ? RetryBit.Clear : RetryBit.Either;
                return true;

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
                if (!TryReadEquality(binary, state, retry, out site, out whenTrue, out whenFalse))
                {
                    return false;
                }

                if (binary.OperatorKind == BinaryOperatorKind.NotEquals)
                {
                    (whenTrue, whenFalse) = (whenFalse, whenTrue);
                }

                return true;

            default:
                return false;
        }
    }

    /// <summary>
    /// <c>(r &amp; M) == 0</c>, <c>(r &amp; M) == M</c> and <c>r == M</c> with M a constant: what each tells about the Retry bit.
    /// </summary>
    private bool TryReadEquality(IBinaryOperation binary, FaultRetryState state, long retry, out SyntaxNode site, out RetryBit whenEqual, out RetryBit whenNotEqual)
    {
        site = null!;
        whenEqual = whenNotEqual = RetryBit.Either;
        var (subject, constantOperand) = Comparisons.ConstantOf(binary.RightOperand) is not null
            ? (binary.LeftOperand, binary.RightOperand)
            : (binary.RightOperand, binary.LeftOperand);
        if (Comparisons.ConstantOf(constantOperand) is not { } compared)
        {
            return false;
        }

        subject = Comparisons.StripConversions(subject);
        if (subject is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } masked)
        {
            var (value, maskOperand) = Comparisons.ConstantOf(masked.RightOperand) is not null
                ? (masked.LeftOperand, masked.RightOperand)
                : (masked.RightOperand, masked.LeftOperand);
            if (Resolve(value, state) is not { } maskedSite || Comparisons.ConstantOf(maskOperand) is not { } mask || (mask & retry) == 0)
            {
                return false;
            }

            site = maskedSite;
            if (compared == 0)
            {
                // (r & M) == 0: Retry is clear; != 0: set only if M is Retry alone.
                whenEqual = RetryBit.Clear;
                whenNotEqual = mask == retry ? RetryBit.Set : RetryBit.Either;
                return true;
            }

            if (compared == mask)
            {
                whenEqual = RetryBit.Set;
                whenNotEqual = mask == retry ? RetryBit.Clear : RetryBit.Either;
                return true;
            }

            return false;
        }

        if (Resolve(subject, state) is not { } directSite)
        {
            return false;
        }

        site = directSite;
        whenEqual = (compared & retry) != 0 ? RetryBit.Set : RetryBit.Clear;
        whenNotEqual = RetryBit.Either;
        return true;
    }
}
