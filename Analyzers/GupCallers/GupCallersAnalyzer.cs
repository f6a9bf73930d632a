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
/// Per code block: a syntax pre-filter (does it call any of them by name?), then the bound body and one control-flow
/// graph (<see cref="BodyGraph"/>, shared with the other rule families), one <see cref="GupMethodFacts"/> per graph and its lambdas, and
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
        context.RegisterCodeBlockAction(block => AnalyzeBlock(block, symbols, summaries));
    }

    private static void AnalyzeBlock(CodeBlockAnalysisContext context, KnownSymbols symbols, MethodSummaries summaries)
    {
        // The syntax pre-filter comes before any binding: most bodies never call GUP.
        if (!PreFilter.MentionsInvocation(context.CodeBlock, KnownSymbols.InterestingInvocationNames.Contains)
            || BodyGraph.Create(context.CodeBlock, context.OwningSymbol, context.SemanticModel, context.CancellationToken) is not { } body)
        {
            return;
        }

        var reporter = new Reporter(context.ReportDiagnostic);
        var readLocals = ReadLocals(body.Root);
        Analyze(body.Graph, context.OwningSymbol, symbols, summaries, readLocals, body.Model, reporter, context.CancellationToken);
        foreach (var nested in NestedGraphs.Of(body.Graph, context.CancellationToken))
        {
            Analyze(nested.Graph, nested.Symbol, symbols, summaries, readLocals, body.Model, reporter, context.CancellationToken);
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
        System.Threading.CancellationToken cancellationToken)
    {
        var flowContext = new FlowContext(graph, owner, symbols, summaries, new SummaryScope(cancellationToken));
        var facts = GupMethodFacts.Create(flowContext, readLocals, model);
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
