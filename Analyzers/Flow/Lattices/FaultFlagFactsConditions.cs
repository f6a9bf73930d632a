using System;
using FaultLine.Analyzers.FaultHandlers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Recognizes the spellings of a test of the handler's <c>vmf.Flags</c>: <c>(flags &amp; F) != 0</c> and
/// <c>== 0</c>, <c>(flags &amp; F) == F</c>, <c>flags.HasFlag(F)</c>, <c>MmFault.FaultFlagAllowRetryFirst(flags)</c>,
/// <c>!test</c>, a bool local holding a test, and a helper method (or extension property) returning such a test of its VmFault argument;
/// <c>flags</c> is <c>vmf.Flags</c> or a local holding it. Anything else is not a test (null), which refines nothing.
/// </summary>
internal sealed class FaultFlagFactsConditions
{
    private readonly FaultHandlerSymbols symbols;
    private readonly IParameterSymbol vmf;
    private readonly Func<IMethodSymbol, IParameterSymbol, FaultFlagTest?>? helperTest;

    public FaultFlagFactsConditions(FaultHandlerSymbols symbols, IParameterSymbol vmf, Func<IMethodSymbol, IParameterSymbol, FaultFlagTest?>? helperTest)
    {
        this.symbols = symbols;
        this.vmf = vmf;
        this.helperTest = helperTest;
    }

    public FaultHandlerSymbols Symbols => symbols;

    public IParameterSymbol Vmf => vmf;

    public FaultFlagTest? Recognize(IOperation operation, FaultFlagFacts state)
    {
        // Only a chain of negations nests here; each step strips one, so the loop stays flat.
        var negate = false;
        operation = Comparisons.StripConversions(operation);
        while (operation is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negate = !negate;
            operation = Comparisons.StripConversions(not.Operand);
        }

        var test = RecognizeAtom(operation, state);
        return test is { } value && negate ? value.Negate() : test;
    }

    /// <summary>Whether <paramref name="operation"/> reads the handler's flags: <c>vmf.Flags</c> or a local holding it.</summary>
    public bool IsFlags(IOperation operation, FaultFlagFacts state)
    {
        operation = Comparisons.StripConversions(operation);
        return operation switch
        {
            IPropertyReferenceOperation { Property.Name: "Flags" } property =>
                symbols.IsVmFault(property.Property.ContainingType) && IsVmf(property.Instance),
            ILocalReferenceOperation local => state.FlagsLocals.Contains(local.Local),
            _ => false,
        };
    }

    public bool IsVmf(IOperation? operation) =>
        operation is not null
        && Comparisons.StripConversions(operation) is IParameterReferenceOperation parameter
        && SymbolEqualityComparer.Default.Equals(parameter.Parameter, vmf);

    private FaultFlagTest? RecognizeAtom(IOperation operation, FaultFlagFacts state)
    {
        switch (operation)
        {
            case ILocalReferenceOperation local when state.Tests.TryGetValue(local.Local, out var held):
                return held;

            case IFlowCaptureReferenceOperation capture when state.Captures.TryGetValue(capture.Id, out var captured):
                return captured;

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical:
                // Only in trees that were not lowered to a graph (a helper's returned expression).
                return Logical(logical, state);

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison:
            {
                var test = MaskComparison(comparison.LeftOperand, comparison.RightOperand, state)
                    ?? MaskComparison(comparison.RightOperand, comparison.LeftOperand, state);
                return test is { } value && comparison.OperatorKind == BinaryOperatorKind.Equals ? value.Negate() : test;
            }

            case IInvocationOperation { TargetMethod.Name: "HasFlag" } hasFlag
                when hasFlag.Instance is { } instance && IsFlags(instance, state) && hasFlag.Arguments.Length == 1
                    && Constant(hasFlag.Arguments[0].Value) is { } mask && mask != 0:
                return FaultFlagTest.AllSet(mask);

            case IInvocationOperation first when symbols.IsAllowRetryFirst(first.TargetMethod)
                && first.Arguments.Length == 1 && IsFlags(first.Arguments[0].Value, state):
                // AllowRetry set and Tried clear when true; when false either may hold, so nothing is learnt.
                return new FaultFlagTest(symbols.AllowRetry, symbols.Tried, 0, 0);

            case IPropertyReferenceOperation { Property.GetMethod: { } getter } property when helperTest is not null && IsVmf(property.Instance):
                // A C# 14 extension property of VmFault read on the handler's VmFault (vmf.IsNowait): like an extension method.
                return helperTest(getter, vmf);

            case IInvocationOperation helper when helperTest is not null:
                foreach (var argument in helper.Arguments)
                {
                    if (argument.Parameter is { } parameter && symbols.IsVmFault(parameter.Type) && IsVmf(argument.Value))
                    {
                        return helperTest(helper.TargetMethod, parameter);
                    }
                }

                return null;

            default:
                return null;
        }
    }

    private FaultFlagTest? Logical(IBinaryOperation logical, FaultFlagFacts state)
    {
        var left = Recognize(logical.LeftOperand, state);
        var right = Recognize(logical.RightOperand, state);
        if (left is null && right is null)
        {
            return null;
        }

        var l = left ?? new FaultFlagTest(0, 0, 0, 0);
        var r = right ?? new FaultFlagTest(0, 0, 0, 0);
        return logical.OperatorKind == BinaryOperatorKind.ConditionalAnd
            ? new FaultFlagTest(l.TrueSet | r.TrueSet, l.TrueClear | r.TrueClear, 0, 0)
            : new FaultFlagTest(0, 0, l.FalseSet | r.FalseSet, l.FalseClear | r.FalseClear);
    }

    /// <summary>
    /// <c>(flags &amp; M) != C</c> as a "not equal" test, for <paramref name="masked"/> = <c>flags &amp; M</c> and
    /// <paramref name="compared"/> = C, where C is 0 or M.
    /// </summary>
    private FaultFlagTest? MaskComparison(IOperation masked, IOperation compared, FaultFlagFacts state)
    {
        if (Constant(compared) is not { } value)
        {
            return null;
        }

        masked = Comparisons.StripConversions(masked);
        if (masked is not IBinaryOperation { OperatorKind: BinaryOperatorKind.And } and)
        {
            return null;
        }

        long? mask = null;
        if (IsFlags(and.LeftOperand, state))
        {
            mask = Constant(and.RightOperand);
        }
        else if (IsFlags(and.RightOperand, state))
        {
            mask = Constant(and.LeftOperand);
        }

        if (mask is not { } bits || bits == 0)
        {
            return null;
        }

        if (value == 0)
        {
            return FaultFlagTest.AnySet(bits);
        }

        // (flags & M) != M is true when some bit of M is clear.
        return value == bits ? FaultFlagTest.AllSet(bits).Negate() : null;
    }

    private static long? Constant(IOperation operation)
    {
        var constant = operation.ConstantValue;
        if (!constant.HasValue || constant.Value is null)
        {
            operation = Comparisons.StripConversions(operation);
            constant = operation.ConstantValue;
            if (!constant.HasValue || constant.Value is null)
            {
                return null;
            }
        }

        return constant.Value switch
        {
            int i => i,
            long l => l,
            uint u => u,
            ulong ul => unchecked((long)ul),
            short s => s,
            ushort us => us,
            byte b => b,
            sbyte sb => sb,
            _ => null,
        };
    }
}
