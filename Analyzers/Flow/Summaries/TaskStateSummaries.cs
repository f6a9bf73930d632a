using System.Collections.Concurrent;
using FaultLine.Analyzers.SleepWakeup;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>What calling one of the user's helpers does to the task state.</summary>
internal enum HelperSleepEffect
{
    /// <summary>Neither sleeps nor touches the state.</summary>
    None,

    /// <summary>May sleep (through Schedule, a sleeping lock, a wait, ...): the task is Running after it (rule 46).</summary>
    MaySleep,

    /// <summary>Sets the state or queues/dequeues itself: what the caller's state is after it is unknown.</summary>
    TouchesState,

    /// <summary>No body we can read (virtual, interface, abstract, another assembly's source): unknown.</summary>
    Unreadable,
}

/// <summary>
/// Per compilation, what each helper method does to the task state, read from its body and the helpers it calls
/// (bounded and cycle-safe through <see cref="SummaryScope"/>; answers computed in a truncated chain are not
/// cached). Only the task-state lattice reads this; whether a helper may sleep for FL3006 is FL2001's summary.
/// </summary>
internal sealed class TaskStateSummaries
{
    private readonly Compilation compilation;
    private readonly SleepSymbols symbols;
    private readonly ConcurrentDictionary<IMethodSymbol, HelperSleepEffect> effects = new(SymbolEqualityComparer.Default);

    public TaskStateSummaries(Compilation compilation, SleepSymbols symbols)
    {
        this.compilation = compilation;
        this.symbols = symbols;
    }

    public HelperSleepEffect Effect(IMethodSymbol method, SummaryScope scope)
    {
        method = (method.PartialImplementationPart ?? method).OriginalDefinition;
        if (effects.TryGetValue(method, out var cached))
        {
            return cached;
        }

        if (!scope.TryEnter(method))
        {
            return HelperSleepEffect.Unreadable;
        }

        try
        {
            var value = Compute(method, scope);
            if (!scope.WasTruncated)
            {
                effects.TryAdd(method, value);
            }

            return value;
        }
        finally
        {
            scope.Exit(method);
        }
    }

    private HelperSleepEffect Compute(IMethodSymbol method, SummaryScope scope)
    {
        var body = ReadBody(method, scope);
        if (body is null)
        {
            return HelperSleepEffect.Unreadable;
        }

        var effect = HelperSleepEffect.None;
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation is not IInvocationOperation invocation)
            {
                continue;
            }

            switch (symbols.Classify(invocation.TargetMethod))
            {
                case SleepCallKind.SetCurrentState:
                case SleepCallKind.PrepareToWait:
                case SleepCallKind.FinishWait:
                    return HelperSleepEffect.TouchesState;
                case SleepCallKind.Schedule:
                case SleepCallKind.ScheduleTimeout:
                case SleepCallKind.MaySleep:
                    effect = HelperSleepEffect.MaySleep;
                    break;
                case SleepCallKind.Helper:
                    var inner = Effect(invocation.TargetMethod, scope);
                    if (inner is HelperSleepEffect.TouchesState or HelperSleepEffect.Unreadable)
                    {
                        return inner;
                    }

                    if (inner == HelperSleepEffect.MaySleep)
                    {
                        effect = HelperSleepEffect.MaySleep;
                    }

                    break;
            }
        }

        return effect;
    }

    private IOperation? ReadBody(IMethodSymbol method, SummaryScope scope)
    {
        if (method.IsAbstract || method.IsExtern || method.IsVirtual || (method.IsOverride && !method.IsSealed)
            || method.ContainingType?.TypeKind == TypeKind.Interface
            || method.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        var reference = method.DeclaringSyntaxReferences[0];
        if (!compilation.ContainsSyntaxTree(reference.SyntaxTree))
        {
            return null;
        }

        var syntax = reference.GetSyntax(scope.CancellationToken);
        var operation = SemanticModelFor(reference.SyntaxTree).GetOperation(syntax, scope.CancellationToken);
        return operation is null || MethodSummaries.HasErrors(operation) ? null : operation;
    }

#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
    // As in MethodSummaries: helpers in other files are read on demand, once per compilation (cached above).
    private SemanticModel SemanticModelFor(SyntaxTree tree) => compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
}
