using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow;

/// <summary>A comparison rewritten as <c>subject OP other</c>, with the subject on the left.</summary>
internal readonly struct Comparison
{
    public Comparison(IOperation subject, BinaryOperatorKind kind, IOperation other)
    {
        Subject = subject;
        Kind = kind;
        Other = other;
    }

    public IOperation Subject { get; }

    public BinaryOperatorKind Kind { get; }

    public IOperation Other { get; }
}

/// <summary>Helpers for reading conditions: comparisons in either operand order, negation, patterns.</summary>
internal static class Comparisons
{
    public static bool IsRelational(BinaryOperatorKind kind) => kind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
        or BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
        or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual;

    /// <summary>
    /// Rewrites <paramref name="binary"/> so that the operand <paramref name="isSubject"/> accepts is on the
    /// left (<c>0 &gt; ret</c> becomes <c>ret &lt; 0</c>).
    /// </summary>
    public static bool TryNormalize(IBinaryOperation binary, Func<IOperation, bool> isSubject, out Comparison comparison)
    {
        comparison = default;
        if (!IsRelational(binary.OperatorKind))
        {
            return false;
        }

        if (isSubject(binary.LeftOperand))
        {
            comparison = new Comparison(binary.LeftOperand, binary.OperatorKind, binary.RightOperand);
            return true;
        }

        if (isSubject(binary.RightOperand))
        {
            comparison = new Comparison(binary.RightOperand, Flip(binary.OperatorKind), binary.LeftOperand);
            return true;
        }

        return false;
    }

    /// <summary>The operator with its operands swapped: <c>a &lt; b</c> is <c>b &gt; a</c>.</summary>
    public static BinaryOperatorKind Flip(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThanOrEqual,
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThan,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThanOrEqual,
        _ => kind,
    };

    /// <summary>The operator that holds exactly when <paramref name="kind"/> does not.</summary>
    public static BinaryOperatorKind Negate(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.Equals => BinaryOperatorKind.NotEquals,
        BinaryOperatorKind.NotEquals => BinaryOperatorKind.Equals,
        BinaryOperatorKind.LessThan => BinaryOperatorKind.GreaterThanOrEqual,
        BinaryOperatorKind.LessThanOrEqual => BinaryOperatorKind.GreaterThan,
        BinaryOperatorKind.GreaterThan => BinaryOperatorKind.LessThanOrEqual,
        BinaryOperatorKind.GreaterThanOrEqual => BinaryOperatorKind.LessThan,
        _ => kind,
    };

    /// <summary>Strips implicit and explicit conversions and parentheses.</summary>
    public static IOperation StripConversions(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    continue;
                default:
                    return operation;
            }
        }
    }

    /// <summary>The integral constant of <paramref name="operation"/> (through conversions), if any.</summary>
    public static long? ConstantOf(IOperation operation)
    {
        if (operation.ConstantValue.HasValue)
        {
            return Lattices.ConstantFolding.ToLong(operation.ConstantValue.Value);
        }

        var stripped = StripConversions(operation);
        return stripped.ConstantValue.HasValue ? Lattices.ConstantFolding.ToLong(stripped.ConstantValue.Value) : null;
    }

    /// <summary>
    /// Whether two operands certainly denote the same value source: the same local, parameter, or field of the
    /// same instance, or the same simple member chain (e.g. <c>pages.Length</c>).
    /// </summary>
    public static bool SameValueSource(IOperation left, IOperation right)
    {
        left = StripConversions(left);
        right = StripConversions(right);
        switch (left, right)
        {
            case (ILocalReferenceOperation a, ILocalReferenceOperation b):
                return SymbolEqualityComparer.Default.Equals(a.Local, b.Local);
            case (IParameterReferenceOperation a, IParameterReferenceOperation b):
                return SymbolEqualityComparer.Default.Equals(a.Parameter, b.Parameter);
            case (IFieldReferenceOperation a, IFieldReferenceOperation b):
                return SymbolEqualityComparer.Default.Equals(a.Field, b.Field)
                    && (a.Instance is null ? b.Instance is null : b.Instance is not null && SameValueSource(a.Instance, b.Instance));
            case (IPropertyReferenceOperation a, IPropertyReferenceOperation b):
                return a.Arguments.IsEmpty && b.Arguments.IsEmpty
                    && SymbolEqualityComparer.Default.Equals(a.Property, b.Property)
                    && (a.Instance is null ? b.Instance is null : b.Instance is not null && SameValueSource(a.Instance, b.Instance));
            case (IInstanceReferenceOperation, IInstanceReferenceOperation):
                return true;
            default:
                return false;
        }
    }
}
