using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using FaultLine.Analyzers.FaultHandlers;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>
/// "May calling this user method release the mmap lock?" for the handler-local lock fact (FL2003, FL2004). Unlike
/// may-sleep, not knowing means yes: a virtual, interface or delegate call of the user's, or a method too far away,
/// may release it, and the rules then stay silent. Runtime and framework methods are judged by the caller
/// (<see cref="Lattices.FaultFlagFactsAnalysis"/>); here they count only when they are among the releasing ones.
/// Breadth-first over <see cref="MaySleepSummaries.DirectCallees"/>, each method once, no recursion.
/// </summary>
internal sealed class MmapReleaseSummaries
{
    private const int MaxVisited = 2048;

    private readonly MaySleepSummaries callGraph;
    private readonly FaultHandlerSymbols symbols;
    private readonly ConcurrentDictionary<IMethodSymbol, bool> cache = new(SymbolEqualityComparer.Default);

    public MmapReleaseSummaries(MaySleepSummaries callGraph, FaultHandlerSymbols symbols)
    {
        this.callGraph = callGraph;
        this.symbols = symbols;
    }

    public bool MayRelease(IMethodSymbol method, CancellationToken cancellationToken)
    {
        method = method.OriginalDefinition;
        if (cache.TryGetValue(method, out var known))
        {
            return known;
        }

        var result = Search(method, cancellationToken);
        cache.TryAdd(method, result);
        return result;
    }

    private bool Search(IMethodSymbol start, CancellationToken cancellationToken)
    {
        if (!callGraph.CanFollow(start))
        {
            return !IsQuiet(start);
        }

        var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { start };
        var queue = new Queue<IMethodSymbol>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var callee in callGraph.DirectCallees(queue.Dequeue(), cancellationToken))
            {
                if (!visited.Add(callee))
                {
                    continue;
                }

                if (visited.Count > MaxVisited || (cache.TryGetValue(callee, out var known) && known))
                {
                    return true;
                }

                if (callGraph.CanFollow(callee))
                {
                    queue.Enqueue(callee);
                }
                else if (!IsQuiet(callee))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>A method whose code is not read here and that certainly leaves the mmap lock alone.</summary>
    private bool IsQuiet(IMethodSymbol method)
    {
        if (method.MethodKind == MethodKind.DelegateInvoke)
        {
            return false;
        }

        var type = method.ContainingType?.OriginalDefinition;
        var assembly = type?.ContainingAssembly?.Name ?? string.Empty;
        if (assembly == KnownSymbols.RuntimeAssemblyName)
        {
            var name = method.Name;
            return !(symbols.IsRetryNowaitAware(method)
                || type!.Name is "Gup" or "MmStruct" or "RwSemaphore"
                || (type.Name == "MmFault" && name == "HandleMmFault"));
        }

        return assembly.StartsWith("System", System.StringComparison.Ordinal) || assembly is "mscorlib" or "netstandard";
    }
}
