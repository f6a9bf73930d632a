using System.Collections.Immutable;
using System.Threading;
using FaultLine.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// The history of the fault lock on the paths reaching a point, as a set of what each path did (a path-insensitive
/// union, so a point is only "re-taken" when every path to it released the lock and took it again). The handler's
/// own lock fact (<see cref="Flow.Lattices.HandlerLockFacts"/>) says Held both before a release and after a re-take;
/// FL2003's re-take case needs to tell the two apart.
/// </summary>
internal sealed class RetakenLockState
{
    /// <summary>Never released on this path: still the lock the handler was entered with.</summary>
    public const int Held = 1;

    /// <summary>Released by the handler.</summary>
    public const int Released = 2;

    /// <summary>Released, then taken again (uninterruptibly, or a killable/try form that succeeded).</summary>
    public const int Retaken = 4;

    /// <summary>Released, then a killable or try re-take whose result has not been tested yet.</summary>
    public const int RetakePending = 8;

    /// <summary>Anything else: a catch or finally, a call that may release or take it for the handler.</summary>
    public const int Unknown = 16;

    private static readonly RetakenLockState[] Cache = CreateCache();

    private RetakenLockState(int paths)
    {
        Paths = paths;
    }

    public static RetakenLockState Unreached => Cache[0];

    /// <summary>The bits of the paths that reach here (0 when none does).</summary>
    public int Paths { get; }

    /// <summary>Whether every path to this point released the lock and re-took it.</summary>
    public bool IsRetakenOnEveryPath => Paths == Retaken;

    public static RetakenLockState Of(int paths) => Cache[paths & 31];

    public RetakenLockState Join(RetakenLockState other) => Of(Paths | other.Paths);

    /// <summary>Each path's bit mapped: <paramref name="map"/> gives the bits for one bit.</summary>
    public RetakenLockState Map(System.Func<int, int> map)
    {
        var result = 0;
        for (var bit = 1; bit <= Unknown; bit <<= 1)
        {
            if ((Paths & bit) != 0)
            {
                result |= map(bit);
            }
        }

        return Of(result);
    }

    private static RetakenLockState[] CreateCache()
    {
        var cache = new RetakenLockState[32];
        for (var i = 0; i < cache.Length; i++)
        {
            cache[i] = new RetakenLockState(i);
        }

        return cache;
    }
}

/// <summary>
/// The forward problem behind FL2003's re-take case: where a handler releases the fault lock (<c>MmapReadUnlock</c>,
/// <c>MmapLock.UpRead</c>) and later takes it again (<c>MmapReadLock</c>, <c>MmapLock.DownRead</c>; the killable and
/// try forms once their result says they got it). Calls that may release or take the lock for the handler (the
/// runtime's retry-aware helpers, GUP, <c>HandleMmFault</c>, other mmap-lock operations, the user's own methods that
/// may release it) make the path Unknown, on which the rule stays silent.
/// </summary>
internal sealed class RetakenLockAnalysis : ForwardAnalysis<RetakenLockState>
{
    private readonly FaultHandlerSymbols symbols;
    private readonly System.Func<IMethodSymbol, bool> mayReleaseMmapLock;

    public RetakenLockAnalysis(FaultHandlerSymbols symbols, System.Func<IMethodSymbol, bool> mayReleaseMmapLock)
    {
        this.symbols = symbols;
        this.mayReleaseMmapLock = mayReleaseMmapLock;
    }

    public override RetakenLockState Unreached => RetakenLockState.Unreached;

    public override RetakenLockState Entry => RetakenLockState.Of(RetakenLockState.Held);

    public override RetakenLockState Unknown => RetakenLockState.Of(RetakenLockState.Unknown);

    public override RetakenLockState Join(RetakenLockState left, RetakenLockState right) => left.Join(right);

    public override bool IsSame(RetakenLockState left, RetakenLockState right) => left.Paths == right.Paths;

    public override RetakenLockState Forget(RetakenLockState state, ImmutableHashSet<ILocalSymbol> locals) => state;

    public override RetakenLockState Apply(IOperation operation, RetakenLockState state)
    {
        if (state.Paths == 0 || operation is not IInvocationOperation invocation)
        {
            return state;
        }

        switch (Classify(invocation))
        {
            case LockCall.Release:
                return state.Map(bit => bit is RetakenLockState.Held or RetakenLockState.Released or RetakenLockState.Retaken
                    ? RetakenLockState.Released
                    : RetakenLockState.Unknown);
            case LockCall.Retake:
                return state.Map(bit => bit == RetakenLockState.Released ? RetakenLockState.Retaken : RetakenLockState.Unknown);
            case LockCall.RetakeIfSucceeds:
                return state.Map(bit => bit == RetakenLockState.Released ? RetakenLockState.RetakePending : RetakenLockState.Unknown);
            case LockCall.Other:
                return RetakenLockState.Of(RetakenLockState.Unknown);
            default:
                return state;
        }
    }

