using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>How an mm's mmap lock is held when <see cref="MmapLockValue.Drop"/> does not say it was dropped.</summary>
internal enum LockHold : byte
{
    Unlocked,
    Read,
    Write,
}

/// <summary>
/// The mmap-lock state of one mm: Unlocked, ReadHeld, WriteHeld, or held unless a condition says it was dropped
/// (held iff <c>locked</c>; held unless the fault result has Retry/Completed; held iff a killable lock returned 0).
/// Absent from the state = Unknown, which reports nothing.
/// </summary>
internal readonly struct MmapLockValue : IEquatable<MmapLockValue>
{
    public MmapLockValue(LockHold hold, MmapLockCondition drop, IOperation? acquire, IOperation? dropSite = null, bool callersReleased = false)
    {
        Hold = hold;
        Drop = drop;
        Acquire = acquire;
        DropSite = drop.IsNone ? null : dropSite;
        CallersReleased = hold == LockHold.Unlocked && callersReleased;
    }

    /// <summary>
    /// Unlocked, and what was released is a lock this method did not take: the caller's (held on entry, or Unknown
    /// until the release). Taking it back restores the entry state, so that take is not this method's to release.
    /// </summary>
    public bool CallersReleased { get; }

    /// <summary>The call that may drop the lock (a <c>...Locked</c> GUP, <c>HandleMmFault</c>), while <see cref="Drop"/> is pending.</summary>
    public IOperation? DropSite { get; }

    public LockHold Hold { get; }

    public MmapLockCondition Drop { get; }

    /// <summary>The lock call of this method that took the lock on every path here, or null (taken by the caller, or joined).</summary>
    public IOperation? Acquire { get; }

    /// <summary>Unlocked by a release of <paramref name="released"/> (null: a lock whose state was Unknown).</summary>
    public static MmapLockValue ReleasedFrom(MmapLockValue? released) => new(
        LockHold.Unlocked,
        default,
        null,
        callersReleased: released is not { } value || (value.IsUnlocked ? value.CallersReleased : value.Acquire is null));

    /// <summary>
    /// The value a lock call leaves, for a lock whose value before was <paramref name="before"/>: taken by this
    /// method at <paramref name="call"/>, unless it takes back a lock of the caller's that this method released.
    /// </summary>
    public static MmapLockValue TakenBy(IOperation call, LockHold hold, MmapLockCondition drop, MmapLockValue? before) =>
        new(hold, drop, before is { IsUnlocked: true, CallersReleased: true } ? null : call);

    /// <summary>Definitely held (read or write), with no pending condition.</summary>
    public bool IsHeld => Hold != LockHold.Unlocked && Drop.IsNone;

    public bool IsUnlocked => Hold == LockHold.Unlocked;

    public bool Equals(MmapLockValue other) =>
        Hold == other.Hold && Drop.Equals(other.Drop) && ReferenceEquals(Acquire, other.Acquire) && ReferenceEquals(DropSite, other.DropSite)
        && CallersReleased == other.CallersReleased;

    public override bool Equals(object? obj) => obj is MmapLockValue other && Equals(other);

    public override int GetHashCode() => (int)Hold;
}

/// <summary>
/// Whether a VMA (a local or parameter) may be stale: fresh, stale iff a condition holds, or definitely stale
/// (SEMANTICS.md rules 18, 28, 29). <see cref="Mm"/> is the lock key it was looked up under, when known.
/// </summary>
internal readonly struct VmaValue : IEquatable<VmaValue>
{
    public VmaValue(ISymbol? mm, MmapLockCondition staleIf, bool stale, IOperation? dropSite)
    {
        Mm = mm;
        StaleIf = staleIf;
        Stale = stale;
        DropSite = dropSite;
    }

    public ISymbol? Mm { get; }

    public MmapLockCondition StaleIf { get; }

    public bool Stale { get; }

    /// <summary>The call that may have dropped the lock (for the message).</summary>
    public IOperation? DropSite { get; }

    public bool MayBeStale => Stale || !StaleIf.IsNone;

    public bool Equals(VmaValue other) =>
        SymbolEqualityComparer.Default.Equals(Mm, other.Mm) && StaleIf.Equals(other.StaleIf) && Stale == other.Stale && ReferenceEquals(DropSite, other.DropSite);

    public override bool Equals(object? obj) => obj is VmaValue other && Equals(other);

    public override int GetHashCode() => Stale ? 1 : 0;
}

/// <summary>State of <see cref="MmapLockAnalysis"/>: per lock key (an mm local, parameter, field, or <c>KernelTask.Mm</c> for the current mm) and per VMA.</summary>
internal sealed class MmapLockState
{
    public static readonly MmapLockState Unreached = new(
        ImmutableDictionary.Create<ISymbol, MmapLockValue>(SymbolEqualityComparer.Default),
        ImmutableDictionary.Create<ISymbol, VmaValue>(SymbolEqualityComparer.Default),
        isUnreached: true);

    public static readonly MmapLockState Empty = new(Unreached.Locks, Unreached.Vmas, isUnreached: false);

