using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// FL1001-FL1009: the rules for code that calls GUP (<c>FaultLine.Gup</c>) and <c>MmFault.HandleMmFault</c>.
/// Per method body: a syntax pre-filter (does it call any of them by name?), then one control-flow graph from the
/// driver (shared with the other rule families), one <see cref="GupMethodFacts"/> per graph and its lambdas, and
/// each rule reads the facts.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GupCallersAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableArray<IGupRule> Rules = ImmutableArray.Create<IGupRule>(
        new InterruptibleWithoutLockedRule(),
        new ResultDiscardedRule(),
        new PartialCountRule(),
        new InterruptConvertedRule(),
        new RetryLoopRule(),
        new LockedNotTrueRule(),
        new InterruptibleWithNowaitRule(),
        new SimplerFormRule(),
        new FlagRejectedByFastRule());

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.FL1001InterruptibleWithoutLocked,
        Descriptors.FL1002ResultDiscarded,
        Descriptors.FL1003PartialCountNotHandled,
        Descriptors.FL1004InterruptConverted,
        Descriptors.FL1005RetryLoopIgnoresSignals,
        Descriptors.FL1006LockedNotTrue,
        Descriptors.FL1007InterruptibleWithNowait,
        Descriptors.FL1008SimplerFormAvailable,
        Descriptors.FL1009FlagRejectedByFast);

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
        if (symbols is null)
        {
            // FaultLine.Runtime is not referenced: nothing to check in this compilation.
            return;
        }

        var summaries = new MethodSummaries(context.Compilation, symbols);
        context.RegisterOperationBlockAction(block => AnalyzeBlocks(block, symbols, summaries));
    }

    private static void AnalyzeBlocks(OperationBlockAnalysisContext context, KnownSymbols symbols, MethodSummaries summaries)
    {
        if (!PreFilter.MentionsInvocation(context.OperationBlocks, KnownSymbols.InterestingInvocationNames.Contains, context.CancellationToken))
        {
            return;
        }

        var reporter = new Reporter(context.ReportDiagnostic);
        var analyzed = new HashSet<Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph>();
        foreach (var block in context.OperationBlocks)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            if (!PreFilter.IsExecutable(block) || MethodSummaries.HasErrors(block))
            {
                // Half-typed code: wait until it binds rather than guess.
                continue;
            }

            // The driver builds (and caches) the graph of the block's root: the method body, an initializer.
            var graph = context.GetControlFlowGraph(block);
            if (!analyzed.Add(graph))
            {
                continue;
            }

            var readLocals = ReadLocals(block);
            Analyze(graph, context.OwningSymbol, symbols, summaries, readLocals, block.SemanticModel, reporter, context);
            foreach (var nested in NestedGraphs.Of(graph, context.CancellationToken))
            {
                Analyze(nested.Graph, nested.Symbol, symbols, summaries, readLocals, block.SemanticModel, reporter, context);
            }
        }
    }

    private static void Analyze(
        Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph graph,
        ISymbol owner,
        KnownSymbols symbols,
        MethodSummaries summaries,
        ImmutableHashSet<ILocalSymbol> readLocals,
        SemanticModel? model,
        Reporter reporter,
        OperationBlockAnalysisContext context)
    {
        var flowContext = new FlowContext(graph, owner, symbols, summaries, new SummaryScope(context.CancellationToken));
        var facts = GupMethodFacts.Create(flowContext, readLocals, model);
        if (facts is null)
        {
            return;
        }

        foreach (var rule in Rules)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            rule.Analyze(facts, reporter);
        }
    }

    /// <summary>Locals the body reads anywhere, lambdas included (a <c>ref</c> argument reads too).</summary>
    private static ImmutableHashSet<ILocalSymbol> ReadLocals(IOperation block)
    {
        var builder = ImmutableHashSet.CreateBuilder<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var operation in block.DescendantsAndSelf())
        {
            if (operation is ILocalReferenceOperation local && !IsPureWrite(local))
            {
                builder.Add(local.Local);
            }
        }

        return builder.ToImmutable();
    }

    private static bool IsPureWrite(ILocalReferenceOperation local) => local.Parent switch
    {
        ISimpleAssignmentOperation assignment => assignment.Target == local,
        IArgumentOperation argument => argument.Parameter?.RefKind == RefKind.Out,
        IDeclarationExpressionOperation => true,
        _ => false,
    };
}

/// <summary>One FL1xxx rule, stated over <see cref="GupMethodFacts"/>.</summary>
internal interface IGupRule
{
    void Analyze(GupMethodFacts facts, Reporter reporter);
}

/// <summary>Reports each diagnostic once, however many graphs or paths find it.</summary>
internal sealed class Reporter
{
    private readonly System.Action<Diagnostic> report;
    private readonly HashSet<(string, Location)> reported = new();

    public Reporter(System.Action<Diagnostic> report)
    {
        this.report = report;
    }

    public void Report(Diagnostic diagnostic)
    {
        if (reported.Add((diagnostic.Id, diagnostic.Location)))
        {
            report(diagnostic);
        }
    }
}
