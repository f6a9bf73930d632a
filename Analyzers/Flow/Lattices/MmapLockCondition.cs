using System;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>What a conditional mmap-lock drop depends on (SEMANTICS.md rules 18, 28, 30).</summary>
internal enum DropKind : byte
{
    /// <summary>No condition: the value is definite.</summary>
    None,

    /// <summary>Dropped iff the bool subject is false: the <c>locked</c> local of a <c>...Locked</c> GUP, the result of a trylock.</summary>
    WhenFalse,

    /// <summary>Dropped iff the bool subject is true: the <c>unlocked</c> local of <c>FixupUserFault</c> (VMAs only).</summary>
    WhenTrue,

    /// <summary>Dropped iff the integral subject is not 0: the result of a killable lock (0 or -EINTR).</summary>
    WhenNonZero,

    /// <summary>Dropped iff the <c>VmFaultResult</c> subject has one of <see cref="MmapLockCondition.Bits"/> (Retry, Completed).</summary>
    WhenFaultBits,
}

/// <summary>
/// A condition on one subject: a tracked local, or the very operation whose value is tested in the same block
/// (<c>if (mm.MmapReadTrylock())</c>). Immutable; compared by subject identity.
/// </summary>
internal readonly struct MmapLockCondition : IEquatable<MmapLockCondition>
{
    public MmapLockCondition(DropKind kind, object subject, long bits = 0)
    {
        Kind = kind;
        Subject = subject;
        Bits = bits;
    }

    public DropKind Kind { get; }

    /// <summary>An <see cref="ILocalSymbol"/> or an <see cref="IOperation"/>.</summary>
    public object? Subject { get; }

    /// <summary>For <see cref="DropKind.WhenFaultBits"/>: the result bits not yet excluded by a test.</summary>
    public long Bits { get; }

    public bool IsNone => Kind == DropKind.None;

    public bool DependsOn(object subject) => Kind != DropKind.None && SameSubject(Subject, subject);

    public MmapLockCondition WithSubject(object subject) => new(Kind, subject, Bits);

    public static bool SameSubject(object? left, object? right) => left switch
    {
        ISymbol symbol => right is ISymbol other && SymbolEqualityComparer.Default.Equals(symbol, other),
        _ => ReferenceEquals(left, right),
    };

    public bool Equals(MmapLockCondition other) => Kind == other.Kind && Bits == other.Bits && SameSubject(Subject, other.Subject);

    public override bool Equals(object? obj) => obj is MmapLockCondition other && Equals(other);

    public override int GetHashCode() => (int)Kind ^ Bits.GetHashCode();
}

/// <summary>What a branch condition says about a subject.</summary>
internal enum FactKind : byte
{
    BoolTrue,
    BoolFalse,
    IsZero,
    NonZero,
    /// <summary><c>(s &amp; C) != 0</c>: some bit of C is set.</summary>
    AnyBits,
    /// <summary><c>(s &amp; C) == 0</c>: no bit of C is set.</summary>
    NoBits,
    /// <summary><c>s.HasFlag(C)</c> or <c>s == C</c> with C: these bits set (and, for equality, no others).</summary>
    AllBits,
    /// <summary><c>s == C</c>: exactly C.</summary>
    Exactly,
    Nothing,
}

internal readonly struct Fact
{
    public Fact(FactKind kind, long bits = 0)
    {
        Kind = kind;
        Bits = bits;
    }

    public FactKind Kind { get; }

    public long Bits { get; }

    public static Fact None => new(FactKind.Nothing);
}

/// <summary>The outcome of refining a <see cref="MmapLockCondition"/> with a <see cref="Fact"/>.</summary>
internal enum Refinement : byte
{
    Unchanged,
    Dropped,
    Kept,
    Narrowed,
}

internal static class MmapLockConditions
{
    /// <summary>Refines <paramref name="condition"/> with <paramref name="fact"/> about its subject.</summary>
    public static Refinement Refine(MmapLockCondition condition, Fact fact, out MmapLockCondition narrowed)
    {
        narrowed = condition;
        switch (condition.Kind)
        {
            case DropKind.WhenFalse:
                return fact.Kind switch
                {
                    FactKind.BoolTrue => Refinement.Kept,
                    FactKind.BoolFalse => Refinement.Dropped,
                    _ => Refinement.Unchanged,
                };

            case DropKind.WhenTrue:
                return fact.Kind switch
                {
                    FactKind.BoolTrue => Refinement.Dropped,
                    FactKind.BoolFalse => Refinement.Kept,
                    _ => Refinement.Unchanged,
                };

            case DropKind.WhenNonZero:
                return fact.Kind switch
                {
                    FactKind.IsZero => Refinement.Kept,
                    FactKind.NonZero => Refinement.Dropped,
                    _ => Refinement.Unchanged,
                };

            case DropKind.WhenFaultBits:
                var pending = condition.Bits;
                switch (fact.Kind)
                {
                    case FactKind.AnyBits when fact.Bits != 0 && (fact.Bits & ~pending) == 0:
                        return Refinement.Dropped;
                    case FactKind.AllBits when (fact.Bits & pending) != 0:
                        return Refinement.Dropped;
                    case FactKind.Exactly:
                        return (fact.Bits & pending) != 0 ? Refinement.Dropped : Refinement.Kept;
                    case FactKind.NoBits:
                        var left = pending & ~fact.Bits;
                        if (left == pending)
                        {
                            return Refinement.Unchanged;
                        }

                        if (left == 0)
                        {
                            return Refinement.Kept;
                        }

                        narrowed = new MmapLockCondition(DropKind.WhenFaultBits, condition.Subject!, left);
                        return Refinement.Narrowed;
                    case FactKind.IsZero:
                        return Refinement.Kept;
                    default:
                        return Refinement.Unchanged;
                }

            default:
                return Refinement.Unchanged;
        }
    }
}
