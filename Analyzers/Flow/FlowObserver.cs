using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// What a rule sees when it replays a solved problem (<see cref="FlowResult{TState}.Replay"/>): the state just
/// before each operation takes effect (its operands already evaluated), and the states leaving each block.
/// </summary>
/// <typeparam name="TState">The problem's state.</typeparam>
internal abstract class FlowObserver<TState>
    where TState : class
{
    /// <summary>Called for every operation of a reachable block, in evaluation order.</summary>
    /// <param name="operation">The operation; its operands have been applied to <paramref name="before"/>.</param>
    /// <param name="before">The state before <paramref name="operation"/> itself takes effect.</param>
    /// <param name="block">The block the operation belongs to.</param>
    public virtual void OnOperation(IOperation operation, TState before, BasicBlock block)
    {
    }

    /// <summary>Called once per reachable block with the states on its two ways out.</summary>
    /// <param name="block">The block.</param>
    /// <param name="fallThrough">The state along <see cref="BasicBlock.FallThroughSuccessor"/>.</param>
    /// <param name="conditional">The state along <see cref="BasicBlock.ConditionalSuccessor"/> (equal to <paramref name="fallThrough"/> without a condition).</param>
    public virtual void OnBlockExit(BasicBlock block, TState fallThrough, TState conditional)
    {
    }
}