    /// <summary>
    /// <c>if (mm.MmapReadLockKillable() != 0)</c> / <c>if (!mm.MmapReadTrylock())</c> and their mirrors: the pending
    /// re-take happened on the side where the call succeeded and did not on the other.
    /// </summary>
    public override (RetakenLockState WhenTrue, RetakenLockState WhenFalse) Split(IOperation condition, RetakenLockState state)
    {
        if ((state.Paths & RetakenLockState.RetakePending) == 0 || SucceededWhen(condition) is not { } succeededWhenTrue)
        {
            return (state, state);
        }

        var got = state.Map(bit => bit == RetakenLockState.RetakePending ? RetakenLockState.Retaken : bit);
        var failed = state.Map(bit => bit == RetakenLockState.RetakePending ? RetakenLockState.Released : bit);
        return succeededWhenTrue ? (got, failed) : (failed, got);
    }

    private enum LockCall
    {
        None,
        Release,
        Retake,
        RetakeIfSucceeds,
        Other,
    }

    private LockCall Classify(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (symbols.IsMmapReadUnlock(invocation))
        {
            return LockCall.Release;
        }

        var onMmStruct = FaultHandlerSymbols.Is(method, symbols.MmStruct, method.Name);
        var onMmapLock = IsMmapLockSemaphore(invocation);
        if (onMmStruct || onMmapLock)
        {
            return method.Name switch
            {
                "MmapReadLock" when onMmStruct => LockCall.Retake,
                "DownRead" when onMmapLock => LockCall.Retake,
                "MmapReadLockKillable" or "MmapReadTrylock" when onMmStruct => LockCall.RetakeIfSucceeds,
                "DownReadKillable" or "DownReadTrylock" when onMmapLock => LockCall.RetakeIfSucceeds,
                _ => IsLockOperation(method.Name) ? LockCall.Other : LockCall.None,
            };
        }

        var type = method.ContainingType?.OriginalDefinition;
        var assembly = type?.ContainingAssembly?.Name ?? string.Empty;
        if (type is null)
        {
            return LockCall.Other;
        }

        if (assembly == KnownSymbols.RuntimeAssemblyName)
        {
            return symbols.IsRetryNowaitAware(method) || type.Name == "Gup" || (type.Name == "MmFault" && method.Name == "HandleMmFault")
                ? LockCall.Other
                : LockCall.None;
        }

        if (assembly.StartsWith("System", System.StringComparison.Ordinal) || assembly is "mscorlib" or "netstandard")
        {
            return LockCall.None;
        }

        return mayReleaseMmapLock(method) ? LockCall.Other : LockCall.None;
    }

    private static bool IsLockOperation(string name) =>
        name.IndexOf("lock", System.StringComparison.OrdinalIgnoreCase) >= 0
        || name.StartsWith("Up", System.StringComparison.Ordinal)
        || name.StartsWith("Down", System.StringComparison.Ordinal);

    /// <summary>A call on <c>mm.MmapLock</c> (an RwSemaphore of the user's own is another lock).</summary>
    private bool IsMmapLockSemaphore(IInvocationOperation invocation) =>
        SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, symbols.RwSemaphore)
        && invocation.Instance is { } instance
        && Comparisons.StripConversions(instance) is IPropertyReferenceOperation { Property.Name: "MmapLock" } property
        && SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, symbols.MmStruct);

    /// <summary>
    /// For a condition on a killable or try re-take: true when the condition is true exactly when the re-take
    /// succeeded, false when it is true exactly when it failed, null when the condition is not such a test.
    /// </summary>
    private bool? SucceededWhen(IOperation condition)
    {
        var negated = false;
        condition = Comparisons.StripConversions(condition);
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            condition = Comparisons.StripConversions(not.Operand);
        }

        bool? succeeded = condition switch
        {
            // MmapReadTrylock() / DownReadTrylock(): true when taken.
            IInvocationOperation { TargetMethod.ReturnType.SpecialType: SpecialType.System_Boolean } trylock
                when Classify(trylock) == LockCall.RetakeIfSucceeds => true,

            // MmapReadLockKillable() != 0 / == 0: 0 when taken.
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } comparison
                when KillableZeroTest(comparison) => comparison.OperatorKind == BinaryOperatorKind.Equals,
            _ => null,
        };

        return succeeded is { } value ? value != negated : null;
    }

    private bool KillableZeroTest(IBinaryOperation comparison)
    {
        return (IsKillableRetake(comparison.LeftOperand) && IsZero(comparison.RightOperand))
            || (IsKillableRetake(comparison.RightOperand) && IsZero(comparison.LeftOperand));

        bool IsKillableRetake(IOperation operand) =>
            Comparisons.StripConversions(operand) is IInvocationOperation { TargetMethod.ReturnType.SpecialType: SpecialType.System_Int32 } call
            && Classify(call) == LockCall.RetakeIfSucceeds;

        static bool IsZero(IOperation operand)
        {
            var constant = Comparisons.StripConversions(operand).ConstantValue;
            return constant.HasValue && constant.Value is int zero && zero == 0;
        }
    }
}

/// <summary>Runs <see cref="RetakenLockAnalysis"/> over a handler's graph (only when it both releases and re-takes).</summary>
internal static class RetakenLockFacts
{
    public static FlowResult<RetakenLockState>? Solve(HandlerContext handler, CancellationToken cancellationToken)
    {
        var analysis = new RetakenLockAnalysis(handler.Symbols, callee => handler.Summaries.MmapRelease.MayRelease(callee, cancellationToken));
        var result = ForwardDataflow.Run(handler.Graph, analysis, cancellationToken);
        return result.Converged ? result : null;
    }
}
