using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// The possible values of an integral or enum expression (a <c>FollFlags</c> being built, an errno about to be
/// returned). Either a small set of constants, or, when the value is not a known constant (a parameter, a field,
/// a call we cannot see into, too many values), only what is known of its bits: the bits set in every possible
/// value and the bits set in some. So <c>flags | FollFlags.Interruptible</c> with <c>flags</c> a parameter is
/// "Interruptible, and unknown otherwise": rules may report on the Interruptible bit, never on the unknown ones.
/// <see cref="Unknown"/> (nothing known at all) never satisfies a rule's test. The empty set is bottom.
/// </summary>
internal sealed class ConstantSet : IEquatable<ConstantSet>
{
    /// <summary>Beyond this many values a set widens to its known bits, which keeps the lattice finite.</summary>
    public const int MaxValues = 16;

    /// <summary>Nothing known: no bit is certainly set, every bit may be.</summary>
    public static readonly ConstantSet Unknown = new(ImmutableArray<long>.Empty, isUnknown: true, mustBits: 0, mayBits: -1);

    public static readonly ConstantSet Bottom = new(ImmutableArray<long>.Empty, isUnknown: false, mustBits: 0, mayBits: 0);

    private ConstantSet(ImmutableArray<long> values, bool isUnknown, long mustBits, long mayBits)
    {
        Values = values;
        IsUnknown = isUnknown;
        MustBits = mustBits;
        MayBits = mayBits;
    }

    /// <summary>The value is not one of a listed set of constants (only its bits may be partly known).</summary>
    public bool IsUnknown { get; }

    /// <summary>The sorted, distinct possible values (empty when <see cref="IsUnknown"/> or bottom).</summary>
    public ImmutableArray<long> Values { get; }

    /// <summary>Bits set in every possible value.</summary>
    public long MustBits { get; }

    /// <summary>Bits set in at least one possible value.</summary>
    public long MayBits { get; }

    public bool IsBottom => !IsUnknown && Values.IsEmpty;

    /// <summary>Known and non-empty: every possible value is listed.</summary>
    public bool IsKnown => !IsUnknown && !Values.IsEmpty;

    /// <summary>Nothing at all is known (the top of the lattice).</summary>
    public bool IsTop => IsUnknown && MustBits == 0 && MayBits == -1;

    public static ConstantSet Of(long value) => new(ImmutableArray.Create(value), isUnknown: false, mustBits: value, mayBits: value);

    public static ConstantSet Of(IEnumerable<long> values)
    {
        var distinct = values.Distinct().OrderBy(v => v).ToImmutableArray();
        var must = distinct.Aggregate(-1L, (acc, v) => acc & v);
        var may = distinct.Aggregate(0L, (acc, v) => acc | v);
        if (distinct.IsEmpty)
        {
            return Bottom;
        }

        return distinct.Length > MaxValues ? Bits(must, may) : new ConstantSet(distinct, isUnknown: false, must, may);
    }

    /// <summary>A value known only by its bits.</summary>
    public static ConstantSet Bits(long mustBits, long mayBits) =>
        mustBits == 0 && mayBits == -1 ? Unknown : new ConstantSet(ImmutableArray<long>.Empty, isUnknown: true, mustBits, mayBits | mustBits);

    public ConstantSet Join(ConstantSet other)
    {
        if (IsBottom)
        {
            return other;
        }

        if (other.IsBottom)
        {
            return this;
        }

        if (ReferenceEquals(this, other) || Equals(other))
        {
            // The common case at a merge point: both paths agree.
            return this;
        }

        if (IsKnown && other.IsKnown)
        {
            return Merge(Values, other.Values);
        }

        return Bits(MustBits & other.MustBits, MayBits | other.MayBits);
    }

    /// <summary>The union of two sorted, distinct value lists (one pass, no sort): the solver joins at every merge.</summary>
    private static ConstantSet Merge(ImmutableArray<long> left, ImmutableArray<long> right)
    {
        var merged = ImmutableArray.CreateBuilder<long>(left.Length + right.Length);
        int i = 0, j = 0;
        while (i < left.Length || j < right.Length)
        {
            long next;
            if (j == right.Length || (i < left.Length && left[i] < right[j]))
            {
                next = left[i++];
            }
            else if (i == left.Length || right[j] < left[i])
            {
                next = right[j++];
            }
            else
            {
                next = left[i++];
                j++;
            }

            merged.Add(next);
        }

        long must = -1, may = 0;
        foreach (var value in merged)
        {
            must &= value;
            may |= value;
        }

        return merged.Count > MaxValues ? Bits(must, may) : new ConstantSet(merged.ToImmutable(), isUnknown: false, must, may);
    }

    /// <summary><c>|</c>: exact on two known sets; otherwise a bit is set if it is in either side.</summary>
    public ConstantSet Or(ConstantSet other) =>
        Bitwise(other, (a, b) => a | b, (mustA, mayA, mustB, mayB) => (mustA | mustB, mayA | mayB));

