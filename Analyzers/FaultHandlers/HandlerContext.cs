using System.Collections.Generic;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>One fault handler being analysed: its symbol, its VmFault parameter, the solved flag/lock facts.</summary>
internal sealed class HandlerContext
{
    private readonly System.Action<Diagnostic> report;

    public HandlerContext(
        IMethodSymbol handler, FaultFlagFactsConditions conditions, FlowResult<FaultFlagFacts> result, FaultHandlerSummaries summaries,
        System.Action<Diagnostic> report, System.Threading.CancellationToken cancellationToken)
    {
        Handler = handler;
        Conditions = conditions;
        Result = result;
        Summaries = summaries;
        this.report = report;
        CancellationToken = cancellationToken;
    }

    public IMethodSymbol Handler { get; }

    public FaultFlagFactsConditions Conditions { get; }

    public FlowResult<FaultFlagFacts> Result { get; }

    public FaultHandlerSummaries Summaries { get; }

    public FaultHandlerSymbols Symbols => Summaries.Symbols;

    public System.Threading.CancellationToken CancellationToken { get; }

    public ControlFlowGraph Graph => Result.Graph;

    /// <summary>The name used in messages: <c>MyOps.Fault</c>.</summary>
    public string HandlerName => Handler.MethodKind == MethodKind.AnonymousFunction
        ? "lambda in " + NameOf(Handler.ContainingSymbol)
        : NameOf(Handler);

    private static string NameOf(ISymbol? symbol) => symbol switch
    {
        null => "?",
        IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => constructor.ContainingType?.Name ?? constructor.Name,
        IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } lambda => NameOf(lambda.ContainingSymbol),
        _ => symbol.ContainingType is null ? symbol.Name : symbol.ContainingType.Name + "." + symbol.Name,
    };

    public void Report(DiagnosticDescriptor descriptor, Location location, params object[] arguments) =>
        report(Diagnostic.Create(descriptor, location, arguments));

    public static string Describe(IMethodSymbol method)
    {
        var type = method.ContainingType?.Name;
        var name = method.MethodKind switch
        {
            MethodKind.Constructor => "new " + (type ?? method.Name),
            MethodKind.PropertyGet or MethodKind.PropertySet => method.AssociatedSymbol?.Name ?? method.Name,
            _ => method.Name,
        };
        return method.MethodKind == MethodKind.Constructor || type is null ? name : type + "." + name;
    }

    public static string DescribeChain(IReadOnlyList<IMethodSymbol> chain)
    {
        var text = new System.Text.StringBuilder("calls ");
        for (var i = 0; i < chain.Count; i++)
        {
            if (i > 0)
            {
                text.Append(", which calls ");
            }

            text.Append(Describe(chain[i]));
        }

        return text.ToString();
    }
}
