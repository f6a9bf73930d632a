using System;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>Folds integral and enum expressions to a <see cref="ConstantSet"/>.</summary>
internal static class ConstantFolding
{
    public static bool IsIntegralOrEnum(ITypeSymbol? type)
    {
        if (type is null)
        {
            return false;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        return type.SpecialType is SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16
            or SpecialType.System_UInt16 or SpecialType.System_Int32 or SpecialType.System_UInt32
            or SpecialType.System_Int64 or SpecialType.System_UInt64;
    }

    public static long? ToLong(object? value) => value switch
    {
        int i => i,
        long l => l,
        short s => s,
        sbyte sb => sb,
        byte b => b,
        ushort us => us,
        uint ui => ui,
        ulong ul => unchecked((long)ul),
        _ => null,
    };

    /// <summary>
    /// Deeper expressions fold to Unknown (the lattice top, so no rule concludes anything from them): the fold
    /// recurses, and a generated chain of thousands of additions must not overflow the stack.
    /// </summary>
    private const int MaxDepth = 64;

    public static ConstantSet Evaluate(IOperation? expression, ConstantsState state, MethodSummaries? summaries, SummaryScope? scope) =>
        Evaluate(expression, state, summaries, scope, depth: 0);

    private static ConstantSet Evaluate(IOperation? expression, ConstantsState state, MethodSummaries? summaries, SummaryScope? scope, int depth)
    {
        if (expression is null || depth > MaxDepth)
        {
            return ConstantSet.Unknown;
        }

        if (expression.ConstantValue.HasValue)
        {
            return ToLong(expression.ConstantValue.Value) is { } constant ? ConstantSet.Of(constant) : ConstantSet.Unknown;
        }

        switch (expression)
        {
            case ILocalReferenceOperation local:
                return state.ValueOf(local.Local);

            case IParameterReferenceOperation parameter:
                // Unknown on entry; known only after the body assigns it.
                return state.ValueOf(parameter.Parameter);

            case IFlowCaptureReferenceOperation capture:
                return state.ValueOf(capture.Id);

            case IConversionOperation conversion when IsIntegralOrEnum(conversion.Type) && IsIntegralOrEnum(conversion.Operand.Type):
                return Evaluate(conversion.Operand, state, summaries, scope, depth + 1);

            case IParenthesizedOperation parenthesized:
                return Evaluate(parenthesized.Operand, state, summaries, scope, depth + 1);

            case IBinaryOperation binary:
                return Binary(binary.OperatorKind, Evaluate(binary.LeftOperand, state, summaries, scope, depth + 1), Evaluate(binary.RightOperand, state, summaries, scope, depth + 1));

            case IUnaryOperation unary:
                var operand = Evaluate(unary.Operand, state, summaries, scope, depth + 1);
                return unary.OperatorKind switch
                {
                    UnaryOperatorKind.BitwiseNegation => operand.Complement(),
                    UnaryOperatorKind.Minus => operand.Map(v => -v),
                    UnaryOperatorKind.Plus => operand,
                    _ => ConstantSet.Unknown,
                };

            case IConditionalOperation conditional when conditional.WhenFalse is not null:
                // Only outside a graph (a graph turns conditionals into flow captures).
                return Evaluate(conditional.WhenTrue, state, summaries, scope, depth + 1).Join(Evaluate(conditional.WhenFalse, state, summaries, scope, depth + 1));

            case ISimpleAssignmentOperation assignment:
                return Evaluate(assignment.Value, state, summaries, scope, depth + 1);

            case IDefaultValueOperation:
                return ConstantSet.Of(0);

            case IInvocationOperation invocation when summaries is not null && scope is not null && IsIntegralOrEnum(invocation.Type):
                return summaries.ReturnedConstants(invocation.TargetMethod, scope);

            case IPropertyReferenceOperation { Arguments.IsEmpty: true } property
                when summaries is not null && scope is not null && IsIntegralOrEnum(property.Type) && property.Property.GetMethod is { } getter:
                return summaries.ReturnedConstants(getter, scope);

            case IFieldReferenceOperation field when summaries is not null && scope is not null && IsIntegralOrEnum(field.Type):
                return summaries.ReadonlyFieldConstants(field.Field, scope);

            default:
                return ConstantSet.Unknown;
        }
    }

    public static ConstantSet Binary(BinaryOperatorKind kind, ConstantSet left, ConstantSet right)
    {
        switch (kind)
        {
            case BinaryOperatorKind.Or:
                return left.Or(right);
            case BinaryOperatorKind.And:
                return left.And(right);
            case BinaryOperatorKind.ExclusiveOr:
                return left.Xor(right);
        }

        Func<long, long, long?>? op = kind switch
        {
            BinaryOperatorKind.Add => (a, b) => a + b,
            BinaryOperatorKind.Subtract => (a, b) => a - b,
            BinaryOperatorKind.Multiply => (a, b) => a * b,
            BinaryOperatorKind.LeftShift => (a, b) => b is >= 0 and < 64 ? a << (int)b : null,
            BinaryOperatorKind.RightShift => (a, b) => b is >= 0 and < 64 ? a >> (int)b : null,
            _ => null,
        };
        return op is null ? ConstantSet.Unknown : left.Combine(right, op);
    }
}
