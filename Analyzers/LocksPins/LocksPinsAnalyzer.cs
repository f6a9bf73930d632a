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

namespace FaultLine.Analyzers.LocksPins;

/// <summary>
/// FL4001-FL4007: the mmap lock and page pins along every path. Per method body: a syntax pre-filter (does it call
/// a lock, GUP, fault or release method by name?), then the bound body and its shared control-flow graph (<see cref="BodyGraph"/>), the mmap-lock
/// problem (<see cref="MmapLockAnalysis"/>) and the pin-obligation problem (<see cref="PinAnalysis"/>), each replayed
/// by its rules.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LocksPinsAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Simple names that make a body worth a graph.</summary>
    private static readonly ImmutableHashSet<string> InterestingNames = KnownSymbols.InterestingInvocationNames.Union(new[]
    {
        "MmapReadLock", "MmapWriteLock", "MmapReadLockKillable", "MmapReadTrylock", "MmapReadUnlock", "MmapWriteUnlock",
        "DownRead", "DownWrite", "DownReadKillable", "DownWriteKillable", "DownReadTrylock", "DownWriteTrylock", "UpRead", "UpWrite",
        "FixupUserFault", "FindVma", "VmaLookup", "UnpinUserPages", "UnpinUserPage", "PutPage",
    });

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.FL4001UnlockAfterLockedCall,
        Descriptors.FL4002GupWithoutLock,
        Descriptors.FL4003LockHeldAcrossUnlocked,
        Descriptors.FL4004VmaUsedAfterDrop,
        Descriptors.FL4005PagesNotReleased,
        Descriptors.FL4006PinGetMismatch,
        Descriptors.FL4007LockLeakedOrReleasedTwice);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(OnCompilationStart);
    }

    private static void OnCompilationStart(CompilationStartAnalysisContext context)
    {
        var symbols = KnownSymbols.Create(context.Compilation);
        if (symbols is null || symbols.MmStruct is null)
        {
            return;
        }

        var summaries = new MethodSummaries(context.Compilation, symbols);
        var releases = new PageReleaseSummaries(symbols);
        context.RegisterCodeBlockAction(block => AnalyzeBlock(block, symbols, summaries, releases));
    }

    private static void AnalyzeBlock(CodeBlockAnalysisContext context, KnownSymbols symbols, MethodSummaries summaries, PageReleaseSummaries releases)
    {
        // The syntax pre-filter comes before any binding; initializers are not checked (no lock is taken there).
        if (!PreFilter.MentionsInvocation(context.CodeBlock, InterestingNames.Contains)
            || BodyGraph.Create(context.CodeBlock, context.OwningSymbol, context.SemanticModel, context.CancellationToken) is not { } body
            || body.Root is not (IMethodBodyOperation or IConstructorBodyOperation or IBlockOperation))
        {
            return;
        }

        var reporter = new Reporter(context.ReportDiagnostic);
        Analyze(body.Graph, context.OwningSymbol, symbols, summaries, releases, reporter, context.CancellationToken);
        foreach (var nested in NestedGraphs.Of(body.Graph, context.CancellationToken))
        {
            Analyze(nested.Graph, nested.Symbol, symbols, summaries, releases, reporter, context.CancellationToken);
        }
    }

    private static void Analyze(
        ControlFlowGraph graph,
        ISymbol owner,
        KnownSymbols symbols,
        MethodSummaries summaries,
        PageReleaseSummaries releases,
        Reporter reporter,
        System.Threading.CancellationToken cancellationToken)
    {
        var flowContext = new FlowContext(graph, owner, symbols, summaries, new SummaryScope(cancellationToken));

        var lockAnalysis = new MmapLockAnalysis(flowContext);
        var locks = ForwardDataflow.Run(graph, lockAnalysis, cancellationToken);
        if (locks.Converged)
        {
            locks.Replay(new LockRules(lockAnalysis, symbols, reporter));
        }

        var pinAnalysis = new PinAnalysis(flowContext, releases);
        var pins = ForwardDataflow.Run(graph, pinAnalysis, cancellationToken);
        if (pins.Converged)
        {
            pins.Replay(new PinRules(pinAnalysis, symbols, reporter));
        }
    }

}
