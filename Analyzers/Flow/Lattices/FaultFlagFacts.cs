using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Per-path facts inside a fault handler: the FaultFlags bits of the handler's <c>vmf.Flags</c> known set and known
/// clear (refined on branches), locals holding <c>vmf.Flags</c> or a test of it, and what the handler has done with
/// the mmap lock (<see cref="HandlerLockFacts"/>). Immutable. A path whose facts contradict (a bit both set and clear)
/// is infeasible and becomes <see cref="Unreached"/>.
/// <para>
/// The legal combinations of SEMANTICS.md rule 2 are built in: RetryNowait set implies AllowRetry set, so AllowRetry
/// clear implies RetryNowait clear.
/// </para>
/// </summary>
internal sealed class FaultFlagFacts
{
    public static readonly FaultFlagFacts Unreached = new(true, 0, 0, ImmutableDictionary<ILocalSymbol, FaultFlagTest>.Empty, ImmutableHashSet<ILocalSymbol>.Empty, HandlerLockFacts.Unknown, ImmutableDictionary<CaptureId, FaultFlagTest>.Empty, false);

    /// <summary>The facts of a side of a test that cannot be taken (every bit both set and clear: refining with it is a contradiction).</summary>
    public const long Impossible = -1;

    private FaultFlagFacts(
        bool isUnreached,
        long set,
        long clear,
        ImmutableDictionary<ILocalSymbol, FaultFlagTest> tests,
        ImmutableHashSet<ILocalSymbol> flagsLocals,
        HandlerLockFacts lockFacts,
        ImmutableDictionary<CaptureId, FaultFlagTest> captures,
        bool afterRetryAwareCall)
    {
        Captures = captures;
        AfterRetryAwareCall = afterRetryAwareCall;
        IsUnreached = isUnreached;
        Set = set;
        Clear = clear;
        Tests = tests;
        FlagsLocals = flagsLocals;
        Lock = lockFacts;
    }

    public bool IsUnreached { get; }

    /// <summary>Bits of <c>vmf.Flags</c> known set on this path.</summary>
    public long Set { get; }

    /// <summary>Bits of <c>vmf.Flags</c> known clear on this path.</summary>
    public long Clear { get; }

    /// <summary>Bool locals holding a test of <c>vmf.Flags</c>.</summary>
    public ImmutableDictionary<ILocalSymbol, FaultFlagTest> Tests { get; }

    /// <summary>FaultFlags locals holding <c>vmf.Flags</c>.</summary>
    public ImmutableHashSet<ILocalSymbol> FlagsLocals { get; }

    public HandlerLockFacts Lock { get; }

    /// <summary>
    /// Bool flow captures (the graph's lowering of <c>a || b</c>, <c>a &amp;&amp; b</c>, <c>c ? a : b</c> assigned to a local or
    /// passed on) as tests: the facts known on every path where the capture is true, and where it is false. These
    /// are whole-path facts, not just the test's own bits, so <c>bool skip = nowait || busy;</c> knows RetryNowait is
    /// clear when <c>skip</c> is false.
    /// </summary>
    public ImmutableDictionary<CaptureId, FaultFlagTest> Captures { get; }

    /// <summary>
    /// Some path here went through <c>Filemap.LockPageOrRetry</c> or <c>Userfaultfd.HandleUserfault</c>, which may return
    /// Retry on a fatal signal without AllowRetry (rule 32): a Retry constant after them is usually their result
    /// spelled out, so FL2002 stays silent.
    /// </summary>
    public bool AfterRetryAwareCall { get; }

    public FaultFlagFacts WithRetryAwareCall() =>
        IsUnreached || AfterRetryAwareCall ? this : new(false, Set, Clear, Tests, FlagsLocals, Lock, Captures, true);

    public static FaultFlagFacts Start(long set, long clear, HandlerLockFacts lockFacts) =>
        new(
            false,
            set,
            clear,
            ImmutableDictionary.Create<ILocalSymbol, FaultFlagTest>(SymbolEqualityComparer.Default),
            ImmutableHashSet.Create<ILocalSymbol>(SymbolEqualityComparer.Default),
            lockFacts,
            ImmutableDictionary<CaptureId, FaultFlagTest>.Empty,
            false);

    public bool IsKnownSet(long bit) => !IsUnreached && bit != 0 && (Set & bit) == bit;

    public bool IsKnownClear(long bit) => !IsUnreached && bit != 0 && (Clear & bit) == bit;

