using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>A call in a handler that may sleep while RetryNowait may be set, with the chain down to the sleeping method.</summary>
internal sealed class SleepSite
{
    public SleepSite(IOperation operation, ImmutableArray<IMethodSymbol> chain)
    {
        Operation = operation;
        Chain = chain;
    }

    public IOperation Operation { get; }

    /// <summary>The called method first, the method that sleeps last.</summary>
    public ImmutableArray<IMethodSymbol> Chain { get; }
}

/// <summary>
/// Finds the may-sleep calls of a solved <see cref="FaultFlagFactsAnalysis"/> on paths where RetryNowait is not known
/// clear (FL2001). Runtime methods that handle RetryNowait themselves are not may-sleep here, and a helper that
/// receives the handler's VmFault is read with RetryNowait set, so its own guards count.
/// </summary>
internal static class NowaitSleepSites
{
    public static List<SleepSite> Find(FlowResult<FaultFlagFacts> result, FaultHandlerSummaries summaries, HashSet<IMethodSymbol> inProgress, CancellationToken cancellationToken)
    {
        var collector = new Collector(result.Analysis is FaultFlagFactsAnalysis analysis ? analysis.Conditions : null, summaries, inProgress, cancellationToken);
        if (collector.Conditions is not null)
        {
            result.Replay(collector);
        }

        return collector.Sites;
    }

    /// <summary>The chain of a call that may sleep under RetryNowait, or empty.</summary>
    public static ImmutableArray<IMethodSymbol> ChainOf(
        IOperation operation, FaultFlagFactsConditions conditions, FaultHandlerSummaries summaries, HashSet<IMethodSymbol> inProgress, CancellationToken cancellationToken)
    {
        if (operation.IsImplicit && !IsLockStatementEnter(operation))
        {
            // foreach/using plumbing and the like: not a call the user wrote.
            return ImmutableArray<IMethodSymbol>.Empty;
        }

        var method = summaries.MaySleep.CalledMethod(operation);
        if (method is null || summaries.Symbols.IsRetryNowaitAware(method))
        {
            return ImmutableArray<IMethodSymbol>.Empty;
        }

        if (operation is IInvocationOperation invocation && !summaries.MaySleep.IsSeed(method)
            && summaries.IsVmFaultHelper(method, invocation))
        {
            return summaries.NowaitSleepChain(method, inProgress, cancellationToken);
        }

        return summaries.MaySleep.TryGetSleepChain(method, cancellationToken, out var chain) ? chain : ImmutableArray<IMethodSymbol>.Empty;
    }

    /// <summary>The <c>Monitor.Enter</c> a <c>lock</c> statement is lowered to.</summary>
    public static bool IsLockStatementEnter(IOperation operation) =>
        operation is IInvocationOperation { TargetMethod.Name: "Enter" or "EnterScope" } invocation
        && invocation.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax
        && invocation.Syntax.FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.LockStatementSyntax>() is not null
        && MaySleepSummaries.IsBlockingDotNetApi(invocation.TargetMethod);

    private sealed class Collector : FlowObserver<FaultFlagFacts>
    {
        private readonly FaultHandlerSummaries summaries;
        private readonly HashSet<IMethodSymbol> inProgress;
        private readonly CancellationToken cancellationToken;

        public Collector(FaultFlagFactsConditions? conditions, FaultHandlerSummaries summaries, HashSet<IMethodSymbol> inProgress, CancellationToken cancellationToken)
        {
            Conditions = conditions;
            this.summaries = summaries;
            this.inProgress = inProgress;
            this.cancellationToken = cancellationToken;
        }

        public FaultFlagFactsConditions? Conditions { get; }

        public List<SleepSite> Sites { get; } = new();

        public override void OnOperation(IOperation operation, FaultFlagFacts before, BasicBlock block)
        {
            if (Conditions is null || before.IsUnreached || before.IsKnownClear(summaries.Symbols.RetryNowait))
            {
                return;
            }

            if (operation is not (IInvocationOperation or IPropertyReferenceOperation or IObjectCreationOperation))
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var chain = ChainOf(operation, Conditions, summaries, inProgress, cancellationToken);
            if (!chain.IsDefaultOrEmpty)
            {
                Sites.Add(new SleepSite(operation, chain));
            }
        }
    }
}
