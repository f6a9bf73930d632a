using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// State of <see cref="GupResultAnalysis"/>: the facts about each GUP call executed on the path (keyed by the
/// call's syntax), which locals and flow captures hold which call's result, and which call last filled each
/// pages array. Everything is "must": a call, an alias or an owner survives a merge only if both sides agree.
/// </summary>
internal sealed class GupResultState
{
    public static readonly GupResultState Unreached = new(
        ImmutableDictionary<SyntaxNode, ResultFacts>.Empty,
        ImmutableDictionary<ILocalSymbol, SyntaxNode>.Empty,
        ImmutableDictionary<CaptureId, SyntaxNode>.Empty,
        ImmutableDictionary<ISymbol, SyntaxNode>.Empty,
        isUnreached: true);

    public static readonly GupResultState Empty = new(
        ImmutableDictionary<SyntaxNode, ResultFacts>.Empty,
        ImmutableDictionary.Create<ILocalSymbol, SyntaxNode>(SymbolEqualityComparer.Default),
        ImmutableDictionary<CaptureId, SyntaxNode>.Empty,
        ImmutableDictionary.Create<ISymbol, SyntaxNode>(SymbolEqualityComparer.Default),
        isUnreached: false);

    private GupResultState(
        ImmutableDictionary<SyntaxNode, ResultFacts> results,
        ImmutableDictionary<ILocalSymbol, SyntaxNode> localAliases,
        ImmutableDictionary<CaptureId, SyntaxNode> captureAliases,
        ImmutableDictionary<ISymbol, SyntaxNode> pagesOwners,
        bool isUnreached)
    {
        Results = results;
        LocalAliases = localAliases;
        CaptureAliases = captureAliases;
        PagesOwners = pagesOwners;
        IsUnreached = isUnreached;
    }

    public ImmutableDictionary<SyntaxNode, ResultFacts> Results { get; }

    public ImmutableDictionary<ILocalSymbol, SyntaxNode> LocalAliases { get; }

    public ImmutableDictionary<CaptureId, SyntaxNode> CaptureAliases { get; }

    /// <summary>The GUP call whose pages a pages array holds (only the first <c>result</c> entries are taken).</summary>
    public ImmutableDictionary<ISymbol, SyntaxNode> PagesOwners { get; }

    public bool IsUnreached { get; }

    public ResultFacts? FactsOf(SyntaxNode site) => Results.TryGetValue(site, out var facts) ? facts : null;

    public GupResultState WithFacts(SyntaxNode site, ResultFacts facts) =>
        new(Results.SetItem(site, facts), LocalAliases, CaptureAliases, PagesOwners, isUnreached: false);

    /// <summary>A fresh execution of <paramref name="site"/>: older values of it held in locals are a different result now.</summary>
    public GupResultState WithCall(SyntaxNode site, ResultFacts facts, ISymbol? pages)
    {
        var locals = LocalAliases;
        foreach (var pair in LocalAliases)
        {
            if (pair.Value == site)
            {
                locals = locals.Remove(pair.Key);
            }
        }

        var captures = CaptureAliases;
        foreach (var pair in CaptureAliases)
        {
            if (pair.Value == site)
            {
                captures = captures.Remove(pair.Key);
            }
        }

        var owners = pages is null ? PagesOwners : PagesOwners.SetItem(pages, site);
        return new GupResultState(Results.SetItem(site, facts), locals, captures, owners, isUnreached: false);
    }

    public GupResultState WithAlias(ILocalSymbol local, SyntaxNode? site)
    {
        var state = WithoutAlias(local);
        return site is null ? state : new GupResultState(state.Results, state.LocalAliases.SetItem(local, site), state.CaptureAliases, state.PagesOwners, isUnreached: false);
    }

    public GupResultState WithCaptureAlias(CaptureId capture, SyntaxNode? site) => new(
        Results,
        LocalAliases,
        site is null ? CaptureAliases.Remove(capture) : CaptureAliases.SetItem(capture, site),
        PagesOwners,
        isUnreached: false);

    /// <summary>
    /// The local no longer holds a result. If it was the last holder, the result itself is gone from the path
    /// (a result only ever tested inline has no holder and stays).
    /// </summary>
    public GupResultState WithoutAlias(ILocalSymbol local)
    {
        if (!LocalAliases.TryGetValue(local, out var site))
        {
            return this;
        }

        var locals = LocalAliases.Remove(local);
        var results = Results;
        if (!locals.ContainsValue(site) && !CaptureAliases.ContainsValue(site))
        {
            results = results.Remove(site);
        }

        return new GupResultState(results, locals, CaptureAliases, PagesOwners, isUnreached: false);
    }

    public GupResultState WithoutOwner(ISymbol pages) =>
        PagesOwners.ContainsKey(pages) ? new(Results, LocalAliases, CaptureAliases, PagesOwners.Remove(pages), isUnreached: false) : this;

    public GupResultState Join(GupResultState other)
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
            results = other.Results.TryGetValue(pair.Key, out var facts)
                ? results.SetItem(pair.Key, pair.Value.Join(facts))
                : results.Remove(pair.Key);
        }

        return new GupResultState(results, Intersect(LocalAliases, other.LocalAliases), Intersect(CaptureAliases, other.CaptureAliases), Intersect(PagesOwners, other.PagesOwners), isUnreached: false);
    }

    public bool IsSame(GupResultState other)
    {
        if (IsUnreached != other.IsUnreached || Results.Count != other.Results.Count
            || !SameMap(LocalAliases, other.LocalAliases) || !SameMap(CaptureAliases, other.CaptureAliases) || !SameMap(PagesOwners, other.PagesOwners))
        {
            return false;
        }

        foreach (var pair in Results)
        {
            if (!other.Results.TryGetValue(pair.Key, out var facts) || !pair.Value.IsSame(facts))
            {
                return false;
            }
        }

        return true;
    }

    public GupResultState Forget(IEnumerable<ILocalSymbol> locals)
    {
        var state = this;
        foreach (var local in locals)
        {
            state = state.WithoutAlias(local).WithoutOwner(local);
        }

        return state;
    }

    private static ImmutableDictionary<TKey, SyntaxNode> Intersect<TKey>(ImmutableDictionary<TKey, SyntaxNode> left, ImmutableDictionary<TKey, SyntaxNode> right)
        where TKey : notnull
    {
        var result = left;
        foreach (var pair in left)
        {
            if (!right.TryGetValue(pair.Key, out var site) || site != pair.Value)
            {
                result = result.Remove(pair.Key);
            }
        }

        return result;
    }

    private static bool SameMap<TKey>(ImmutableDictionary<TKey, SyntaxNode> left, ImmutableDictionary<TKey, SyntaxNode> right)
        where TKey : notnull
    {
        if (left.Count != right.Count)
        {
            return false;
        }

        foreach (var pair in left)
        {
            if (!right.TryGetValue(pair.Key, out var site) || site != pair.Value)
            {
                return false;
            }
        }

        return true;
    }
}
