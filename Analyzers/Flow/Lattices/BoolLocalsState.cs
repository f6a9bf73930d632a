using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>State of <see cref="BoolLocalsAnalysis"/>: possible values of the tracked bool locals (absent = Unknown).</summary>
internal sealed class BoolLocalsState
{
    public static readonly BoolLocalsState Unreached = new(ImmutableDictionary<ILocalSymbol, BoolValue>.Empty, isUnreached: true);

    public static readonly BoolLocalsState Empty = new(ImmutableDictionary.Create<ILocalSymbol, BoolValue>(SymbolEqualityComparer.Default), isUnreached: false);

    private BoolLocalsState(ImmutableDictionary<ILocalSymbol, BoolValue> values, bool isUnreached)
    {
        Values = values;
        IsUnreached = isUnreached;
    }

    public ImmutableDictionary<ILocalSymbol, BoolValue> Values { get; }

    public bool IsUnreached { get; }

    /// <summary>The possible values, or null when Unknown.</summary>
    public BoolValue? ValueOf(ILocalSymbol local) => Values.TryGetValue(local, out var value) ? value : null;

    public BoolLocalsState With(ILocalSymbol local, BoolValue? value) =>
        new(value is { } known ? Values.SetItem(local, known) : Values.Remove(local), isUnreached: false);

    public BoolLocalsState Without(IEnumerable<ILocalSymbol> locals) => new(Values.RemoveRange(locals), IsUnreached);

    public BoolLocalsState Join(BoolLocalsState other)
    {
        if (IsUnreached)
        {
            return other;
        }

        if (other.IsUnreached)
        {
            return this;
        }

        var values = Values;
        foreach (var pair in Values)
        {
            values = other.Values.TryGetValue(pair.Key, out var value) ? values.SetItem(pair.Key, pair.Value | value) : values.Remove(pair.Key);
        }

        return new BoolLocalsState(values, isUnreached: false);
    }

    public bool IsSame(BoolLocalsState other)
    {
        if (IsUnreached != other.IsUnreached || Values.Count != other.Values.Count)
        {
            return false;
        }

        foreach (var pair in Values)
        {
            if (!other.Values.TryGetValue(pair.Key, out var value) || value != pair.Value)
            {
                return false;
            }
        }

        return true;
    }
}
