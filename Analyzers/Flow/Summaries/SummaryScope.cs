using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>
/// One chain of summary computations (a helper whose summary needs another helper's, ...). It detects
/// recursion and bounds depth; a summary computed while either happened is less precise than it could be, so it
/// is returned but not cached, which keeps cached summaries independent of which method asked first.
/// </summary>
internal sealed class SummaryScope
{
    public const int MaxDepth = 4;

    private readonly HashSet<ISymbol> inProgress = new(SymbolEqualityComparer.Default);

    public SummaryScope(CancellationToken cancellationToken)
    {
        CancellationToken = cancellationToken;
    }

    public CancellationToken CancellationToken { get; }

    /// <summary>Set when a computation in the current chain was cut short; nothing computed in the chain is cached.</summary>
    public bool WasTruncated { get; private set; }

    public bool TryEnter(ISymbol symbol)
    {
        CancellationToken.ThrowIfCancellationRequested();
        if (inProgress.Count >= MaxDepth || !inProgress.Add(symbol))
        {
            WasTruncated = true;
            return false;
        }

        return true;
    }

    public void Exit(ISymbol symbol)
    {
        inProgress.Remove(symbol);
        if (inProgress.Count == 0)
        {
            // The chain is done: the next top-level question starts clean.
            WasTruncated = false;
        }
    }
}
