using System.Collections.Immutable;
using FaultLine.Analyzers.FaultHandlers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// The forward problem over one fault handler (or a helper that receives its VmFault): <see cref="FaultFlagFacts"/>
/// refined by branch conditions that test <c>vmf.Flags</c>, by <c>KernelDebug.WarnOnOnce(test)</c> (code after it
/// may assume the test is false: the handler states it is never called so), and the handler's mmap-lock fact.
/// </summary>
internal sealed class FaultFlagFactsAnalysis : ForwardAnalysis<FaultFlagFacts>
{
    private readonly FaultFlagFactsConditions conditions;
    private readonly ImmutableHashSet<ILocalSymbol> untracked;
    private readonly FaultFlagFacts entry;
    private readonly System.Func<IMethodSymbol, bool>? mayReleaseMmapLock;

    /// <param name="conditions">How tests of the handler's flags are recognized.</param>
    /// <param name="untracked">Locals captured and written by lambdas: never tracked.</param>
    /// <param name="entry">The facts on entry.</param>
    /// <param name="mayReleaseMmapLock">Whether a call to a user method may release the mmap lock; null: assume it may.</param>
    public FaultFlagFactsAnalysis(
        FaultFlagFactsConditions conditions, ImmutableHashSet<ILocalSymbol> untracked, FaultFlagFacts entry, System.Func<IMethodSymbol, bool>? mayReleaseMmapLock = null)
    {
        this.conditions = conditions;
        this.untracked = untracked;
        this.entry = entry;
        this.mayReleaseMmapLock = mayReleaseMmapLock;
    }

    public FaultFlagFactsConditions Conditions => conditions;

    private FaultHandlerSymbols Symbols => conditions.Symbols;

    public override FaultFlagFacts Unreached => FaultFlagFacts.Unreached;

    public override FaultFlagFacts Entry => entry;

    // A catch or finally block can be entered from anywhere in its try: nothing about the flags is known, and the
    // lock may or may not have been released.
    public override FaultFlagFacts Unknown => FaultFlagFacts.Start(0, 0, HandlerLockFacts.Unknown);

    public override FaultFlagFacts Join(FaultFlagFacts left, FaultFlagFacts right) => left.Join(right);

    public override bool IsSame(FaultFlagFacts left, FaultFlagFacts right) => left.IsSame(right);

    public override FaultFlagFacts Forget(FaultFlagFacts state, ImmutableHashSet<ILocalSymbol> locals) => state.Without(locals);

    public override (FaultFlagFacts WhenTrue, FaultFlagFacts WhenFalse) Split(IOperation condition, FaultFlagFacts state)
    {
        if (state.IsUnreached || conditions.Recognize(condition, state) is not { } test)
        {
            return (state, state);
        }

        return (Refine(state, test.TrueSet, test.TrueClear), Refine(state, test.FalseSet, test.FalseClear));
    }

    public override FaultFlagFacts Apply(IOperation operation, FaultFlagFacts state)
    {
        if (state.IsUnreached)
        {
            return state;
        }

        switch (operation)
        {
            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                if (untracked.Contains(target.Local))
                {
                    return state.WithLocal(target.Local, null, holdsFlags: false);
                }

                return state.WithLocal(
                    target.Local,
                    target.Local.Type?.SpecialType == SpecialType.System_Boolean ? conditions.Recognize(assignment.Value, state) : null,
                    holdsFlags: Symbols.IsFaultFlags(target.Local.Type) && conditions.IsFlags(assignment.Value, state));

            case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target }:
                return state.WithLocal(target.Local, null, holdsFlags: false);

            case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref, Value: ILocalReferenceOperation written }:
                return state.WithLocal(written.Local, null, holdsFlags: false);

            case IInvocationOperation invocation:
                return ApplyCall(invocation, state);

            case IFlowCaptureOperation capture when capture.Value.Type?.SpecialType == SpecialType.System_Boolean:
                return state.WithCapture(capture.Id, CaptureTest(capture.Value, state));

