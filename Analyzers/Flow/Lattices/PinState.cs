using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// One release obligation: the pages a GUP call put in an array (a local or parameter), owed for exactly the count
/// it returned. Immutable; compared by reference of its parts.
/// </summary>
internal sealed class PinObligation
{
    public PinObligation(GupSite gup, bool pins, object? count, ImmutableArray<IOperation> equalCounts, long? requestedConstant, IOperation? wrongRelease)
    {
        Gup = gup;
        Pins = pins;
        Count = count;
        EqualCounts = equalCounts;
        RequestedConstant = requestedConstant;
        WrongRelease = wrongRelease;
    }

    /// <summary>The GUP call that took the pages.</summary>
    public GupSite Gup { get; }

    /// <summary>True for Pin* (release with UnpinUserPage(s)), false for Get* (PutPage).</summary>
    public bool Pins { get; }

    /// <summary>The count subject: the local holding the result, the call itself until it is stored, or null once overwritten.</summary>
    public object? Count { get; }

    /// <summary>Operands known equal to the count on this path (<c>ret == nrPages</c> taken), constants included.</summary>
    public ImmutableArray<IOperation> EqualCounts { get; }

    /// <summary>The requested count when constant (a one-page GUP).</summary>
    public long? RequestedConstant { get; }

    /// <summary>The count argument of a release of the array with the wrong count, if that is what happened on this path.</summary>
    public IOperation? WrongRelease { get; }

    public PinObligation WithCount(object? count) => new(Gup, Pins, count, count is null ? ImmutableArray<IOperation>.Empty : EqualCounts, RequestedConstant, WrongRelease);

    public PinObligation WithEqual(IOperation operand) => new(Gup, Pins, Count, EqualCounts.Add(operand), RequestedConstant, WrongRelease);

    public PinObligation WithWrongRelease(IOperation release) => new(Gup, Pins, Count, EqualCounts, RequestedConstant, release);

    /// <summary>Drops the equalities that named <paramref name="written"/>, which no longer holds that value.</summary>
    public PinObligation WithoutEqualsOf(ISymbol written)
    {
        var kept = EqualCounts.RemoveAll(operand => Comparisons.StripConversions(operand) switch
        {
            ILocalReferenceOperation local => SymbolEqualityComparer.Default.Equals(local.Local, written),
            IParameterReferenceOperation parameter => SymbolEqualityComparer.Default.Equals(parameter.Parameter, written),
            _ => false,
        });
        return kept.Length == EqualCounts.Length ? this : new PinObligation(Gup, Pins, Count, kept, RequestedConstant, WrongRelease);
    }

    /// <summary>
    /// The same pages owed on two paths that learned different equalities (<c>ret == count</c> taken on one only): still
    /// owed, with the equalities both paths know. Null when anything else differs (Unknown).
    /// </summary>
    public PinObligation? JoinEqualCounts(PinObligation other)
    {
        if (!ReferenceEquals(Gup.Operation, other.Gup.Operation) || Pins != other.Pins || !MmapLockCondition.SameSubject(Count, other.Count)
            || !ReferenceEquals(WrongRelease, other.WrongRelease))
        {
            return null;
        }

        var common = EqualCounts.RemoveAll(mine => !other.EqualCounts.Any(theirs => ReferenceEquals(mine, theirs)));
        return new PinObligation(Gup, Pins, Count, common, RequestedConstant, WrongRelease);
    }

    public bool IsSame(PinObligation other) =>
        ReferenceEquals(this, other)
        || (ReferenceEquals(Gup.Operation, other.Gup.Operation) && Pins == other.Pins && MmapLockCondition.SameSubject(Count, other.Count)
            && ReferenceEquals(WrongRelease, other.WrongRelease) && SameOperands(EqualCounts, other.EqualCounts));

