using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// State of <see cref="LocalConstantsAnalysis"/>: the possible values of integral and enum locals (and by-value
/// parameters the body assigns) and of the graph's flow captures. A variable that is absent is Unknown.
/// </summary>
internal sealed class ConstantsState
{
    public static readonly ConstantsState Unreached = new(
        ImmutableDictionary<ISymbol, ConstantSet>.Empty, ImmutableDictionary<CaptureId, ConstantSet>.Empty, isUnreached: true);

    public static readonly ConstantsState Empty = new(
        ImmutableDictionary.Create<ISymbol, ConstantSet>(SymbolEqualityComparer.Default), ImmutableDictionary<CaptureId, ConstantSet>.Empty, isUnreached: false);

    private ConstantsState(ImmutableDictionary<ISymbol, ConstantSet> locals, ImmutableDictionary<CaptureId, ConstantSet> captures, bool isUnreached)
    {
        Locals = locals;
        Captures = captures;
        IsUnreached = isUnreached;
    }

    public ImmutableDictionary<ISymbol, ConstantSet> Locals { get; }

    public ImmutableDictionary<CaptureId, ConstantSet> Captures { get; }

    public bool IsUnreached { get; }

    public ConstantSet ValueOf(ISymbol local) => Locals.TryGetValue(local, out var value) ? value : ConstantSet.Unknown;

    public ConstantSet ValueOf(CaptureId capture) => Captures.TryGetValue(capture, out var value) ? value : ConstantSet.Unknown;

    public ConstantsState With(ISymbol local, ConstantSet value) =>
        new(value.IsTop ? Locals.Remove(local) : Locals.SetItem(local, value), Captures, isUnreached: false);

    public ConstantsState With(CaptureId capture, ConstantSet value) =>
        new(Locals, value.IsTop ? Captures.Remove(capture) : Captures.SetItem(capture, value), isUnreached: false);

    public ConstantsState Without(IEnumerable<ISymbol> locals) => new(Locals.RemoveRange(locals), Captures, IsUnreached);

    public ConstantsState Join(ConstantsState other)
    {
        if (IsUnreached)
        {
            return other;
        }

        if (other.IsUnreached || ReferenceEquals(this, other))
        {
            return this;
        }

        return new ConstantsState(JoinMaps(Locals, other.Locals), JoinMaps(Captures, other.Captures), isUnreached: false);
    }

    public bool IsSame(ConstantsState other) =>
        IsUnreached == other.IsUnreached && SameMaps(Locals, other.Locals) && SameMaps(Captures, other.Captures);

    /// <summary>Keys on both sides keep the union of their values; a key missing on one side is Unknown there, so it goes.</summary>
    private static ImmutableDictionary<TKey, ConstantSet> JoinMaps<TKey>(ImmutableDictionary<TKey, ConstantSet> left, ImmutableDictionary<TKey, ConstantSet> right)
        where TKey : notnull
    {
        if (ReferenceEquals(left, right))
        {
            return left;
        }

        // Only keys whose value changes are touched: most values agree on both sides of a merge.
        var result = left;
        foreach (var pair in left)
        {
            var joined = right.TryGetValue(pair.Key, out var other) ? pair.Value.Join(other) : ConstantSet.Unknown;
            if (joined.IsTop)
            {
                result = result.Remove(pair.Key);
            }
            else if (!ReferenceEquals(joined, pair.Value))
            {
                result = result.SetItem(pair.Key, joined);
            }
        }

        return result;
    }

    private static bool SameMaps<TKey>(ImmutableDictionary<TKey, ConstantSet> left, ImmutableDictionary<TKey, ConstantSet> right)
        where TKey : notnull
    {
        if (left.Count != right.Count)
        {
            return false;
        }

        foreach (var pair in left)
        {
            if (!right.TryGetValue(pair.Key, out var other) || !pair.Value.Equals(other))
            {
                return false;
            }
        }

        return true;
    }
}
