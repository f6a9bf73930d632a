using System.Collections.Generic;
using System.Collections.Immutable;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// FL2001-FL2005: the return contract of a fault handler (SEMANTICS.md rule 34). A handler is an override of
/// <c>VmOperations.Fault</c> or <c>PageMkwrite</c>, or a lambda taking a VmFault and returning a VmFaultResult; helpers
/// it passes its VmFault to are read from its calls, in the context of its flag facts (a helper alone is not reported:
/// its caller may have tested the flags for it). Per handler: a pre-filter (an override, a symbol check; or a lambda in the
/// syntax, bound to tell whether it is a handler), the body's shared control-flow graph (<see cref="BodyGraph"/>), one <see cref="FaultFlagFactsAnalysis"/> (flag bits known on each path, the mmap-lock fact), then each rule;
/// a handler that both releases and re-takes the mmap lock gets one more pass (<see cref="RetakenLockAnalysis"/>, FL2003's re-take case).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FaultHandlersAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.FL2001SleepUnderRetryNowait,
        Descriptors.FL2002RetryWithoutAllowRetry,
        Descriptors.FL2003RetryWithLockHeld,
        Descriptors.FL2004UnlockUnderRetryNowait,
        Descriptors.FL2005UninterruptibleSleep);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(OnCompilationStart);
    }

    private static void OnCompilationStart(CompilationStartAnalysisContext context)
    {
        if (KnownSymbols.Create(context.Compilation) is null || FaultHandlerSymbols.Create(context.Compilation) is not { } symbols
            || symbols.VmOperations is null)
        {
            // FaultLine.Runtime is not referenced: nothing to check in this compilation.
            return;
        }

        var summaries = new FaultHandlerSummaries(context.Compilation, symbols, new MaySleepSummaries(context.Compilation));
        context.RegisterCodeBlockAction(block => AnalyzeBlock(block, summaries));
    }

    private static void AnalyzeBlock(CodeBlockAnalysisContext context, FaultHandlerSummaries summaries)
    {
        // The pre-filters, before any binding: an override of VmOperations.Fault / PageMkwrite (a symbol check), or a
        // lambda in the syntax (which may be a handler: that needs the bound tree to tell). Nothing else gets a graph.
        var symbols = summaries.Symbols;
        var owner = context.OwningSymbol as IMethodSymbol;
        var ownerVmf = owner is not null && IsHandler(owner, symbols) ? symbols.HandlerParameter(owner) : null;
        if ((ownerVmf is null && !PreFilter.HasAnonymousFunction(context.CodeBlock))
            || BodyGraph.Create(context.CodeBlock, context.OwningSymbol, context.SemanticModel, context.CancellationToken) is not { } body)
        {
            return;
        }

        if (ownerVmf is not null && owner is not null && body.Root is IMethodBodyOperation or IBlockOperation)
        {
            AnalyzeHandler(owner, ownerVmf, body.Graph, summaries, context);
        }

        foreach (var nested in NestedGraphs.Of(body.Graph, context.CancellationToken))
        {
            // A lambda that takes a VmFault and returns a VmFaultResult is a handler (Func<VmFault, VmFaultResult>).
            if (IsLambdaHandler(nested.Symbol, symbols) && symbols.HandlerParameter(nested.Symbol) is { } lambdaVmf)
            {
                AnalyzeHandler(nested.Symbol, lambdaVmf, nested.Graph, summaries, context);
            }
        }
    }

    private static void AnalyzeHandler(
        IMethodSymbol method,
        IParameterSymbol vmf,
        Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph graph,
        FaultHandlerSummaries summaries,
        CodeBlockAnalysisContext context)
    {
        var conditions = new FaultFlagFactsConditions(summaries.Symbols, vmf, summaries.HelperTest);
        var analysis = new FaultFlagFactsAnalysis(
            conditions,
            LocalWrites.CapturedAndWritten(graph, context.CancellationToken),
            FaultFlagFacts.Start(0, 0, HandlerLockFacts.Held),
            callee => summaries.MmapRelease.MayRelease(callee, context.CancellationToken));
        var result = ForwardDataflow.Run(graph, analysis, context.CancellationToken);
        if (!result.Converged)
        {
            // The solver gave up: its states are not a fixed point, so say nothing.
            return;
        }

        var handler = new HandlerContext(method, conditions, result, summaries, context.ReportDiagnostic, context.CancellationToken);
        SleepUnderNowaitRule.Analyze(handler);
        var facts = HandlerFacts.Collect(handler);
        RetryReturnRules.Analyze(facts);
        RetakenLockRule.Analyze(facts);
        UnlockUnderNowaitRule.Analyze(facts);
        UninterruptibleSleepRule.Analyze(facts);
    }

    private static bool IsLambdaHandler(IMethodSymbol lambda, FaultHandlerSymbols symbols) =>
        lambda.MethodKind == MethodKind.AnonymousFunction && symbols.IsVmFaultResult(lambda.ReturnType) && symbols.HandlerParameter(lambda) is not null;

    /// <summary>An override (at any depth) of <c>VmOperations.Fault</c> or <c>VmOperations.PageMkwrite</c>.</summary>
    internal static bool IsHandler(IMethodSymbol method, FaultHandlerSymbols symbols)
    {
        if (!method.IsOverride || method.Name is not ("Fault" or "PageMkwrite"))
        {
            return false;
        }

        for (var current = method.OverriddenMethod; current is not null; current = current.OverriddenMethod)
        {
            if (SymbolEqualityComparer.Default.Equals(current.ContainingType?.OriginalDefinition, symbols.VmOperations))
            {
                return true;
            }
        }

        return false;
    }
}
