using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// Everything the FL1xxx rules read about one graph (a method, lambda or local function body), computed once:
/// the GUP and HandleMmFault calls with their flag values, and the solved problems each rule needs, each solved
/// the first time a rule asks for it.
/// </summary>
internal sealed class GupMethodFacts
{
    private FlowResult<GupResultState>? results;
    private GupResultAnalysis? resultAnalysis;
    private FlowResult<BoolLocalsState>? locked;
    private FlowResult<FaultRetryState>? faultRetries;
    private FaultRetryAnalysis? faultRetryAnalysis;
    private ImmutableArray<Loop> loops;

    private GupMethodFacts(
        FlowContext context,
        GraphIndex index,
        ImmutableArray<GupCallSite> calls,
        ImmutableArray<IInvocationOperation> faultCalls,
        LocalConstantsAnalysis constantsAnalysis,
        FlowResult<ConstantsState> constants,
        IReadOnlyDictionary<IOperation, ConstantSet> returnedValues,
        ImmutableHashSet<ILocalSymbol> readLocals,
        SemanticModel? model)
    {
        Model = model;
        Context = context;
        Index = index;
        Calls = calls;
        FaultCalls = faultCalls;
        ConstantsAnalysis = constantsAnalysis;
        Constants = constants;
        ReturnedValues = returnedValues;
        ReadLocals = readLocals;
    }

    public FlowContext Context { get; }

    /// <summary>The semantic model of the analysed method's tree, for the few syntax-level checks.</summary>
    public SemanticModel? Model { get; }

    public ControlFlowGraph Graph => Context.Graph;

    public KnownSymbols Symbols => Context.Symbols;

    public GraphIndex Index { get; }

    /// <summary>The GUP calls of the graph, in block order.</summary>
    public ImmutableArray<GupCallSite> Calls { get; }

    /// <summary>The <c>MmFault.HandleMmFault</c> calls of the graph.</summary>
    public ImmutableArray<IInvocationOperation> FaultCalls { get; }

    public LocalConstantsAnalysis ConstantsAnalysis { get; }

    public FlowResult<ConstantsState> Constants { get; }

    /// <summary>The possible values of each returned expression (a block's branch value under Return).</summary>
    public IReadOnlyDictionary<IOperation, ConstantSet> ReturnedValues { get; }

    /// <summary>Locals the enclosing method reads anywhere (its lambdas included).</summary>
    public ImmutableHashSet<ILocalSymbol> ReadLocals { get; }

    public GupResultAnalysis ResultAnalysis
    {
        get
        {
            EnsureResults();
            return resultAnalysis!;
        }
    }

    /// <summary>What each path knows about each GUP result (FL1003, FL1004, FL1005).</summary>
    public FlowResult<GupResultState> Results
    {
        get
        {
            EnsureResults();
            return results!;
        }
    }

    /// <summary>The values of the <c>locked</c> locals of the ...Locked calls (FL1006).</summary>
    public FlowResult<BoolLocalsState> Locked
    {
        get
        {
            if (locked is null)
            {
                var tracked = ImmutableHashSet.CreateRange<ILocalSymbol>(SymbolEqualityComparer.Default, Calls.Select(c => c.LockedLocal).OfType<ILocalSymbol>());
                var analysis = new BoolLocalsAnalysis(Context, tracked, (invocation, argument) =>
                    Symbols.GupApiOf(invocation.TargetMethod) is { Form: GupForm.Locked } api && argument.Parameter?.Ordinal == api.LockedOrdinal);
                locked = ForwardDataflow.Run(Graph, analysis, Context.CancellationToken);
            }

            return locked;
        }
    }

    public FaultRetryAnalysis FaultRetryAnalysis
    {
        get
        {
            EnsureFaultRetries();
            return faultRetryAnalysis!;
        }
    }

    /// <summary>Whether each HandleMmFault result has Retry set, per path (FL1005).</summary>
    public FlowResult<FaultRetryState> FaultRetries
    {
        get
        {
            EnsureFaultRetries();
            return faultRetries!;
        }
    }

