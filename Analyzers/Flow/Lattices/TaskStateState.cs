using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// State of <see cref="TaskStateAnalysis"/> at a point: the task states the paths may be in, which call set a
/// sleeping state, the wait entries that may still be queued, the KSpinLocks held on every path, and the
/// state-setting calls that no condition test has followed yet. Immutable.
/// </summary>
internal sealed class TaskStateState
{
    public static readonly TaskStateState Unreached = new(
        TaskStateBits.None,
        ImmutableHashSet<IInvocationOperation>.Empty,
        ImmutableHashSet<IInvocationOperation>.Empty,
        ImmutableHashSet<string>.Empty,
        ImmutableHashSet<IInvocationOperation>.Empty,
        isUnreached: true);

    private TaskStateState(
        TaskStateBits states,
        ImmutableHashSet<IInvocationOperation> setSites,
        ImmutableHashSet<IInvocationOperation> queued,
        ImmutableHashSet<string> heldSpinLocks,
        ImmutableHashSet<IInvocationOperation> untestedSets,
        bool isUnreached)
    {
        States = states;
        SetSites = setSites;
        Queued = queued;
        HeldSpinLocks = heldSpinLocks;
        UntestedSets = untestedSets;
        IsUnreached = isUnreached;
    }

    public bool IsUnreached { get; }

    public TaskStateBits States { get; }

    /// <summary>The SetCurrentState/PrepareToWait calls that set the sleeping state the paths may be in.</summary>
    public ImmutableHashSet<IInvocationOperation> SetSites { get; }

    /// <summary>The PrepareToWait/AddWaitQueue calls whose entry may still be queued (on some path).</summary>
    public ImmutableHashSet<IInvocationOperation> Queued { get; }

    /// <summary>Keys (receiver text) of the KSpinLocks held on every path.</summary>
    public ImmutableHashSet<string> HeldSpinLocks { get; }

    /// <summary>Calls that set a sleeping state and after which, on some path, no wake condition was tested yet.</summary>
    public ImmutableHashSet<IInvocationOperation> UntestedSets { get; }

    public static TaskStateState Start(TaskStateBits states) => new(
        states,
        ImmutableHashSet<IInvocationOperation>.Empty,
        ImmutableHashSet<IInvocationOperation>.Empty,
        ImmutableHashSet<string>.Empty,
        ImmutableHashSet<IInvocationOperation>.Empty,
        isUnreached: false);

    /// <summary>A state was set by <paramref name="site"/>.</summary>
    public TaskStateState WithStateSet(TaskStateBits states, IInvocationOperation site)
    {
        var sleeping = (states & TaskStateBits.Sleeping) != 0;
        var sites = sleeping ? ImmutableHashSet.Create(site) : ImmutableHashSet<IInvocationOperation>.Empty;
        return new(states, sites, Queued, HeldSpinLocks, sites, IsUnreached);
    }

    /// <summary>Running again: a sleep returned, a may-sleep call ran, or FinishWait.</summary>
    public TaskStateState WithRunning() => new(
        TaskStateBits.Running, ImmutableHashSet<IInvocationOperation>.Empty, Queued, HeldSpinLocks, ImmutableHashSet<IInvocationOperation>.Empty, IsUnreached);

    /// <summary>Something we cannot read may have changed the state.</summary>
    public TaskStateState WithUnknownState() => new(
        TaskStateBits.Unknown, ImmutableHashSet<IInvocationOperation>.Empty, Queued, HeldSpinLocks, ImmutableHashSet<IInvocationOperation>.Empty, IsUnreached);

    public TaskStateState WithQueued(IInvocationOperation site) => new(States, SetSites, Queued.Add(site), HeldSpinLocks, UntestedSets, IsUnreached);

    public TaskStateState WithoutQueued(ImmutableHashSet<IInvocationOperation> removed) =>
        removed.IsEmpty ? this : new(States, SetSites, Queued.Except(removed), HeldSpinLocks, UntestedSets, IsUnreached);

    public TaskStateState WithHeld(string spinLock) => new(States, SetSites, Queued, HeldSpinLocks.Add(spinLock), UntestedSets, IsUnreached);

    public TaskStateState WithoutHeld(string spinLock) => new(States, SetSites, Queued, HeldSpinLocks.Remove(spinLock), UntestedSets, IsUnreached);

    /// <summary>A wake condition was tested: every earlier state change is now followed by a test.</summary>
    public TaskStateState WithConditionTested() =>
        UntestedSets.IsEmpty ? this : new(States, SetSites, Queued, HeldSpinLocks, ImmutableHashSet<IInvocationOperation>.Empty, IsUnreached);

    public TaskStateState Join(TaskStateState other)
    {
        if (IsUnreached)
        {
            return other;
        }

        if (other.IsUnreached)
        {
            return this;
        }

        return new(
            States | other.States,
            SetSites.Union(other.SetSites),
            Queued.Union(other.Queued),
            HeldSpinLocks.Intersect(other.HeldSpinLocks),
            UntestedSets.Union(other.UntestedSets),
            isUnreached: false);
    }

    public bool IsSame(TaskStateState other) =>
        IsUnreached == other.IsUnreached
        && States == other.States
        && SetSites.SetEquals(other.SetSites)
        && Queued.SetEquals(other.Queued)
        && HeldSpinLocks.SetEquals(other.HeldSpinLocks)
        && UntestedSets.SetEquals(other.UntestedSets);
}
