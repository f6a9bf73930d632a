using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// How the FL3xxx rules name things across a method: a KSpinLock by its receiver as written (<c>ctx.Lock</c>), a
/// wait entry by its queue and entry arguments as written (<c>wq/entry</c>). Text, because the same field reached
/// through the same expression is what a reader means by "the same lock"; anything else compares unequal, which
/// only ever makes the rules quieter.
/// </summary>
internal static class SleepKeys
{
    public static string? Receiver(IInvocationOperation invocation) =>
        invocation.Instance is { } instance ? Text(instance) : null;

    /// <summary>The queue and entry of a PrepareToWait/FinishWait/AddWaitQueue/RemoveWaitQueue call.</summary>
    public static string WaitEntry(IInvocationOperation invocation)
    {
        var queue = Argument(invocation, 0);
        var entry = Argument(invocation, 1);
        return (queue is null ? "?" : Text(queue)) + "/" + (entry is null ? "?" : Text(entry));
    }

    /// <summary>The argument passed for parameter <paramref name="ordinal"/>, whatever the order it was written in.</summary>
    public static IOperation? Argument(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }

    public static (IOperation Operand, bool Negated) StripNot(IOperation condition)
    {
        var negated = false;
        var current = condition;
        for (var guard = 0; guard < 8; guard++)
        {
            current = Flow.Comparisons.StripConversions(current);
            if (current is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
            {
                negated = !negated;
                current = not.Operand;
                continue;
            }

            break;
        }

        return (current, negated);
    }

    /// <summary>
    /// Whether a branch condition can be a test of the wake condition: not a signal test, and not a test of the
    /// fault or GUP flags (those are the caller's inputs, never what a waker changes).
    /// </summary>
    public static bool IsWakeConditionTest(IOperation condition, SleepSymbols symbols)
    {
        if (IsSignalTest(condition, symbols))
        {
            return false;
        }

        foreach (var operation in condition.DescendantsAndSelf())
        {
            if (operation.Type is { TypeKind: TypeKind.Enum } type
                && type.ContainingAssembly?.Name == KnownSymbols.RuntimeAssemblyName
                && type.Name is "FaultFlags" or "FollFlags")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether a branch condition only asks whether a signal is pending.</summary>
    public static bool IsSignalTest(IOperation condition, SleepSymbols symbols)
    {
        var (operand, _) = StripNot(condition);
        return SignalCheckKindOf(operand, symbols) != SignalCheck.None;
    }

    /// <summary>What kind of signal test an operation is, by itself (not its operands).</summary>
    public static SignalCheck SignalCheckKindOf(IOperation operation, SleepSymbols symbols)
    {
        switch (operation)
        {
            case IPropertyReferenceOperation property when Is(property.Property.ContainingType, symbols.KernelTask):
                return property.Property.Name switch
                {
                    "SignalPending" => SignalCheck.Any,
                    "FatalSignalPending" => SignalCheck.Fatal,
                    _ => SignalCheck.None,
                };
            case IInvocationOperation invocation when Is(invocation.TargetMethod.ContainingType, symbols.Signals)
                && invocation.TargetMethod.Name.Contains("Pending"):
                // fault_signal_pending (rule 5): any signal only for a user-mode fault; in kernel mode only a fatal
                // one, which is how case 8 spins.
                return invocation.TargetMethod.Name == "FaultSignalPending" && !UserModeIsTrue(invocation)
                    ? SignalCheck.Fatal
                    : SignalCheck.Any;
            default:
                return SignalCheck.None;
        }
    }

    private static bool UserModeIsTrue(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == "userMode")
            {
                return argument.Value.ConstantValue is { HasValue: true, Value: true };
            }
        }

        return false;
    }

    private static bool Is(INamedTypeSymbol? type, INamedTypeSymbol? known) =>
        type is not null && known is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);

    /// <summary>
    /// A name for what <paramref name="operation"/> refers to: <c>sl</c> and <c>this.sl</c> are the same field,
    /// <c>ctx.Lock</c> is <c>ctx</c>'s. Anything that is not a chain of locals, parameters, fields and properties
    /// is named by its text.
    /// </summary>
    private static string Text(IOperation operation)
    {
        var parts = new System.Collections.Generic.List<string>();
        var current = Flow.Comparisons.StripConversions(operation);
        for (var guard = 0; guard < 16; guard++)
        {
            switch (current)
            {
                case ILocalReferenceOperation local:
                    parts.Add(local.Local.Name);
                    return Join(parts);
                case IParameterReferenceOperation parameter:
                    parts.Add(parameter.Parameter.Name);
                    return Join(parts);
                case IInstanceReferenceOperation:
                    return Join(parts);
                case IFieldReferenceOperation field:
                    parts.Add(field.Field.Name);
                    if (field.Instance is null)
                    {
                        parts.Add(field.Field.ContainingType?.Name ?? string.Empty);
                        return Join(parts);
                    }

                    current = Flow.Comparisons.StripConversions(field.Instance);
                    continue;
                case IPropertyReferenceOperation { Arguments.Length: 0 } property:
                    parts.Add(property.Property.Name);
                    if (property.Instance is null)
                    {
                        parts.Add(property.Property.ContainingType?.Name ?? string.Empty);
                        return Join(parts);
                    }

                    current = Flow.Comparisons.StripConversions(property.Instance);
                    continue;
            }

            break;
        }

        var builder = new System.Text.StringBuilder();
        foreach (var token in current.Syntax.DescendantTokens())
        {
            builder.Append(token.ValueText);
        }

        parts.Add(builder.ToString());
        return Join(parts);
    }

    private static string Join(System.Collections.Generic.List<string> reversed)
    {
        reversed.Reverse();
        return string.Join(".", reversed);
    }
}

/// <summary>How strong a signal test is (rule 45: a TaskState.Interruptible sleep is woken by any signal).</summary>
internal enum SignalCheck
{
    None,

    /// <summary>Only SIGKILL: enough for a Killable sleep, not for an Interruptible one.</summary>
    Fatal,

    /// <summary>Any signal.</summary>
    Any,
}
