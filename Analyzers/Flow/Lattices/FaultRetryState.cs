using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>Whether a <c>HandleMmFault</c> result has <c>VmFaultResult.Retry</c> set, as far as the path's tests tell.</summary>
[Flags]
internal enum RetryBit : byte
{
    None = 0,
    Set = 1 << 0,
    Clear = 1 << 1,
    Either = Set | Clear,
}

/// <summary>The facts about one <c>HandleMmFault</c> call's result on a path.</summary>
internal readonly struct FaultResultFacts : IEquatable<FaultResultFacts>
{
    public FaultResultFacts(RetryBit retry, bool tested)
    {
        Retry = retry;
        Tested = tested;
    }

    public RetryBit Retry { get; }

    /// <summary>The path looked at the result (a mask test, a comparison).</summary>
    public bool Tested { get; }

    public FaultResultFacts Join(FaultResultFacts other) => new(Retry | other.Retry, Tested || other.Tested);

    public bool Equals(FaultResultFacts other) => Retry == other.Retry && Tested == other.Tested;

    public override bool Equals(object? obj) => obj is FaultResultFacts other && Equals(other);

    public override int GetHashCode() => ((int)Retry * 2) + (Tested ? 1 : 0);
}

/// <summary>State of <see cref="FaultRetryAnalysis"/>: facts per <c>HandleMmFault</c> call, and which locals and captures hold which result.</summary>
internal sealed class FaultRetryState
{
    public static readonly FaultRetryState Unreached = new(
        ImmutableDictionary<SyntaxNode, FaultResultFacts>.Empty, ImmutableDictionary<ILocalSymbol, SyntaxNode>.Empty, ImmutableDictionary<CaptureId, SyntaxNode>.Empty, isUnreached: true);

    public static readonly FaultRetryState Empty = new(
        ImmutableDictionary<SyntaxNode, FaultResultFacts>.Empty,
        ImmutableDictionary.Create<ILocalSymbol, SyntaxNode>(SymbolEqualityComparer.Default),
        ImmutableDictionary<CaptureId, SyntaxNode>.Empty,
        isUnreached: false);

    private FaultRetryState(
        ImmutableDictionary<SyntaxNode, FaultResultFacts> results,
        ImmutableDictionary<ILocalSymbol, SyntaxNode> localAliases,
        ImmutableDictionary<CaptureId, SyntaxNode> captureAliases,
        bool isUnreached)
    {
        Results = results;
        LocalAliases = localAliases;
        CaptureAliases = captureAliases;
        IsUnreached = isUnreached;
    }

    public ImmutableDictionary<SyntaxNode, FaultResultFacts> Results { get; }

    public ImmutableDictionary<ILocalSymbol, SyntaxNode> LocalAliases { get; }

    public ImmutableDictionary<CaptureId, SyntaxNode> CaptureAliases { get; }

    public bool IsUnreached { get; }

    public FaultRetryState WithFacts(SyntaxNode site, FaultResultFacts facts) =>
        new(Results.SetItem(site, facts), LocalAliases, CaptureAliases, isUnreached: false);

    public FaultRetryState WithCall(SyntaxNode site)
    {
        var locals = LocalAliases;
        foreach (var pair in LocalAliases)
        {
            if (pair.Value == site)
            {
                locals = locals.Remove(pair.Key);
            }
        }

        return new FaultRetryState(Results.SetItem(site, new FaultResultFacts(RetryBit.Either, tested: false)), locals, CaptureAliases, isUnreached: false);
    }

    public FaultRetryState WithAlias(ILocalSymbol local, SyntaxNode? site) =>
        new(Results, site is null ? LocalAliases.Remove(local) : LocalAliases.SetItem(local, site), CaptureAliases, isUnreached: false);

    public FaultRetryState WithCaptureAlias(CaptureId capture, SyntaxNode? site) =>
        new(Results, LocalAliases, site is null ? CaptureAliases.Remove(capture) : CaptureAliases.SetItem(capture, site), isUnreached: false);

    public FaultRetryState Without(IEnumerable<ILocalSymbol> locals) => new(Results, LocalAliases.RemoveRange(locals), CaptureAliases, IsUnreached);

    public FaultRetryState Join(FaultRetryState other)
    {
        if (IsUnreached)
        {
            return other;
        }

        if (other.IsUnreached)
        {
            return this;
        }

        var results = Results;
        foreach (var pair in Results)
        {
            results = other.Results.TryGetValue(pair.Key, out var facts) ? results.SetItem(pair.Key, pair.Value.Join(facts)) : results.Remove(pair.Key);
        }

        var locals = LocalAliases;
        foreach (var pair in LocalAliases)
        {
            if (!other.LocalAliases.TryGetValue(pair.Key, out var site) || site != pair.Value)
            {
                locals = locals.Remove(pair.Key);
            }
        }

        var captures = CaptureAliases;
        foreach (var pair in CaptureAliases)
        {
            if (!other.CaptureAliases.TryGetValue(pair.Key, out var site) || site != pair.Value)
            {
                captures = captures.Remove(pair.Key);
            }
        }

        return new FaultRetryState(results, locals, captures, isUnreached: false);
    }

    public bool IsSame(FaultRetryState other)
    {
        if (IsUnreached != other.IsUnreached || Results.Count != other.Results.Count
            || LocalAliases.Count != other.LocalAliases.Count || CaptureAliases.Count != other.CaptureAliases.Count)
        {
            return false;
        }

        foreach (var pair in Results)
        {
            if (!other.Results.TryGetValue(pair.Key, out var facts) || !facts.Equals(pair.Value))
            {
                return false;
            }
        }

        foreach (var pair in LocalAliases)
        {
            if (!other.LocalAliases.TryGetValue(pair.Key, out var site) || site != pair.Value)
            {
                return false;
            }
        }

        foreach (var pair in CaptureAliases)
        {
            if (!other.CaptureAliases.TryGetValue(pair.Key, out var site) || site != pair.Value)
            {
                return false;
            }
        }

        return true;
    }
}