            default:
                return state;
        }
    }

    /// <summary>What a bool capture stands for on this path: the whole path's facts, plus the value's own test.</summary>
    private FaultFlagTest CaptureTest(IOperation value, FaultFlagFacts state)
    {
        var constant = Comparisons.StripConversions(value).ConstantValue;
        if (constant.HasValue && constant.Value is bool known)
        {
            return known
                ? new FaultFlagTest(state.Set, state.Clear, FaultFlagFacts.Impossible, FaultFlagFacts.Impossible)
                : new FaultFlagTest(FaultFlagFacts.Impossible, FaultFlagFacts.Impossible, state.Set, state.Clear);
        }

        var test = conditions.Recognize(value, state) ?? new FaultFlagTest(0, 0, 0, 0);
        return new FaultFlagTest(state.Set | test.TrueSet, state.Clear | test.TrueClear, state.Set | test.FalseSet, state.Clear | test.FalseClear);
    }

    private FaultFlagFacts ApplyCall(IInvocationOperation invocation, FaultFlagFacts state)
    {
        var method = invocation.TargetMethod;
        if (Symbols.IsWarnOn(method) && invocation.Arguments.Length > 0
            && conditions.Recognize(invocation.Arguments[0].Value, state) is { } warned)
        {
            // WARN_ON_ONCE(cond) documents that cond never holds here.
            return Refine(state, warned.FalseSet, warned.FalseClear);
        }

        if (Symbols.IsRetryNowaitAware(method))
        {
            state = state.WithRetryAwareCall();
        }

        return state.WithLock(LockAfter(invocation, state.Lock));
    }

    private HandlerLockFacts LockAfter(IInvocationOperation invocation, HandlerLockFacts current)
    {
        var method = invocation.TargetMethod;
        if (Symbols.IsMmapReadUnlock(invocation))
        {
            return HandlerLockFacts.Released;
        }

        if (FaultHandlerSymbols.Is(method, Symbols.MmStruct, "MmapReadLock"))
        {
            return HandlerLockFacts.Held;
        }

        var type = method.ContainingType?.OriginalDefinition;
        if (type is null)
        {
            return HandlerLockFacts.Unknown;
        }

        if (SymbolEqualityComparer.Default.Equals(type, Symbols.MmStruct) || IsMmapLockSemaphore(invocation))
        {
            // Other operations on the mmap lock (a killable or try re-take, the write lock): stay silent after them.
            return method.Name.IndexOf("lock", System.StringComparison.OrdinalIgnoreCase) >= 0
                || method.Name.StartsWith("Up", System.StringComparison.Ordinal)
                || method.Name.StartsWith("Down", System.StringComparison.Ordinal)
                ? HandlerLockFacts.Unknown
                : current;
        }

        var assembly = type.ContainingAssembly?.Name ?? string.Empty;
        if (assembly == KnownSymbols.RuntimeAssemblyName)
        {
            // Runtime calls that may drop the lock on the handler's behalf.
            return Symbols.IsRetryNowaitAware(method) || type.Name == "Gup" || (type.Name == "MmFault" && method.Name == "HandleMmFault")
                ? HandlerLockFacts.Unknown
                : current;
        }

        if (assembly.StartsWith("System", System.StringComparison.Ordinal) || assembly is "mscorlib" or "netstandard")
        {
            return current;
        }

        // The user's own code may release it, unless its summary says it cannot.
        return mayReleaseMmapLock is not null && !mayReleaseMmapLock(method) ? current : HandlerLockFacts.Unknown;
    }

    /// <summary>A call on <c>mm.MmapLock</c> (an RwSemaphore of the user's own is another lock).</summary>
    private bool IsMmapLockSemaphore(IInvocationOperation invocation) =>
        SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, Symbols.RwSemaphore)
        && invocation.Instance is { } instance
        && Comparisons.StripConversions(instance) is IPropertyReferenceOperation { Property.Name: "MmapLock" };

    private FaultFlagFacts Refine(FaultFlagFacts state, long set, long clear) =>
        state.Refine(set, clear, Symbols.RetryNowait, Symbols.AllowRetry);
}