    public ImmutableArray<Loop> Loops
    {
        get
        {
            if (loops.IsDefault)
            {
                loops = Flow.Loops.Find(Graph);
            }

            return loops;
        }
    }

    /// <summary>
    /// Reads a graph, or returns null when it calls neither GUP nor HandleMmFault, or when the flag values did not
    /// converge (then nothing is reported).
    /// </summary>
    public static GupMethodFacts? Create(FlowContext context, ImmutableHashSet<ILocalSymbol> readLocals, SemanticModel? model)
    {
        var index = GraphIndex.Of(context.Graph);
        var symbols = context.Symbols;
        var gupInvocations = new List<(IInvocationOperation Invocation, GupApi Api)>();
        var faultCalls = ImmutableArray.CreateBuilder<IInvocationOperation>();
        foreach (var invocation in index.Invocations)
        {
            if (symbols.GupApiOf(invocation.TargetMethod) is { } api)
            {
                gupInvocations.Add((invocation, api));
            }
            else if (symbols.IsHandleMmFault(invocation.TargetMethod))
            {
                faultCalls.Add(invocation);
            }
        }

        if (gupInvocations.Count == 0 && faultCalls.Count == 0)
        {
            return null;
        }

        var constantsAnalysis = new LocalConstantsAnalysis(context);
        var constants = ForwardDataflow.Run(context.Graph, constantsAnalysis, context.CancellationToken);
        if (!constants.Converged)
        {
            return null;
        }

        var recorder = new ConstantsRecorder(constantsAnalysis, gupInvocations.Select(g => g.Invocation));
        constants.Replay(recorder);

        var calls = ImmutableArray.CreateBuilder<GupCallSite>();
        foreach (var (invocation, api) in gupInvocations)
        {
            var flags = recorder.FlagsAt.TryGetValue(invocation, out var value) ? value : ConstantSet.Unknown;
            calls.Add(new GupCallSite(invocation, api, index, flags));
        }

        return new GupMethodFacts(context, index, calls.ToImmutable(), faultCalls.ToImmutable(), constantsAnalysis, constants, recorder.Returned, readLocals, model);
    }

    public GupCallSite? CallAt(SyntaxNode syntax) => Calls.FirstOrDefault(c => c.Syntax == syntax);

    private void EnsureResults()
    {
        if (results is null)
        {
            var sites = Calls.ToDictionary(c => c.Syntax);
            resultAnalysis = new GupResultAnalysis(Context, sites, Index);
            results = ForwardDataflow.Run(Graph, resultAnalysis, Context.CancellationToken);
        }
    }

    private void EnsureFaultRetries()
    {
        if (faultRetries is null)
        {
            faultRetryAnalysis = new FaultRetryAnalysis(Context);
            faultRetries = ForwardDataflow.Run(Graph, faultRetryAnalysis, Context.CancellationToken);
        }
    }

    /// <summary>Records the flags' values at each GUP call and the value of each returned expression.</summary>
    private sealed class ConstantsRecorder : FlowObserver<ConstantsState>
    {
        private readonly LocalConstantsAnalysis analysis;
        private readonly HashSet<IInvocationOperation> gupCalls;

        public ConstantsRecorder(LocalConstantsAnalysis analysis, IEnumerable<IInvocationOperation> gupCalls)
        {
            this.analysis = analysis;
            this.gupCalls = new HashSet<IInvocationOperation>(gupCalls);
        }

        public Dictionary<IInvocationOperation, ConstantSet> FlagsAt { get; } = new();

        public Dictionary<IOperation, ConstantSet> Returned { get; } = new();

        public override void OnOperation(IOperation operation, ConstantsState before, BasicBlock block)
        {
            if (operation is IInvocationOperation invocation && gupCalls.Contains(invocation))
            {
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter?.Name == "gupFlags")
                    {
                        FlagsAt[invocation] = analysis.Evaluate(argument.Value, before);
                    }
                }
            }

            if (operation == block.BranchValue && block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return)
            {
                Returned[operation] = analysis.Evaluate(operation, before);
            }
        }
    }
}
