using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Reads a branch condition as a fact about one subject, for each side: <c>locked</c>, <c>!unlocked</c>,
/// <c>ret != 0</c>, <c>ret &lt; 0</c>, <c>(ret &amp; VmFaultResult.Retry) != 0</c>, <c>ret.HasFlag(...)</c>,
/// <c>ret == VmFaultResult.Completed</c>, <c>mm.MmapReadTrylock()</c>.
/// </summary>
internal static class MmapLockTests
{
    /// <summary>The subject a condition operand denotes: its local, or the operation itself.</summary>
    public static object SubjectOf(IOperation operation, CaptureAliases captures)
    {
        operation = captures.Resolve(operation);
        return operation is ILocalReferenceOperation local ? local.Local : operation;
    }

    public static bool TryRead(IOperation condition, CaptureAliases captures, out object subject, out Fact whenTrue, out Fact whenFalse)
    {
        // !!(...) in a loop rather than by recursion: the depth is the user's.
        var negated = false;
        condition = Comparisons.StripConversions(condition);
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            condition = Comparisons.StripConversions(not.Operand);
        }

        if (!TryReadPlain(condition, captures, out subject, out whenTrue, out whenFalse))
        {
            return false;
        }

        if (negated)
        {
            (whenTrue, whenFalse) = (whenFalse, whenTrue);
        }

        return true;
    }

    private static bool TryReadPlain(IOperation condition, CaptureAliases captures, out object subject, out Fact whenTrue, out Fact whenFalse)
    {
        subject = null!;
        whenTrue = Fact.None;
        whenFalse = Fact.None;
        switch (condition)
        {
            case IInvocationOperation { TargetMethod.Name: "HasFlag", Instance: { } instance } hasFlag
                when hasFlag.Arguments.Length == 1 && ConstantOf(hasFlag.Arguments[0].Value) is { } flag:
                subject = SubjectOf(instance, captures);
                whenTrue = new Fact(FactKind.AllBits, flag);
                whenFalse = IsSingleBit(flag) ? new Fact(FactKind.NoBits, flag) : Fact.None;
                return true;

            case IBinaryOperation binary when Comparisons.IsRelational(binary.OperatorKind):
                return TryReadComparison(binary, captures, out subject, out whenTrue, out whenFalse);

            case IIsPatternOperation { Pattern: IConstantPatternOperation { Value: var value } } pattern
                when ConstantOf(value) is { } patternConstant:
                return TryReadEquality(pattern.Value, captures, patternConstant, IsBool(value), equals: true, out subject, out whenTrue, out whenFalse);

            default:
                if (condition.Type?.SpecialType == SpecialType.System_Boolean && condition.ConstantValue.HasValue is false)
                {
                    subject = SubjectOf(condition, captures);
                    whenTrue = new Fact(FactKind.BoolTrue);
                    whenFalse = new Fact(FactKind.BoolFalse);
                    return true;
                }

                return false;
        }
    }

    private static bool TryReadComparison(IBinaryOperation binary, CaptureAliases captures, out object subject, out Fact whenTrue, out Fact whenFalse)
    {
        subject = null!;
        whenTrue = Fact.None;
        whenFalse = Fact.None;
        IOperation operand;
        long constant;
        var kind = binary.OperatorKind;
        if (ConstantOf(binary.RightOperand) is { } right && ConstantOf(binary.LeftOperand) is null)
        {
            operand = binary.LeftOperand;
            constant = right;
        }
        else if (ConstantOf(binary.LeftOperand) is { } left && ConstantOf(binary.RightOperand) is null)
        {
            operand = binary.RightOperand;
            constant = left;
            kind = Comparisons.Flip(kind);
        }
        else
        {
            return false;
        }

        var isBool = IsBool(binary.RightOperand) || IsBool(binary.LeftOperand);
        operand = Comparisons.StripConversions(operand);

        // (s & C) != 0, (s & C) == 0, (s & C) > 0.
        if (!isBool && constant == 0 && operand is IBinaryOperation { OperatorKind: BinaryOperatorKind.And } and)
        {
            IOperation? masked = null;
            long? mask = ConstantOf(and.RightOperand);
            if (mask is not null)
            {
                masked = and.LeftOperand;
            }
            else if ((mask = ConstantOf(and.LeftOperand)) is not null)
            {
                masked = and.RightOperand;
            }

            if (masked is null || mask is null)
            {
                return false;
            }

            subject = SubjectOf(masked, captures);
            var any = new Fact(FactKind.AnyBits, mask.Value);
            var none = new Fact(FactKind.NoBits, mask.Value);
            switch (kind)
            {
                case BinaryOperatorKind.NotEquals:
                case BinaryOperatorKind.GreaterThan:
                    (whenTrue, whenFalse) = (any, none);
                    return true;
                case BinaryOperatorKind.Equals:
                    (whenTrue, whenFalse) = (none, any);
                    return true;
                default:
                    return false;
            }
        }

        if (kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals)
        {
            return TryReadEquality(operand, captures, constant, isBool, kind == BinaryOperatorKind.Equals, out subject, out whenTrue, out whenFalse);
        }

        // Killable lock results are 0 or a negative errno: ret < 0 means non-zero, ret >= 0 means zero.
        subject = SubjectOf(operand, captures);
        switch (kind)
        {
            case BinaryOperatorKind.LessThan when constant == 0:
            case BinaryOperatorKind.LessThanOrEqual when constant == -1:
                (whenTrue, whenFalse) = (new Fact(FactKind.NonZero), new Fact(FactKind.IsZero));
                return true;
            case BinaryOperatorKind.GreaterThanOrEqual when constant == 0:
                (whenTrue, whenFalse) = (new Fact(FactKind.IsZero), new Fact(FactKind.NonZero));
                return true;
            default:
                return false;
        }
    }

    private static bool TryReadEquality(IOperation operand, CaptureAliases captures, long constant, bool isBool, bool equals, out object subject, out Fact whenTrue, out Fact whenFalse)
    {
        subject = SubjectOf(operand, captures);
        Fact same;
        Fact different;
        if (isBool)
        {
            same = new Fact(constant != 0 ? FactKind.BoolTrue : FactKind.BoolFalse);
            different = new Fact(constant != 0 ? FactKind.BoolFalse : FactKind.BoolTrue);
        }
        else if (constant == 0)
        {
            same = new Fact(FactKind.IsZero);
            different = new Fact(FactKind.NonZero);
        }
        else
        {
            same = new Fact(FactKind.Exactly, constant);
            different = Fact.None;
        }

        (whenTrue, whenFalse) = equals ? (same, different) : (different, same);
        return true;
    }

    /// <summary>An integral, enum or bool constant (true = 1), through conversions.</summary>
    private static long? ConstantOf(IOperation operation)
    {
        var stripped = Comparisons.StripConversions(operation);
        foreach (var candidate in new[] { operation, stripped })
        {
            if (candidate.ConstantValue is { HasValue: true, Value: bool flag })
            {
                return flag ? 1 : 0;
            }
        }

        return Comparisons.ConstantOf(operation);
    }

    private static bool IsBool(IOperation operation) =>
        Comparisons.StripConversions(operation).Type?.SpecialType == SpecialType.System_Boolean;

    private static bool IsSingleBit(long value) => value != 0 && (value & (value - 1)) == 0;
}
