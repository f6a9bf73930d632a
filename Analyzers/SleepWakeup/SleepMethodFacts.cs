using System.Collections.Generic;
using System.Collections.Immutable;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>One way out of a method (return, throw, end of body) and the task state on it.</summary>
internal sealed class SleepExit
{
    public SleepExit(BasicBlock block, ControlFlowBranch branch, TaskStateState state)
    {
        Block = block;
        Branch = branch;
        State = state;
    }

    public BasicBlock Block { get; }

    public ControlFlowBranch Branch { get; }

    public TaskStateState State { get; }
}

/// <summary>
/// What the FL3xxx rules read about one graph (a method body, a lambda, a local function): the solved task-state
/// problem replayed into the state before every call, at every branch condition and on every way out, the loops,
/// and the sleeping calls. Built once per graph; each rule only states its condition over it.
/// </summary>
internal sealed class SleepMethodFacts
{
    private SleepMethodFacts(
        ControlFlowGraph graph,
        IMethodSymbol? method,
        SleepSymbols symbols,
        KnownSymbols known,
        SleepSummaries summaries,
        SummaryScope scope,
        GraphIndex index,
        FlowResult<TaskStateState> result)
    {
        Graph = graph;
        Method = method;
        Symbols = symbols;
        Known = known;
        Summaries = summaries.Methods;
        MaySleep = summaries.MaySleep;
        Scope = scope;
        Index = index;
        Result = result;
        Loops = Flow.Loops.Find(graph);
    }

    public ControlFlowGraph Graph { get; }

    /// <summary>The method, lambda or local function the graph belongs to (null when unknown).</summary>
    public IMethodSymbol? Method { get; }

    public SleepSymbols Symbols { get; }

    public KnownSymbols Known { get; }

    public MethodSummaries Summaries { get; }

    /// <summary>FL2001's may-sleep summaries, for helpers (FL3006).</summary>
    public MaySleepSummaries MaySleep { get; }

    public SummaryScope Scope { get; }

    public GraphIndex Index { get; }

    public FlowResult<TaskStateState> Result { get; }

    public ImmutableArray<Loop> Loops { get; }

    /// <summary>Every classified call of the graph with the state just before it takes effect.</summary>
    public List<(IInvocationOperation Invocation, SleepCallKind Kind, TaskStateState Before)> Calls { get; } = new();

    /// <summary>The state at each block's branch condition, before the split.</summary>
    public Dictionary<BasicBlock, TaskStateState> AtCondition { get; } = new();

    public List<SleepExit> Exits { get; } = new();

    /// <summary>Whether the graph sleeps itself (Schedule or ScheduleTimeout): only then does it own a task state.</summary>
    public bool Sleeps { get; private set; }

    public static SleepMethodFacts? Create(
        ControlFlowGraph graph,
        IMethodSymbol? method,
        TaskStateBits entryState,
        SleepSymbols symbols,
        KnownSymbols known,
        SleepSummaries summaries,
        SummaryScope scope)
    {
        var index = GraphIndex.Of(graph);
        var analysis = new TaskStateAnalysis(graph, symbols, summaries.TaskStates, index, scope, entryState);
        var result = ForwardDataflow.Run(graph, analysis, scope.CancellationToken);
        if (!result.Converged)
        {
            // Not a fixed point: no rule may report on it.
            return null;
        }

        var facts = new SleepMethodFacts(graph, method, symbols, known, summaries, scope, index, result);
        result.Replay(new Recorder(facts));
        return facts;
    }

    /// <summary>The block <paramref name="invocation"/> belongs to.</summary>
    public BasicBlock? BlockOf(IOperation invocation) => Index.BlockOf(invocation);

    /// <summary>Whether some path leads from the start of <paramref name="from"/> to the start of <paramref name="to"/> (back edges included).</summary>
    public bool CanReach(BasicBlock from, BasicBlock to)
    {
        var seen = new HashSet<int>();
        var pending = new Stack<BasicBlock>();
        pending.Push(from);
        while (pending.Count > 0)
        {
            var block = pending.Pop();
            if (block.Ordinal == to.Ordinal)
            {
                return true;
            }

            if (!seen.Add(block.Ordinal))
            {
                continue;
            }

            foreach (var branch in Loop.Successors(block))
            {
                if (branch.Destination is { } destination)
                {
                    pending.Push(Graph.Blocks[destination.Ordinal]);
                }
            }
        }

        return false;
    }

    /// <summary>The branches out of the method (return, throw, end of body) reachable from the start of <paramref name="from"/>.</summary>
    public List<ControlFlowBranch> ExitsReachableFrom(BasicBlock from)
    {
        var exits = new List<ControlFlowBranch>();
        var seen = new HashSet<int>();
        var pending = new Stack<BasicBlock>();
        pending.Push(from);
        while (pending.Count > 0)
        {
            var block = pending.Pop();
            if (!seen.Add(block.Ordinal))
            {
                continue;
            }

            foreach (var branch in Loop.Successors(block))
            {
                if (IsExit(branch))
                {
                    exits.Add(branch);
                }
                else if (branch.Destination is { } destination)
                {
                    pending.Push(Graph.Blocks[destination.Ordinal]);
                }
            }
        }

        return exits;
    }

    public static bool IsExit(ControlFlowBranch branch) =>
        branch.Semantics is ControlFlowBranchSemantics.Throw or ControlFlowBranchSemantics.Rethrow
        || branch.Destination?.Kind == BasicBlockKind.Exit;

    private sealed class Recorder : FlowObserver<TaskStateState>
    {
        private readonly SleepMethodFacts facts;

        public Recorder(SleepMethodFacts facts)
        {
            this.facts = facts;
        }

        public override void OnOperation(IOperation operation, TaskStateState before, BasicBlock block)
        {
            if (operation == block.BranchValue && block.ConditionKind != ControlFlowConditionKind.None)
            {
                facts.AtCondition[block] = before;
            }

            if (operation is IInvocationOperation invocation)
            {
                var kind = facts.Symbols.Classify(invocation.TargetMethod);
                if (kind != SleepCallKind.None)
                {
                    facts.Calls.Add((invocation, kind, before));
                    if (kind is SleepCallKind.Schedule or SleepCallKind.ScheduleTimeout)
                    {
                        facts.Sleeps = true;
                    }
                }
            }
        }

        public override void OnBlockExit(BasicBlock block, TaskStateState fallThrough, TaskStateState conditional)
        {
            if (block.FallThroughSuccessor is { } next && IsExit(next))
            {
                facts.Exits.Add(new SleepExit(block, next, fallThrough));
            }

            if (block.ConditionalSuccessor is { } taken && IsExit(taken))
            {
                facts.Exits.Add(new SleepExit(block, taken, conditional));
            }
        }
    }
}