    /// <summary>Adds known bits, with the RetryNowait ⇒ AllowRetry implication (both given as bit values).</summary>
    public FaultFlagFacts Refine(long set, long clear, long retryNowait, long allowRetry)
    {
        if (IsUnreached || (set == 0 && clear == 0))
        {
            return this;
        }

        var newSet = Set | set;
        var newClear = Clear | clear;
        if ((newSet & retryNowait) != 0)
        {
            newSet |= allowRetry;
        }

        if ((newClear & allowRetry) != 0)
        {
            newClear |= retryNowait;
        }

        if ((newSet & newClear) != 0)
        {
            return Unreached;
        }

        return newSet == Set && newClear == Clear ? this : new(false, newSet, newClear, Tests, FlagsLocals, Lock, Captures, AfterRetryAwareCall);
    }

    public FaultFlagFacts WithLock(HandlerLockFacts lockFacts) =>
        IsUnreached || lockFacts == Lock ? this : new(false, Set, Clear, Tests, FlagsLocals, lockFacts, Captures, AfterRetryAwareCall);

    /// <summary>Records what <paramref name="local"/> now holds: a test, <c>vmf.Flags</c>, or nothing known.</summary>
    public FaultFlagFacts WithLocal(ILocalSymbol local, FaultFlagTest? test, bool holdsFlags)
    {
        if (IsUnreached)
        {
            return this;
        }

        var tests = test is { } value ? Tests.SetItem(local, value) : Tests.Remove(local);
        var flagsLocals = holdsFlags ? FlagsLocals.Add(local) : FlagsLocals.Remove(local);
        return new(false, Set, Clear, tests, flagsLocals, Lock, Captures, AfterRetryAwareCall);
    }

    public FaultFlagFacts Without(ImmutableHashSet<ILocalSymbol> locals)
    {
        if (IsUnreached)
        {
            return this;
        }

        return new(false, Set, Clear, Tests.RemoveRange(locals), FlagsLocals.Except(locals), Lock, Captures, AfterRetryAwareCall);
    }

    public FaultFlagFacts Join(FaultFlagFacts other)
    {
        if (IsUnreached)
        {
            return other;
        }

        if (other.IsUnreached)
        {
            return this;
        }

        var tests = Tests;
        foreach (var pair in Tests)
        {
            if (!other.Tests.TryGetValue(pair.Key, out var theirs) || !theirs.IsSameAs(pair.Value))
            {
                tests = tests.Remove(pair.Key);
            }
        }

        // A capture defined on one side only is not read after the merge (the graph defines it on every path to
        // its use); dropping it only loses precision.
        var captures = ImmutableDictionary<CaptureId, FaultFlagTest>.Empty;
        foreach (var pair in Captures)
        {
            if (other.Captures.TryGetValue(pair.Key, out var theirs))
            {
                captures = captures.SetItem(pair.Key, JoinCapture(pair.Value, theirs));
            }
        }

        return new(false, Set & other.Set, Clear & other.Clear, tests, FlagsLocals.Intersect(other.FlagsLocals), HandlerLockFactsLattice.Join(Lock, other.Lock), captures, AfterRetryAwareCall || other.AfterRetryAwareCall);
    }

    /// <summary>Records the test a bool capture stands for on this path.</summary>
    public FaultFlagFacts WithCapture(CaptureId id, FaultFlagTest test) =>
        IsUnreached ? this : new(false, Set, Clear, Tests, FlagsLocals, Lock, Captures.SetItem(id, test), AfterRetryAwareCall);

    public bool IsSame(FaultFlagFacts other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (IsUnreached != other.IsUnreached || Set != other.Set || Clear != other.Clear || Lock != other.Lock || AfterRetryAwareCall != other.AfterRetryAwareCall
            || Tests.Count != other.Tests.Count || !FlagsLocals.SetEquals(other.FlagsLocals) || Captures.Count != other.Captures.Count)
        {
            return false;
        }

        foreach (var pair in Captures)
        {
            if (!other.Captures.TryGetValue(pair.Key, out var theirs) || !theirs.IsSameAs(pair.Value))
            {
                return false;
            }
        }

        foreach (var pair in Tests)
        {
            if (!other.Tests.TryGetValue(pair.Key, out var theirs) || !theirs.IsSameAs(pair.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Per side: an impossible side takes the other's facts; otherwise only what both paths know.</summary>
    private static FaultFlagTest JoinCapture(FaultFlagTest left, FaultFlagTest right)
    {
        var (trueSet, trueClear) = JoinSide(left.TrueSet, left.TrueClear, right.TrueSet, right.TrueClear);
        var (falseSet, falseClear) = JoinSide(left.FalseSet, left.FalseClear, right.FalseSet, right.FalseClear);
        return new FaultFlagTest(trueSet, trueClear, falseSet, falseClear);
    }

    private static (long Set, long Clear) JoinSide(long leftSet, long leftClear, long rightSet, long rightClear)
    {
        if (leftSet == Impossible && leftClear == Impossible)
        {
            return (rightSet, rightClear);
        }

        if (rightSet == Impossible && rightClear == Impossible)
        {
            return (leftSet, leftClear);
        }

        return (leftSet & rightSet, leftClear & rightClear);
    }
}
