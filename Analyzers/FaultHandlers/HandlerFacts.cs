using System.Collections.Generic;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>A point of a handler with the per-path facts that hold there.</summary>
internal readonly struct FactsAt<TOperation>
    where TOperation : IOperation
{
    public FactsAt(TOperation operation, FaultFlagFacts facts)
    {
        Operation = operation;
        Facts = facts;
    }

    public TOperation Operation { get; }

    public FaultFlagFacts Facts { get; }
}

/// <summary>
/// What the FL2002-FL2005 rules read from one solved handler: every <c>VmFaultResult.Retry</c> constant the handler
/// returns (directly, or through a <c>cond ? Retry : Sigbus</c> the graph turns into a flow capture), the other
/// VmFaultResult constants it returns the same way, every explicit mmap-lock release, and every invocation, each
/// with the facts that hold there.
/// </summary>
internal sealed class HandlerFacts
{
    private HandlerFacts(HandlerContext context)
    {
        Context = context;
    }

    public HandlerContext Context { get; }

    public List<FactsAt<IOperation>> RetryReturns { get; } = new();

    /// <summary>The other <c>VmFaultResult</c> constants the handler returns (<c>Nopage</c>, <c>Sigbus</c>, ...), found the same way.</summary>
    public List<FactsAt<IOperation>> OtherReturns { get; } = new();

    public List<FactsAt<IInvocationOperation>> Unlocks { get; } = new();

    public List<FactsAt<IInvocationOperation>> Calls { get; } = new();

    public static HandlerFacts Collect(HandlerContext context)
    {
        var facts = new HandlerFacts(context);
        var collector = new Collector(facts);
        context.Result.Replay(collector);
        collector.Finish();
        return facts;
    }

    private sealed class Collector : FlowObserver<FaultFlagFacts>
    {
        private readonly HandlerFacts facts;
        private readonly Dictionary<CaptureId, List<FactsAt<IOperation>>> retryCaptures = new();
        private readonly Dictionary<CaptureId, List<FactsAt<IOperation>>> otherCaptures = new();
        private readonly HashSet<CaptureId> returnedCaptures = new();

        public Collector(HandlerFacts facts)
        {
            this.facts = facts;
        }

        public override void OnOperation(IOperation operation, FaultFlagFacts before, BasicBlock block)
        {
            if (before.IsUnreached)
            {
                return;
            }

            switch (operation)
            {
                case IFlowCaptureOperation capture when ResultConstant(capture.Value) is { } bits:
                {
                    var captures = (bits & facts.Context.Symbols.Retry) != 0 ? retryCaptures : otherCaptures;
                    if (!captures.TryGetValue(capture.Id, out var list))
                    {
                        list = new List<FactsAt<IOperation>>();
                        captures[capture.Id] = list;
                    }

                    list.Add(new FactsAt<IOperation>(Comparisons.StripConversions(capture.Value), before));
                    break;
                }

                case IInvocationOperation invocation:
                    facts.Calls.Add(new FactsAt<IInvocationOperation>(invocation, before));
                    if (facts.Context.Symbols.IsMmapReadUnlock(invocation))
                    {
                        facts.Unlocks.Add(new FactsAt<IInvocationOperation>(invocation, before));
                    }

                    break;
            }
        }

        public override void OnBlockExit(BasicBlock block, FaultFlagFacts fallThrough, FaultFlagFacts conditional)
        {
            if (block.FallThroughSuccessor?.Semantics != ControlFlowBranchSemantics.Return || block.BranchValue is null || fallThrough.IsUnreached)
            {
                return;
            }

            var value = Comparisons.StripConversions(block.BranchValue);
            if (ResultConstant(value) is { } bits)
            {
                var returns = (bits & facts.Context.Symbols.Retry) != 0 ? facts.RetryReturns : facts.OtherReturns;
                returns.Add(new FactsAt<IOperation>(value, fallThrough));
            }
            else if (value is IFlowCaptureReferenceOperation reference)
            {
                returnedCaptures.Add(reference.Id);
            }
        }

        public void Finish()
        {
            foreach (var id in returnedCaptures)
            {
                if (retryCaptures.TryGetValue(id, out var list))
                {
                    facts.RetryReturns.AddRange(list);
                }

                if (otherCaptures.TryGetValue(id, out var others))
                {
                    facts.OtherReturns.AddRange(others);
                }
            }
        }

        /// <summary>The bits of a <c>VmFaultResult</c> constant, or null for anything else.</summary>
        private long? ResultConstant(IOperation value)
        {
            value = Comparisons.StripConversions(value);
            if (!facts.Context.Symbols.IsVmFaultResult(value.Type) || !value.ConstantValue.HasValue || value.ConstantValue.Value is null)
            {
                return null;
            }

            return value.ConstantValue.Value switch
            {
                int i => i,
                uint u => u,
                long l => l,
                ulong ul => unchecked((long)ul),
                short s => s,
                ushort us => us,
                byte b => b,
                sbyte sb => (long?)sb,
                _ => null,
            };
        }
    }
}
