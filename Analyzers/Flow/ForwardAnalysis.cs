using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// One forward dataflow problem over a <see cref="Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph"/>:
/// a lattice of immutable states and the transfer of each operation. <see cref="ForwardDataflow"/> solves it.
/// Each concern (flag values, GUP results, a <c>locked</c> local, later mmap-lock state, task state, pins) is its
/// own subclass in its own file, so a rule family runs only the problems it reads.
/// </summary>
/// <typeparam name="TState">An immutable state; the solver never mutates one.</typeparam>
internal abstract class ForwardAnalysis<TState>
    where TState : class
{
    /// <summary>The state of a point no path reaches yet: the identity of <see cref="Join"/>.</summary>
    public abstract TState Unreached { get; }

    /// <summary>The state on entry to the method (or lambda, or local function).</summary>
    public abstract TState Entry { get; }

    /// <summary>
    /// The state where nothing is known: entry of catch, filter and finally handlers, which an exception can
    /// reach from anywhere in the protected region. Rules must stay silent on what it leaves unknown.
    /// </summary>
    public abstract TState Unknown { get; }

    /// <summary>The least upper bound of two states meeting at a merge point.</summary>
    public abstract TState Join(TState left, TState right);

    /// <summary>Whether two states are equal (the solver stops when no block's input changes).</summary>
    public abstract bool IsSame(TState left, TState right);

    /// <summary>
    /// The effect of one operation, called after its operands were applied (evaluation order, see
    /// <see cref="EvaluationOrder"/>). Most operations change nothing and return <paramref name="state"/>.
    /// </summary>
    public abstract TState Apply(IOperation operation, TState state);

    /// <summary>
    /// The states on the true and the false side of a block's branch condition (already applied). The default
    /// learns nothing from conditions; branch-sensitive problems override it.
    /// </summary>
    public virtual (TState WhenTrue, TState WhenFalse) Split(IOperation condition, TState state) => (state, state);

    /// <summary>
    /// Forgets what is known about <paramref name="locals"/>, which a finally region the flow passes through
    /// may have written.
    /// </summary>
    public abstract TState Forget(TState state, ImmutableHashSet<ILocalSymbol> locals);

    /// <summary>
    /// The state after a branch runs <paramref name="finallyRegion"/> on its way out of a try (the solver starts the
    /// finally's own blocks from <see cref="Unknown"/>, so what it does is otherwise lost). The default changes
    /// nothing; a problem whose finally blocks typically undo something (the task state, FL3005) applies it here.
    /// </summary>
    public virtual TState ThroughFinally(TState state, Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowRegion finallyRegion) => state;
}
