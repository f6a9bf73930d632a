using System.Collections.Immutable;
using System.Threading;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>What every problem over one graph needs: the graph, the runtime's symbols, the per-compilation summaries.</summary>
internal sealed class FlowContext
{
    public FlowContext(ControlFlowGraph graph, ISymbol? owner, KnownSymbols symbols, MethodSummaries summaries, SummaryScope scope)
    {
        Graph = graph;
        Owner = owner;
        Symbols = symbols;
        Summaries = summaries;
        Scope = scope;
        Untracked = LocalWrites.CapturedAndWritten(graph, scope.CancellationToken);
    }

    public ControlFlowGraph Graph { get; }

    /// <summary>The method, lambda or local function whose body the graph is (null when not known).</summary>
    public ISymbol? Owner { get; }

    public KnownSymbols Symbols { get; }

    public MethodSummaries Summaries { get; }

    /// <summary>The chain of summary computations this graph's questions about helpers belong to.</summary>
    public SummaryScope Scope { get; }

    public CancellationToken CancellationToken => Scope.CancellationToken;

    /// <summary>Locals written by a lambda or local function: the graph cannot say when, so they are never tracked.</summary>
    public ImmutableHashSet<ILocalSymbol> Untracked { get; }

    /// <summary>
    /// Whether the graph can follow <paramref name="local"/>: its own local, not written by a nested function. A
    /// lambda's view of its enclosing method's locals is not followed: the method reads and writes them at times
    /// the lambda's graph does not show, so storing a result there is an escape.
    /// </summary>
    public bool IsTracked(ILocalSymbol local) =>
        !Untracked.Contains(local) && (Owner is null || SymbolEqualityComparer.Default.Equals(local.ContainingSymbol, Owner));
}