    /// <summary><c>&amp;</c>: <c>flags &amp; ~FollFlags.Nowait</c> clears Nowait whatever else flags has.</summary>
    public ConstantSet And(ConstantSet other) =>
        Bitwise(other, (a, b) => a & b, (mustA, mayA, mustB, mayB) => (mustA & mustB, mayA & mayB));

    public ConstantSet Xor(ConstantSet other) =>
        Bitwise(other, (a, b) => a ^ b, (mustA, mayA, mustB, mayB) => ((mustA & ~mayB) | (mustB & ~mayA), mayA | mayB));

    /// <summary><c>~</c>: a bit certainly set becomes certainly clear, and the reverse.</summary>
    public ConstantSet Complement()
    {
        if (IsBottom)
        {
            return this;
        }

        return IsKnown ? Of(Values.Select(v => ~v)) : Bits(~MayBits, ~MustBits);
    }

    /// <summary>Applies an arithmetic operator to every pair of values; nothing is known of the bits otherwise.</summary>
    public ConstantSet Combine(ConstantSet other, Func<long, long, long?> op)
    {
        if (IsBottom || other.IsBottom)
        {
            return Bottom;
        }

        if (!IsKnown || !other.IsKnown || Values.Length * other.Values.Length > MaxValues * MaxValues)
        {
            return Unknown;
        }

        var results = new List<long>();
        foreach (var left in Values)
        {
            foreach (var right in other.Values)
            {
                if (op(left, right) is not { } value)
                {
                    return Unknown;
                }

                results.Add(value);
            }
        }

        return Of(results);
    }

    public ConstantSet Map(Func<long, long?> op)
    {
        if (IsBottom)
        {
            return this;
        }

        if (!IsKnown)
        {
            return Unknown;
        }

        var results = new List<long>();
        foreach (var value in Values)
        {
            if (op(value) is not { } mapped)
            {
                return Unknown;
            }

            results.Add(mapped);
        }

        return Of(results);
    }

    /// <summary>Every possible value has all of <paramref name="mask"/>'s bits.</summary>
    public bool AllHave(long mask) => !IsBottom && (MustBits & mask) == mask && mask != 0;

    /// <summary>Every possible value has at least one of <paramref name="mask"/>'s bits.</summary>
    public bool AllHaveAnyOf(long mask) =>
        IsKnown ? Values.All(v => (v & mask) != 0) : !IsBottom && (MustBits & mask) != 0;

    /// <summary>No possible value has any of <paramref name="mask"/>'s bits.</summary>
    public bool NoneHaveAnyOf(long mask) => !IsBottom && (MayBits & mask) == 0;

    /// <summary>Some value certainly reached here has one of <paramref name="mask"/>'s bits (a bit only possibly set does not count).</summary>
    public bool SomeValueHasAnyOf(long mask) =>
        IsKnown ? Values.Any(v => (v & mask) != 0) : !IsBottom && (MustBits & mask) != 0;

    /// <summary>No possible value has a bit outside <paramref name="allowed"/>.</summary>
    public bool AllWithin(long allowed) => !IsBottom && (MayBits & ~allowed) == 0;

    public bool Equals(ConstantSet? other) =>
        other is not null && IsUnknown == other.IsUnknown && MustBits == other.MustBits && MayBits == other.MayBits
        && Values.SequenceEqual(other.Values);

    public override bool Equals(object? obj) => Equals(obj as ConstantSet);

    public override int GetHashCode()
    {
        var hash = IsUnknown ? 1 : 0;
        hash = (hash * 31) + MustBits.GetHashCode();
        hash = (hash * 31) + MayBits.GetHashCode();
        foreach (var value in Values)
        {
            hash = (hash * 31) + value.GetHashCode();
        }

        return hash;
    }

    public override string ToString()
    {
        if (IsKnown || IsBottom)
        {
            return "{" + string.Join(", ", Values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "}";
        }

        return IsTop ? "Unknown" : $"Bits(must=0x{MustBits:x}, may=0x{MayBits:x})";
    }

    private ConstantSet Bitwise(ConstantSet other, Func<long, long, long> exact, Func<long, long, long, long, (long Must, long May)> bits)
    {
        if (IsBottom || other.IsBottom)
        {
            return Bottom;
        }

        if (IsKnown && other.IsKnown && Values.Length * other.Values.Length <= MaxValues * MaxValues)
        {
            var results = new List<long>();
            foreach (var left in Values)
            {
                foreach (var right in other.Values)
                {
                    results.Add(exact(left, right));
                }
            }

            return Of(results);
        }

        var (must, may) = bits(MustBits, MayBits, other.MustBits, other.MayBits);
        return Bits(must, may);
    }
}