    private MmapLockState(
        ImmutableDictionary<ISymbol, MmapLockValue> locks,
        ImmutableDictionary<ISymbol, VmaValue> vmas,
        bool isUnreached)
    {
        Locks = locks;
        Vmas = vmas;
        IsUnreached = isUnreached;
    }

    public ImmutableDictionary<ISymbol, MmapLockValue> Locks { get; }

    public ImmutableDictionary<ISymbol, VmaValue> Vmas { get; }

    public bool IsUnreached { get; }

    public MmapLockValue? LockOf(ISymbol key) => Locks.TryGetValue(key, out var value) ? value : null;

    public VmaValue? VmaOf(ISymbol vma) => Vmas.TryGetValue(vma, out var value) ? value : null;

    public MmapLockState WithLock(ISymbol key, MmapLockValue? value) =>
        new(value is { } known ? Locks.SetItem(key, known) : Locks.Remove(key), Vmas, isUnreached: false);

    public MmapLockState WithVma(ISymbol vma, VmaValue? value) =>
        new(Locks, value is { } known ? Vmas.SetItem(vma, known) : Vmas.Remove(vma), isUnreached: false);

    public MmapLockState With(ImmutableDictionary<ISymbol, MmapLockValue> locks, ImmutableDictionary<ISymbol, VmaValue> vmas) =>
        new(locks, vmas, isUnreached: false);

    public MmapLockState Join(MmapLockState other)
    {
        if (IsUnreached)
        {
            return other;
        }

        if (other.IsUnreached)
        {
            return this;
        }

        var locks = Locks;
        foreach (var pair in Locks)
        {
            if (!other.Locks.TryGetValue(pair.Key, out var theirs))
            {
                locks = locks.Remove(pair.Key);
            }
            else if (!pair.Value.Equals(theirs))
            {
                var joined = JoinLock(pair.Value, theirs);
                locks = joined is { } value ? locks.SetItem(pair.Key, value) : locks.Remove(pair.Key);
            }
        }

        var vmas = Vmas;
        foreach (var pair in Vmas)
        {
            if (!other.Vmas.TryGetValue(pair.Key, out var theirs) || !pair.Value.Equals(theirs))
            {
                vmas = vmas.Remove(pair.Key);
            }
        }

        return new MmapLockState(locks, vmas, isUnreached: false);
    }

    /// <summary>
    /// Two different values: the same definite hold taken at two places stays held (the leak check keeps the
    /// earlier lock call, or none if one path got the lock from the caller); Unlocked stays Unlocked, and counts as
    /// the caller's lock released if it is on either path (a retake then reports nothing); anything else is Unknown.
    /// </summary>
    private static MmapLockValue? JoinLock(MmapLockValue left, MmapLockValue right)
    {
        if (left.Hold != right.Hold || !left.Drop.Equals(right.Drop))
        {
            return null;
        }

        IOperation? acquire = null;
        if (left.Acquire is not null && right.Acquire is not null)
        {
            acquire = left.Acquire.Syntax.SpanStart <= right.Acquire.Syntax.SpanStart ? left.Acquire : right.Acquire;
        }

        var dropSite = left.DropSite is null || right.DropSite is null ? left.DropSite ?? right.DropSite
            : left.DropSite.Syntax.SpanStart <= right.DropSite.Syntax.SpanStart ? left.DropSite : right.DropSite;
        return new MmapLockValue(left.Hold, left.Drop, acquire, dropSite, left.CallersReleased || right.CallersReleased);
    }

    public bool IsSame(MmapLockState other)
    {
        if (IsUnreached != other.IsUnreached || Locks.Count != other.Locks.Count || Vmas.Count != other.Vmas.Count)
        {
            return false;
        }

        foreach (var pair in Locks)
        {
            if (!other.Locks.TryGetValue(pair.Key, out var value) || !value.Equals(pair.Value))
            {
                return false;
            }
        }

        foreach (var pair in Vmas)
        {
            if (!other.Vmas.TryGetValue(pair.Key, out var value) || !value.Equals(pair.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Forgets everything that depends on <paramref name="subject"/> (a local that was written), and the subject itself as a key.</summary>
    public MmapLockState Forget(object subject)
    {
        var locks = Locks;
        foreach (var pair in Locks)
        {
            if (pair.Value.Drop.DependsOn(subject) || MmapLockCondition.SameSubject(pair.Key, subject))
            {
                locks = locks.Remove(pair.Key);
            }
        }

        var vmas = Vmas;
        foreach (var pair in Vmas)
        {
            if (pair.Value.StaleIf.DependsOn(subject) || MmapLockCondition.SameSubject(pair.Key, subject)
                || (pair.Value.Mm is not null && MmapLockCondition.SameSubject(pair.Value.Mm, subject)))
            {
                vmas = vmas.Remove(pair.Key);
            }
        }

        return new MmapLockState(locks, vmas, IsUnreached);
    }

    public MmapLockState ForgetAll(IEnumerable<ISymbol> subjects)
    {
        var state = this;
        foreach (var subject in subjects)
        {
            state = state.Forget(subject);
        }

        return state;
    }
}
