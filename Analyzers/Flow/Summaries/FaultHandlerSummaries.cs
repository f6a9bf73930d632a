using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using FaultLine.Analyzers.FaultHandlers;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>
/// Per-compilation facts about the user's helpers that receive a handler's <c>VmFault</c>, computed on demand and
/// cached: whether a helper returns a test of its VmFault's flags (<c>static bool Nowait(VmFault v) =&gt; ...</c>), and
/// whether a helper may sleep when called under RetryNowait (it is read with RetryNowait set on entry, so its own
/// RetryNowait guards count). Cycle-safe: a helper already being read in the same chain counts as not sleeping, and
/// the chain of helpers is bounded.
/// </summary>
internal sealed class FaultHandlerSummaries
{
    private const int MaxHelperDepth = 8;

    private readonly Compilation compilation;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<FaultFlagTest>> helperTests = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> nowaitChains = new(SymbolEqualityComparer.Default);

    public FaultHandlerSummaries(Compilation compilation, FaultHandlerSymbols symbols, MaySleepSummaries maySleep)
    {
        this.compilation = compilation;
        Symbols = symbols;
        MaySleep = maySleep;
        MmapRelease = new MmapReleaseSummaries(maySleep, symbols);
    }

    /// <summary>Whether a user method may release the mmap lock (the handler's lock fact then becomes unknown).</summary>
    public MmapReleaseSummaries MmapRelease { get; }

    public FaultHandlerSymbols Symbols { get; }

    public MaySleepSummaries MaySleep { get; }

    /// <summary>The test a helper returns of its VmFault parameter <paramref name="parameter"/>, if its body is one such return.</summary>
    public FaultFlagTest? HelperTest(IMethodSymbol method, IParameterSymbol parameter)
    {
        method = method.ReducedFrom ?? method;
        if (!helperTests.TryGetValue(method, out var cached))
        {
            cached = ComputeHelperTest(method, parameter.Ordinal);
            helperTests.TryAdd(method, cached);
        }

        return cached.IsDefaultOrEmpty ? null : cached[0];
    }

    /// <summary>
    /// Whether <paramref name="helper"/>, called with the handler's VmFault under RetryNowait, may sleep: the chain
    /// starts with the helper. Empty when it cannot (or its body cannot be read).
    /// </summary>
    public ImmutableArray<IMethodSymbol> NowaitSleepChain(IMethodSymbol helper, HashSet<IMethodSymbol> inProgress, CancellationToken cancellationToken)
    {
        helper = (helper.ReducedFrom ?? helper).OriginalDefinition;
        if (nowaitChains.TryGetValue(helper, out var cached))
        {
            return cached;
        }

        if (inProgress.Count >= MaxHelperDepth || !inProgress.Add(helper))
        {
            // Recursion or a deep chain: assume nothing (and do not cache what this partial view says).
            return ImmutableArray<IMethodSymbol>.Empty;
        }

        try
        {
            var chain = ComputeNowaitChain(helper, inProgress, cancellationToken);
            if (inProgress.Count == 1)
            {
                nowaitChains.TryAdd(helper, chain);
            }

            return chain;
        }
        finally
        {
            inProgress.Remove(helper);
        }
    }

    /// <summary>
    /// Whether a call from a handler passes it a VmFault (its own, possibly through a local) and the callee's code
    /// is readable here: the callee is then read as part of the handler, with RetryNowait set on entry.
    /// </summary>
    public bool IsVmFaultHelper(IMethodSymbol method, IInvocationOperation invocation)
    {
        if (!MaySleep.CanFollow(method))
        {
            return false;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is { } parameter && Symbols.IsVmFault(parameter.Type) && Symbols.IsVmFault(argument.Value.Type))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The graph of a method with source here, or null.</summary>
    public ControlFlowGraph? GraphOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (!compilation.ContainsSyntaxTree(reference.SyntaxTree))
            {
                continue;
            }

            var operation = SemanticModelFor(reference.SyntaxTree).GetOperation(reference.GetSyntax(cancellationToken), cancellationToken);
            if (operation is IMethodBodyOperation body && !MethodSummaries.HasErrors(body))
            {
                return ControlFlowGraph.Create(body, cancellationToken);
            }
        }