    private static bool SameOperands(ImmutableArray<IOperation> left, ImmutableArray<IOperation> right)
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        for (var i = 0; i < left.Length; i++)
        {
            if (!ReferenceEquals(left[i], right[i]))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The GUP invocation of an obligation, with the names a message needs.</summary>
internal sealed class GupSite
{
    public GupSite(IOperation operation, string method)
    {
        Operation = operation;
        Method = method;
    }

    public IOperation Operation { get; }

    public string Method { get; }
}

/// <summary>Where an array's pages came from: kept across releases and escapes, so FL4006 can check a release in a loop.</summary>
internal sealed class PinOrigin
{
    public PinOrigin(GupSite gup, bool pins)
    {
        Gup = gup;
        Pins = pins;
    }

    public GupSite Gup { get; }

    public bool Pins { get; }

    public bool IsSame(PinOrigin other) => ReferenceEquals(Gup.Operation, other.Gup.Operation) && Pins == other.Pins;
}

/// <summary>State of <see cref="PinAnalysis"/>: outstanding obligations per page array. Absent = none or Unknown (silent).</summary>
internal sealed class PinState
{
    public static readonly PinState Unreached = new(
        ImmutableDictionary.Create<ISymbol, PinObligation>(SymbolEqualityComparer.Default),
        ImmutableDictionary.Create<ISymbol, PinOrigin>(SymbolEqualityComparer.Default),
        isUnreached: true);

    public static readonly PinState Empty = new(Unreached.Obligations, Unreached.Origins, isUnreached: false);

    private PinState(ImmutableDictionary<ISymbol, PinObligation> obligations, ImmutableDictionary<ISymbol, PinOrigin> origins, bool isUnreached)
    {
        Obligations = obligations;
        Origins = origins;
        IsUnreached = isUnreached;
    }

    /// <summary>The GUP call each array's pages came from, on every path here (absent: unknown or none).</summary>
    public ImmutableDictionary<ISymbol, PinOrigin> Origins { get; }

    public PinOrigin? OriginOf(ISymbol array) => Origins.TryGetValue(array, out var value) ? value : null;

    public PinState WithOrigin(ISymbol array, PinOrigin origin) => new(Obligations, Origins.SetItem(array, origin), isUnreached: false);

    public ImmutableDictionary<ISymbol, PinObligation> Obligations { get; }

    public bool IsUnreached { get; }

    public PinObligation? Of(ISymbol array) => Obligations.TryGetValue(array, out var value) ? value : null;

    public PinState With(ISymbol array, PinObligation? obligation) =>
        new(obligation is null ? Obligations.Remove(array) : Obligations.SetItem(array, obligation), Origins, isUnreached: false);

    public PinState Join(PinState other)
    {
        if (IsUnreached)
        {
            return other;
        }

        if (other.IsUnreached)
        {
            return this;
        }

        var obligations = Obligations;
        foreach (var pair in Obligations)
        {
            if (!other.Obligations.TryGetValue(pair.Key, out var theirs))
            {
                obligations = obligations.Remove(pair.Key);
            }
            else if (!pair.Value.IsSame(theirs))
            {
                var joined = pair.Value.JoinEqualCounts(theirs);
                obligations = joined is null ? obligations.Remove(pair.Key) : obligations.SetItem(pair.Key, joined);
            }
        }

        var origins = Origins;
        foreach (var pair in Origins)
        {
            if (!other.Origins.TryGetValue(pair.Key, out var theirs) || !pair.Value.IsSame(theirs))
            {
                origins = origins.Remove(pair.Key);
            }
        }

        return new PinState(obligations, origins, isUnreached: false);
    }

    public bool IsSame(PinState other)
    {
        if (IsUnreached != other.IsUnreached || Obligations.Count != other.Obligations.Count || Origins.Count != other.Origins.Count)
        {
            return false;
        }

        foreach (var pair in Origins)
        {
            if (!other.Origins.TryGetValue(pair.Key, out var theirs) || !pair.Value.IsSame(theirs))
            {
                return false;
            }
        }

        foreach (var pair in Obligations)
        {
            if (!other.Obligations.TryGetValue(pair.Key, out var theirs) || !pair.Value.IsSame(theirs))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A local was written: an array it names is gone (Unknown); a count it held is lost.</summary>
    public PinState Forget(ISymbol written)
    {
        var obligations = Obligations.Remove(written);
        foreach (var pair in Obligations)
        {
            if (pair.Key.Equals(written, SymbolEqualityComparer.Default))
            {
                continue;
            }

            var obligation = pair.Value.WithoutEqualsOf(written);
            if (obligation.Count is ISymbol count && SymbolEqualityComparer.Default.Equals(count, written))
            {
                obligation = obligation.WithCount(null);
            }

            if (!ReferenceEquals(obligation, pair.Value))
            {
                obligations = obligations.SetItem(pair.Key, obligation);
            }
        }

        return new PinState(obligations, Origins.Remove(written), IsUnreached);
    }

    public PinState ForgetAll(IEnumerable<ISymbol> written)
    {
        var state = this;
        foreach (var symbol in written)
        {
            state = state.Forget(symbol);
        }

        return state;
    }
}
