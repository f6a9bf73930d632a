using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// The value of chosen <c>bool</c> locals (for the GUP family: the <c>locked</c> local of the <c>...Locked</c>
/// forms): constants assigned, values a callee may clear through <c>ref</c>, and what branches on the local
/// tell (<c>if (!locked)</c> means false inside, true after an early exit). Anything else is Unknown.
/// </summary>
internal sealed class BoolLocalsAnalysis : ForwardAnalysis<BoolLocalsState>
{
    private readonly FlowContext context;
    private readonly ImmutableHashSet<ILocalSymbol> tracked;
    private readonly Func<IInvocationOperation, IArgumentOperation, bool> mayClear;

    /// <param name="context">The graph's context.</param>
    /// <param name="tracked">The locals to follow.</param>
    /// <param name="mayClear">
    /// Whether a call may set a <c>ref</c> argument to false while leaving it true otherwise (a <c>...Locked</c>
    /// GUP call and its <c>locked</c>); any other <c>ref</c>/<c>out</c> use makes the local Unknown.
    /// </param>
    public BoolLocalsAnalysis(FlowContext context, ImmutableHashSet<ILocalSymbol> tracked, Func<IInvocationOperation, IArgumentOperation, bool> mayClear)
    {
        this.context = context;
        this.tracked = tracked;
        this.mayClear = mayClear;
    }

    public override BoolLocalsState Unreached => BoolLocalsState.Unreached;

    public override BoolLocalsState Entry => BoolLocalsState.Empty;

    public override BoolLocalsState Unknown => BoolLocalsState.Empty;

    public override BoolLocalsState Join(BoolLocalsState left, BoolLocalsState right) => left.Join(right);

    public override bool IsSame(BoolLocalsState left, BoolLocalsState right) => left.IsSame(right);

    public override BoolLocalsState Forget(BoolLocalsState state, ImmutableHashSet<ILocalSymbol> locals) => state.Without(locals);

    public override BoolLocalsState Apply(IOperation operation, BoolLocalsState state)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when Tracks(target.Local):
                return state.With(target.Local, Comparisons.StripConversions(assignment.Value).ConstantValue is { HasValue: true, Value: bool value }
                    ? (value ? BoolValue.True : BoolValue.False)
                    : null);

            case IInvocationOperation invocation:
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out
                        && Comparisons.StripConversions(argument.Value) is ILocalReferenceOperation local && Tracks(local.Local))
                    {
                        state = state.With(local.Local, mayClear(invocation, argument) ? BoolValue.True | BoolValue.ClearedByCallee : null);
                    }
                }

                return state;

            case ILocalReferenceOperation local when Tracks(local.Local) && LocalWrites.IsWrite(local)
                && local.Parent is not ISimpleAssignmentOperation and not IArgumentOperation:
                // Compound assignment, deconstruction: not followed.
                return state.With(local.Local, null);

            default:
                return state;
        }
    }

    public override (BoolLocalsState WhenTrue, BoolLocalsState WhenFalse) Split(IOperation condition, BoolLocalsState state)
    {
        if (!TryReadTest(condition, out var local, out var polarity) || !Tracks(local))
        {
            return (state, state);
        }

        var current = state.ValueOf(local);
        var isTrue = state.With(local, BoolValue.True);
        var falseBits = (current ?? BoolValue.None) & BoolValue.FalseOrCleared;
        var isFalse = state.With(local, falseBits == BoolValue.None ? BoolValue.False : falseBits);
        return polarity ? (isTrue, isFalse) : (isFalse, isTrue);
    }

    /// <summary>Reads <c>local</c>, <c>!local</c>, <c>local == true</c>, <c>local is false</c> and the like.</summary>
    private static bool TryReadTest(IOperation condition, out ILocalSymbol local, out bool polarity)
    {
        condition = Comparisons.StripConversions(condition);
        switch (condition)
        {
            case ILocalReferenceOperation reference:
                local = reference.Local;
                polarity = true;
                return true;

            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when TryReadTest(not.Operand, out local, out var inner):
                polarity = !inner;
                return true;

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } binary:
                var (subject, constant) = Comparisons.StripConversions(binary.RightOperand).ConstantValue is { HasValue: true, Value: bool right }
                    ? (binary.LeftOperand, right)
                    : Comparisons.StripConversions(binary.LeftOperand).ConstantValue is { HasValue: true, Value: bool left }
                        ? (binary.RightOperand, left)
                        : (null, false);
                if (subject is not null && TryReadTest(subject, out local, out var subjectPolarity))
                {
                    polarity = subjectPolarity == constant;
                    if (binary.OperatorKind == BinaryOperatorKind.NotEquals)
                    {
                        polarity = !polarity;
                    }

                    return true;
                }

                break;

            case IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var value } } pattern
                when Comparisons.StripConversions(value).ConstantValue is { HasValue: true, Value: bool patternConstant } && TryReadTest(pattern.Value, out local, out var patternPolarity):
                polarity = patternPolarity == patternConstant;
                return true;
        }

        local = null!;
        polarity = false;
        return false;
    }

    private bool Tracks(ILocalSymbol local) => tracked.Contains(local) && context.IsTracked(local);
}