        return null;
    }

    private ImmutableArray<IMethodSymbol> ComputeNowaitChain(IMethodSymbol helper, HashSet<IMethodSymbol> inProgress, CancellationToken cancellationToken)
    {
        var parameter = Symbols.HandlerParameter(helper);
        var graph = parameter is null ? null : GraphOf(helper, cancellationToken);
        if (parameter is null || graph is null)
        {
            // No graph of its own (a local function, say): judge it without its guards.
            return MaySleep.TryGetSleepChain(helper, cancellationToken, out var plain) ? plain : ImmutableArray<IMethodSymbol>.Empty;
        }

        var conditions = new FaultFlagFactsConditions(Symbols, parameter, HelperTest);
        var entry = FaultFlagFacts.Start(Symbols.RetryNowait | Symbols.AllowRetry, 0, HandlerLockFacts.Unknown);
        var analysis = new FaultFlagFactsAnalysis(conditions, LocalWrites.CapturedAndWritten(graph, cancellationToken), entry);
        var result = ForwardDataflow.Run(graph, analysis, cancellationToken);
        if (!result.Converged)
        {
            return ImmutableArray<IMethodSymbol>.Empty;
        }

        foreach (var site in NowaitSleepSites.Find(result, this, inProgress, cancellationToken))
        {
            return ImmutableArray.Create(helper).AddRange(site.Chain);
        }

        return ImmutableArray<IMethodSymbol>.Empty;
    }

    private ImmutableArray<FaultFlagTest> ComputeHelperTest(IMethodSymbol method, int ordinal)
    {
        // The getter of an extension property has no parameters: its VmFault is the extension's receiver.
        var getter = method.MethodKind == MethodKind.PropertyGet && method.Parameters.IsEmpty;
        if (method.ReturnType.SpecialType != SpecialType.System_Boolean || (!getter && ordinal >= method.Parameters.Length) || !MaySleep.CanFollow(method))
        {
            return ImmutableArray<FaultFlagTest>.Empty;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (!compilation.ContainsSyntaxTree(reference.SyntaxTree))
            {
                continue;
            }

            var operation = SemanticModelFor(reference.SyntaxTree).GetOperation(reference.GetSyntax());
            var returned = SingleReturnedValue(operation);
            if (returned is null)
            {
                continue;
            }

            var tested = getter ? FaultHandlers.ExtensionReceiver.Of(returned, Symbols) : method.Parameters[ordinal];
            if (tested is null)
            {
                continue;
            }

            // One level only: the helper's own test, no further helpers.
            var conditions = new FaultFlagFactsConditions(Symbols, tested, helperTest: null);
            if (conditions.Recognize(returned, FaultFlagFacts.Start(0, 0, HandlerLockFacts.Unknown)) is { } test)
            {
                return ImmutableArray.Create(test);
            }
        }

        return ImmutableArray<FaultFlagTest>.Empty;
    }

    /// <summary>The value of <c>=&gt; expr</c> or of a body that is exactly <c>{ return expr; }</c>.</summary>
    private static IOperation? SingleReturnedValue(IOperation? operation)
    {
        var body = operation switch
        {
            IMethodBodyOperation method => method.BlockBody ?? method.ExpressionBody,
            IBlockOperation block => block,
            _ => null,
        };
        return body is IBlockOperation { Operations.Length: 1 } single && single.Operations[0] is IReturnOperation { ReturnedValue: { } value }
            ? value
            : null;
    }

#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
    // Summaries read other methods' bodies, which the analysis context does not hand out.
    private SemanticModel SemanticModelFor(SyntaxTree tree) => compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
}
