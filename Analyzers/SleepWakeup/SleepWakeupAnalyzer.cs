using System.Collections.Generic;
using System.Collections.Immutable;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.Flow.Summaries;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>
/// FL3001-FL3007: sleeping and waking (SEMANTICS.md rules 40-46). Per method body: a syntax pre-filter (does it
/// name a scheduler, wait or spinlock call, or is it [MustNotSleep]?), then the bound body and its control-flow graph (<see cref="BodyGraph"/>, shared
/// with the other families), the task-state problem solved once per graph and its lambdas
/// (<see cref="SleepMethodFacts"/>), and each rule reads the facts.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class SleepWakeupAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableArray<ISleepRule> Rules = ImmutableArray.Create<ISleepRule>(
        new NoRecheckRule(),
        new LostWakeupRule(),
        new ScheduleWhileRunningRule(),
        new SignalIgnoredRule(),
        new StateNotRestoredRule(),
        new SleepInAtomicRule(),
        new BlockingAfterStateSetRule());

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.FL3001ScheduleWithoutRecheck,
        Descriptors.FL3002ConditionTestedBeforeState,
        Descriptors.FL3003ScheduleWhileRunning,
        Descriptors.FL3004WaitLoopIgnoresSignals,
        Descriptors.FL3005StateNotRestored,
        Descriptors.FL3006SleepInAtomicContext,
        Descriptors.FL3007BlockingAfterStateSet);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(OnCompilationStart);
    }

    private static void OnCompilationStart(CompilationStartAnalysisContext context)
    {
        var known = KnownSymbols.Create(context.Compilation);
        var symbols = known is null ? null : SleepSymbols.Create(context.Compilation);
        if (known is null || symbols is null)
        {
            // FaultLine.Runtime is not referenced: nothing to check in this compilation.
            return;
        }

        var summaries = new MethodSummaries(context.Compilation, known);
        var stateSummaries = new TaskStateSummaries(context.Compilation, symbols);
        var sleepSummaries = new MaySleepSummaries(context.Compilation);
        context.RegisterCodeBlockAction(block => AnalyzeBlock(block, new SleepSummaries(summaries, stateSummaries, sleepSummaries), symbols, known));
    }

    private static void AnalyzeBlock(CodeBlockAnalysisContext context, SleepSummaries summaries, SleepSymbols symbols, KnownSymbols known)
    {
        // A symbol check ([MustNotSleep]) or the syntax pre-filter, before any binding.
        var mustNotSleep = symbols.HasMustNotSleep(context.OwningSymbol);
        if ((!mustNotSleep && !PreFilter.MentionsInvocation(context.CodeBlock, SleepSymbols.InterestingNames.Contains))
            || BodyGraph.Create(context.CodeBlock, context.OwningSymbol, context.SemanticModel, context.CancellationToken) is not { } body)
        {
            return;
        }

        var reporter = new Reporter(context.ReportDiagnostic);
        var owner = context.OwningSymbol as IMethodSymbol;
        Analyze(body.Graph, owner, EntryState(owner, symbols), context.CancellationToken, symbols, known, summaries, reporter);
        foreach (var nested in NestedGraphs.Of(body.Graph, context.CancellationToken))
        {
            var entry = IsTaskBody(nested.Symbol, body.Model, symbols, context.CancellationToken) ? TaskStateBits.Running : TaskStateBits.Entry;
            Analyze(nested.Graph, nested.Symbol, entry, context.CancellationToken, symbols, known, summaries, reporter);
        }
    }

    private static void Analyze(
        ControlFlowGraph graph,
        IMethodSymbol? method,
        TaskStateBits entry,
        System.Threading.CancellationToken cancellationToken,
        SleepSymbols symbols,
        KnownSymbols known,
        SleepSummaries summaries,
        Reporter reporter)
    {
        var facts = SleepMethodFacts.Create(graph, method, entry, symbols, known, summaries, new SummaryScope(cancellationToken));
        if (facts is null)
        {
            return;
        }

        foreach (var rule in Rules)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rule.Analyze(facts, reporter);
        }
    }

    /// <summary>
    /// The state a method starts in. A fault handler (<c>VmOperations.Fault</c>/<c>PageMkwrite</c>) runs Running
    /// (handle_mm_fault sets it, rule 29); any other method may be a helper called after its caller set the state.
    /// </summary>
    private static TaskStateBits EntryState(IMethodSymbol? method, SleepSymbols symbols)
    {
        for (var overridden = method?.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
        {
            if (symbols.VmOperations is not null && SymbolEqualityComparer.Default.Equals(overridden.ContainingType, symbols.VmOperations))
            {
                return TaskStateBits.Running;
            }
        }

        return TaskStateBits.Entry;
    }

    /// <summary>A lambda passed to <c>KernelTask.Start</c>: the body of a new task, which starts Running.</summary>
    private static bool IsTaskBody(IMethodSymbol lambda, SemanticModel? model, SleepSymbols symbols, System.Threading.CancellationToken cancellationToken)
    {
        if (model is null || lambda.MethodKind != MethodKind.AnonymousFunction || lambda.DeclaringSyntaxReferences.Length != 1)
        {
            return false;
        }

        var syntax = lambda.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        if (syntax.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } }
            || invocation.SyntaxTree != model.SyntaxTree)
        {
            return false;
        }

        return model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { Name: "Start" } start
            && symbols.KernelTask is not null
            && SymbolEqualityComparer.Default.Equals(start.ContainingType, symbols.KernelTask);
    }

}

/// <summary>The per-compilation summaries the FL3xxx rules read.</summary>
internal sealed class SleepSummaries
{
    public SleepSummaries(MethodSummaries methods, TaskStateSummaries taskStates, MaySleepSummaries maySleep)
    {
        Methods = methods;
        TaskStates = taskStates;
        MaySleep = maySleep;
    }

    /// <summary>Shared helper facts (does a helper test for signals?).</summary>
    public MethodSummaries Methods { get; }

    /// <summary>What a helper does to the task state (the lattice's transfer of a helper call).</summary>
    public TaskStateSummaries TaskStates { get; }

    /// <summary>Whether a helper may sleep, with the chain that proves it (FL2001's summary, shared; FL3006).</summary>
    public MaySleepSummaries MaySleep { get; }
}

/// <summary>One FL3xxx rule, stated over <see cref="SleepMethodFacts"/>.</summary>
internal interface ISleepRule
{
    void Analyze(SleepMethodFacts facts, Reporter reporter);
}
