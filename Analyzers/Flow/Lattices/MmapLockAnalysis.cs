using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// The path-sensitive mmap-lock state of every mm a method locks (SEMANTICS.md rules 15-18, 27-31), and whether
/// each VMA it looked up may be stale. Lock calls take and release; a killable lock is held only where its result
/// is 0, a trylock where it returned true; a <c>...Locked</c> GUP leaves the lock held iff its <c>locked</c> local is
/// true; <c>HandleMmFault</c> leaves it held unless the result has Retry or Completed (and RetryNowait is not known
/// to be set); <c>FixupUserFault</c> keeps it but makes VMAs stale iff <c>unlocked</c> is true. Branches on those
/// locals and results refine the state; states that differ between paths join to Unknown. A release of a lock this
/// method did not take (held on entry, or Unknown) followed by a take puts back the caller's lock: balanced.
/// </summary>
internal sealed class MmapLockAnalysis : ForwardAnalysis<MmapLockState>
{
    private readonly FlowContext context;
    private readonly KnownSymbols symbols;
    private readonly long faultDropBits;
    private readonly long retryNowait;
    private ImmutableHashSet<ISymbol> copiedMms = ImmutableHashSet<ISymbol>.Empty;
    private ImmutableHashSet<ISymbol> currentMmLocals = ImmutableHashSet<ISymbol>.Empty;

    public MmapLockAnalysis(FlowContext context)
    {
        this.context = context;
        symbols = context.Symbols;
        faultDropBits = (EnumValue(symbols.VmFaultResult, "Retry") ?? 0) | (EnumValue(symbols.VmFaultResult, "Completed") ?? 0);
        retryNowait = EnumValue(symbols.Compilation.GetTypeByMetadataName("FaultLine.FaultFlags"), "RetryNowait") ?? 0;
        Captures = new CaptureAliases(context.Graph);
        (copiedMms, currentMmLocals) = MmCopies();
        StaticVmaMms = VmaLocalsBoundToOneMm();
    }

    /// <summary>
    /// The mm variables this graph copies into another variable (<c>var m = mm;</c>, <c>this.mm = mm;</c>): two names
    /// for one lock cannot be followed, so neither is a lock key. Locals that only ever hold <c>KernelTask.Current.Mm</c>
    /// are the current mm's key instead.
    /// </summary>
    private (ImmutableHashSet<ISymbol> Copied, ImmutableHashSet<ISymbol> CurrentMm) MmCopies()
    {
        var copied = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
        var current = new Dictionary<ISymbol, bool>(SymbolEqualityComparer.Default);
        foreach (var block in context.Graph.Blocks)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            foreach (var root in block.Operations)
            {
                foreach (var operation in root.DescendantsAndSelf())
                {
                    if (operation is not ISimpleAssignmentOperation assignment
                        || !SymbolEqualityComparer.Default.Equals(assignment.Target.Type?.OriginalDefinition, symbols.MmStruct))
                    {
                        continue;
                    }

                    var target = SymbolOf(assignment.Target);
                    var value = Captures.Resolve(assignment.Value);
                    if (target is ILocalSymbol local)
                    {
                        var isCurrent = IsCurrentMm(value);
                        current[local] = isCurrent && (!current.TryGetValue(local, out var before) || before);
                        if (isCurrent)
                        {
                            continue;
                        }
                    }

                    if (SymbolOf(value) is { } source)
                    {
                        copied.Add(source);
                        if (target is not null)
                        {
                            copied.Add(target);
                        }
                    }
                }
            }
        }

        var currentLocals = ImmutableHashSet.CreateBuilder<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var pair in current)
        {
            if (pair.Value)
            {
                currentLocals.Add(pair.Key);
            }
        }

        return (copied.ToImmutable(), currentLocals.ToImmutable());
    }

    private static ISymbol? SymbolOf(IOperation operation) => Comparisons.StripConversions(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation field => field.Field,
        _ => null,
    };

    /// <summary>
    /// VMA locals whose every non-null assignment is <c>K.FindVma(...)</c> or <c>K.VmaLookup(...)</c> for one mm K:
    /// whatever the path, such a local holds a VMA of K (or null), so a drop of K's lock makes it stale even where
    /// the paths that set it disagree about how fresh it was.
    /// </summary>
    public ImmutableDictionary<ISymbol, ISymbol> StaticVmaMms { get; }

    public CaptureAliases Captures { get; }

    private ImmutableDictionary<ISymbol, ISymbol> VmaLocalsBoundToOneMm()
    {
        var bound = new Dictionary<ISymbol, ISymbol?>(SymbolEqualityComparer.Default);
        foreach (var block in context.Graph.Blocks)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            foreach (var root in block.Operations)
            {
                foreach (var operation in root.DescendantsAndSelf())
                {
                    if (operation is not ILocalReferenceOperation local || !LocalWrites.IsWrite(local) || !context.IsTracked(local.Local))
                    {
                        continue;
                    }

                    ISymbol? key = null;
                    var isNull = false;
                    if (local.Parent is ISimpleAssignmentOperation assignment && assignment.Target == local)
                    {
                        var value = Comparisons.StripConversions(assignment.Value);
                        isNull = value.ConstantValue is { HasValue: true, Value: null };
                        if (value is IInvocationOperation lookup && MmapLockCall.Classify(lookup, symbols) is { Kind: MmapLockCallKind.FindVma } call)
                        {
                            key = KeyOf(call.Mm, MmapLockState.Empty);
                        }
                    }

                    if (isNull)
                    {
                        continue;
                    }

                    if (key is null || (bound.TryGetValue(local.Local, out var previous) && !SymbolEqualityComparer.Default.Equals(previous, key)))
                    {
                        bound[local.Local] = null;
                    }
                    else if (!bound.ContainsKey(local.Local))
                    {
                        bound[local.Local] = key;
                    }
                }
            }
        }

        var builder = ImmutableDictionary.CreateBuilder<ISymbol, ISymbol>(SymbolEqualityComparer.Default);
        foreach (var pair in bound)
        {
            if (pair.Value is not null)
            {
                builder.Add(pair.Key, pair.Value);
            }
        }

        return builder.ToImmutable();
    }

    public override MmapLockState Unreached => MmapLockState.Unreached;

    public override MmapLockState Entry => MmapLockState.Empty;

    public override MmapLockState Unknown => MmapLockState.Empty;

    public override MmapLockState Join(MmapLockState left, MmapLockState right) => left.Join(right);

    public override bool IsSame(MmapLockState left, MmapLockState right) => left.IsSame(right);

    public override MmapLockState Forget(MmapLockState state, ImmutableHashSet<ILocalSymbol> locals) => state.ForgetAll(locals);

    /// <summary>The lock key <paramref name="mm"/> denotes: a tracked local, a parameter, a field of this object or a static one, or <c>KernelTask.Mm</c> for <c>KernelTask.Current.Mm</c>.</summary>
    public ISymbol? KeyOf(IOperation? mm, MmapLockState state)
    {
        if (mm is null)
        {
            return null;
        }

        switch (Captures.Resolve(mm))
        {
            case ILocalReferenceOperation local when currentMmLocals.Contains(local.Local):
                return symbols.KernelTaskMm;
            case ILocalReferenceOperation local when context.IsTracked(local.Local) && !copiedMms.Contains(local.Local):
                return local.Local;
            case IParameterReferenceOperation parameter when IsOwn(parameter.Parameter) && !copiedMms.Contains(parameter.Parameter):
                return parameter.Parameter;
            case IFieldReferenceOperation field when field.Instance is null or IInstanceReferenceOperation && !copiedMms.Contains(field.Field):
                return field.Field;
            case IPropertyReferenceOperation property when IsCurrentMm(property):
                return symbols.KernelTaskMm;
            case IPropertyReferenceOperation { Property.Name: "Mm", Instance: { } owner } vmaMm
                when SymbolEqualityComparer.Default.Equals(vmaMm.Property.ContainingType, symbols.VmAreaStruct)
                    && VmaSymbolOf(owner) is { } vma && state.VmaOf(vma)?.Mm is { } vmaKey:
                return vmaKey;
            default:
                return null;
        }
    }

    /// <summary>The local or parameter a VMA expression names.</summary>
    public ISymbol? VmaSymbolOf(IOperation? operation) => operation is null ? null : Captures.Resolve(operation) switch
    {
        ILocalReferenceOperation local when context.IsTracked(local.Local) => local.Local,
        IParameterReferenceOperation parameter when IsOwn(parameter.Parameter) => parameter.Parameter,
        _ => null,
    };

    /// <summary>A by-value parameter of the graph's own method (a lambda does not follow its enclosing method's).</summary>
    private bool IsOwn(IParameterSymbol parameter) =>
        parameter.RefKind == RefKind.None
        && (context.Owner is null || SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, context.Owner));

    public bool IsCurrentMm(IOperation operation) =>
        Comparisons.StripConversions(operation) is IPropertyReferenceOperation property
        && SymbolEqualityComparer.Default.Equals(property.Property.OriginalDefinition, symbols.KernelTaskMm)
        && property.Instance is IPropertyReferenceOperation current
        && SymbolEqualityComparer.Default.Equals(current.Property.OriginalDefinition, symbols.KernelTaskCurrent);

    public override MmapLockState Apply(IOperation operation, MmapLockState state)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation assignment:
                return Assign(assignment, state);

            case IInvocationOperation invocation:
                return Invoke(invocation, state);

            case ILocalReferenceOperation local when LocalWrites.IsWrite(local)
                && local.Parent is not ISimpleAssignmentOperation and not IArgumentOperation:
                return state.Forget(local.Local);

            case IParameterReferenceOperation parameter when LocalWrites.IsWrite(parameter)
                && parameter.Parent is not ISimpleAssignmentOperation and not IArgumentOperation:
                return state.Forget(parameter.Parameter);

            default:
                return state;
        }
    }

    private MmapLockState Assign(ISimpleAssignmentOperation assignment, MmapLockState state)
    {
        var target = Comparisons.StripConversions(assignment.Target) switch
        {
            ILocalReferenceOperation local => (ISymbol)local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field when field.Instance is null or IInstanceReferenceOperation => field.Field,
            _ => null,
        };
        if (target is null)
        {
            return state;
        }

        state = state.Forget(target);
        if (target is ILocalSymbol trackedLocal && !context.IsTracked(trackedLocal))
        {
            return state;
        }

        var value = Comparisons.StripConversions(assignment.Value);

        // A result tested later: conditions on the call itself now follow the local it was stored in.
        if (target is ILocalSymbol resultLocal)
        {
            state = Rebind(state, value, resultLocal);
        }

        // vma = mm.FindVma(addr) / mm.VmaLookup(addr): a fresh VMA under mm's lock.
        if (value is IInvocationOperation lookup && MmapLockCall.Classify(lookup, symbols) is { Kind: MmapLockCallKind.FindVma } call)
        {
            return state.WithVma(target, new VmaValue(KeyOf(call.Mm, state), default, stale: false, dropSite: null));
        }

        // vma2 = vma: the copy is as fresh as the original.
        if (VmaSymbolOf(value) is { } source && state.VmaOf(source) is { } copied)
        {
            return state.WithVma(target, copied);
        }

        return state;
    }

    private static MmapLockState Rebind(MmapLockState state, IOperation value, ILocalSymbol local)
    {
        var locks = state.Locks;
        foreach (var pair in state.Locks)
        {
            if (pair.Value.Drop.DependsOn(value))
            {
                locks = locks.SetItem(pair.Key, new MmapLockValue(pair.Value.Hold, pair.Value.Drop.WithSubject(local), pair.Value.Acquire, pair.Value.DropSite));
            }
        }

        var vmas = state.Vmas;
        foreach (var pair in state.Vmas)
        {
            if (pair.Value.StaleIf.DependsOn(value))
            {
                vmas = vmas.SetItem(pair.Key, new VmaValue(pair.Value.Mm, pair.Value.StaleIf.WithSubject(local), pair.Value.Stale, pair.Value.DropSite));
            }
        }

        return state.With(locks, vmas);
    }

    private MmapLockState Invoke(IInvocationOperation invocation, MmapLockState state)
    {
        // ref/out arguments are written by the call: forget what depended on their old values.
        var refLocals = new List<ILocalSymbol>();
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out
                && Captures.Resolve(argument.Value) is ILocalReferenceOperation written)
            {
                state = state.Forget(written.Local);
                refLocals.Add(written.Local);
            }
        }

        var call = MmapLockCall.Classify(invocation, symbols);
        switch (call.Kind)
        {
            case MmapLockCallKind.None:
                return ForgetPassedMms(invocation, state);

            // A take of a lock the caller held and this method released restores the entry state: not this method's
            // lock to release (case 16's shape, and helpers that drop the caller's lock around a wait).
            case MmapLockCallKind.Lock:
                return KeyOf(call.Mm, state) is { } locked
                    ? state.WithLock(locked, MmapLockValue.TakenBy(invocation, call.Hold, default, state.LockOf(locked)))
                    : state;

            case MmapLockCallKind.LockKillable:
                return KeyOf(call.Mm, state) is { } killable
                    ? state.WithLock(killable, MmapLockValue.TakenBy(
                        invocation, call.Hold, new MmapLockCondition(DropKind.WhenNonZero, invocation), state.LockOf(killable)))
                    : state;

            case MmapLockCallKind.Trylock:
                return KeyOf(call.Mm, state) is { } tried
                    ? state.WithLock(tried, MmapLockValue.TakenBy(
                        invocation, call.Hold, new MmapLockCondition(DropKind.WhenFalse, invocation), state.LockOf(tried)))
                    : state;

            case MmapLockCallKind.Unlock:
                return KeyOf(call.Mm, state) is { } unlocked
                    ? state.WithLock(unlocked, MmapLockValue.ReleasedFrom(state.LockOf(unlocked)))
                    : state;

            case MmapLockCallKind.Gup when call.Gup is { Form: GupForm.Locked } api:
                return AfterLockedGup(invocation, api, state);

            case MmapLockCallKind.HandleMmFault:
                return AfterFault(invocation, state);

            case MmapLockCallKind.FixupUserFault when invocation.Arguments.Length == 4:
                return AfterFixup(invocation, call, refLocals, state);

            default:
                return state;
        }
    }

    /// <summary>A call into the user's code that is handed an mm may lock or unlock it: its lock becomes Unknown.</summary>
    private MmapLockState ForgetPassedMms(IInvocationOperation invocation, MmapLockState state)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (KeyOf(argument.Value, state) is { } key && state.LockOf(key) is not null)
            {
                state = state.WithLock(key, null);
            }
        }

        // A method of the user's code may lock an mm held in a field.
        if (invocation.TargetMethod.ContainingAssembly?.Name != KnownSymbols.RuntimeAssemblyName)
        {
            foreach (var pair in state.Locks)
            {
                if (pair.Key is IFieldSymbol)
                {
                    state = state.WithLock(pair.Key, null);
                }
            }
        }

        return state;
    }

    private MmapLockState AfterLockedGup(IInvocationOperation invocation, GupApi api, MmapLockState state)
    {
        var key = KeyOf(MmapLockCall.ArgumentFor(invocation, api.MmOrdinal), state);
        if (key is null)
        {
            return state;
        }

        if (api.LockedOrdinal < 0
            || MmapLockCall.ArgumentFor(invocation, api.LockedOrdinal) is not { } lockedArgument
            || Captures.Resolve(lockedArgument) is not ILocalReferenceOperation { Local: var locked }
            || !context.IsTracked(locked))
        {
            return state.WithLock(key, null);
        }

        var condition = new MmapLockCondition(DropKind.WhenFalse, locked);
        var before = state.LockOf(key);
        var hold = before is { IsHeld: true } held ? held.Hold : LockHold.Read;
        var acquire = before is { IsHeld: true } ? before.Value.Acquire : null;
        state = state.WithLock(key, new MmapLockValue(hold, condition, acquire, invocation));
        return MakeVmasStale(state, key, vmaArgument: null, condition, invocation);
    }

    private MmapLockState AfterFault(IInvocationOperation invocation, MmapLockState state)
    {
        var vma = VmaSymbolOf(MmapLockCall.ArgumentFor(invocation, 0));
        var flags = MmapLockCall.ArgumentFor(invocation, 2);
        if (flags is not null && retryNowait != 0 && AlwaysHasRetryNowait(flags))
        {
            // RetryNowait: Retry comes back with the lock held (rule 30).
            return state;
        }

        var condition = new MmapLockCondition(DropKind.WhenFaultBits, invocation, faultDropBits);
        var key = vma is null ? null : state.VmaOf(vma)?.Mm ?? (StaticVmaMms.TryGetValue(vma, out var bound) ? bound : null);
        if (key is not null)
        {
            var before = state.LockOf(key);
            var hold = before is { IsHeld: true } held ? held.Hold : LockHold.Read;
            var acquire = before is { IsHeld: true } ? before.Value.Acquire : null;
            state = state.WithLock(key, new MmapLockValue(hold, condition, acquire, invocation));
        }

        return MakeVmasStale(state, key, vma, condition, invocation);
    }

    /// <summary>
    /// Whether the fault flags certainly contain RetryNowait: a constant with the bit, or a local whose every write is
    /// such a constant or an <c>|=</c> (which cannot clear it).
    /// </summary>
    private bool AlwaysHasRetryNowait(IOperation flags)
    {
        if (Comparisons.ConstantOf(flags) is { } constant)
        {
            return (constant & retryNowait) != 0;
        }

        if (Captures.Resolve(flags) is not ILocalReferenceOperation { Local: var local } || !context.IsTracked(local))
        {
            return false;
        }

        var written = false;
        foreach (var block in context.Graph.Blocks)
        {
            foreach (var root in block.Operations)
            {
                foreach (var operation in root.DescendantsAndSelf())
                {
                    if (operation is not ILocalReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Local, local)
                        || !LocalWrites.IsWrite(reference))
                    {
                        continue;
                    }

                    written = true;
                    switch (reference.Parent)
                    {
                        case ISimpleAssignmentOperation assignment when Comparisons.ConstantOf(assignment.Value) is { } value && (value & retryNowait) != 0:
                        case ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Or }:
                            continue;
                        default:
                            return false;
                    }
                }
            }
        }

        return written;
    }

    private MmapLockState AfterFixup(IInvocationOperation invocation, MmapLockCall call, List<ILocalSymbol> refLocals, MmapLockState state)
    {
        var key = KeyOf(call.Mm, state);
        var unlockedArgument = MmapLockCall.ArgumentFor(invocation, 3);
        if (key is null || unlockedArgument is null
            || Captures.Resolve(unlockedArgument) is not ILocalReferenceOperation { Local: var unlocked }
            || !refLocals.Contains(unlocked) || !context.IsTracked(unlocked))
        {
            return state;
        }

        // The lock is held again on return (rule 28); only the VMAs may be stale.
        return MakeVmasStale(state, key, vmaArgument: null, new MmapLockCondition(DropKind.WhenTrue, unlocked), invocation);
    }

    /// <summary>VMAs looked up under <paramref name="key"/> (and <paramref name="vmaArgument"/>) are stale iff <paramref name="condition"/>.</summary>
    private MmapLockState MakeVmasStale(MmapLockState state, ISymbol? key, ISymbol? vmaArgument, MmapLockCondition condition, IOperation site)
    {
        var vmas = state.Vmas;
        foreach (var pair in state.Vmas)
        {
            var sameMm = key is not null && pair.Value.Mm is not null && SymbolEqualityComparer.Default.Equals(pair.Value.Mm, key);
            if (!sameMm && !SymbolEqualityComparer.Default.Equals(pair.Key, vmaArgument))
            {
                continue;
            }

            if (pair.Value.Stale)
            {
                continue;
            }

            vmas = pair.Value.StaleIf.IsNone
                ? vmas.SetItem(pair.Key, new VmaValue(pair.Value.Mm, condition, stale: false, site))
                : vmas.Remove(pair.Key);
        }

        if (key is not null)
        {
            foreach (var pair in StaticVmaMms)
            {
                if (SymbolEqualityComparer.Default.Equals(pair.Value, key) && !state.Vmas.ContainsKey(pair.Key))
                {
                    vmas = vmas.SetItem(pair.Key, new VmaValue(key, condition, stale: false, site));
                }
            }
        }

        if (vmaArgument is not null && !state.Vmas.ContainsKey(vmaArgument))
        {
            // A VMA handed in by the caller (case 17's populate path): it may be stale after the fault too.
            vmas = vmas.SetItem(vmaArgument, new VmaValue(key, condition, stale: false, site));
        }

        return state.With(state.Locks, vmas);
    }

    public override (MmapLockState WhenTrue, MmapLockState WhenFalse) Split(IOperation condition, MmapLockState state)
    {
        if (!MmapLockTests.TryRead(condition, Captures, out var subject, out var whenTrue, out var whenFalse))
        {
            return (state, state);
        }

        return (Refine(state, subject, whenTrue), Refine(state, subject, whenFalse));
    }

    private static MmapLockState Refine(MmapLockState state, object subject, Fact fact)
    {
        if (fact.Kind == FactKind.Nothing)
        {
            return state;
        }

        var locks = state.Locks;
        foreach (var pair in state.Locks)
        {
            if (!pair.Value.Drop.DependsOn(subject))
            {
                continue;
            }

            switch (MmapLockConditions.Refine(pair.Value.Drop, fact, out var narrowed))
            {
                case Refinement.Dropped:
                    locks = locks.SetItem(pair.Key, MmapLockValue.ReleasedFrom(pair.Value));
                    break;
                case Refinement.Kept:
                    locks = locks.SetItem(pair.Key, new MmapLockValue(pair.Value.Hold, default, pair.Value.Acquire));
                    break;
                case Refinement.Narrowed:
                    locks = locks.SetItem(pair.Key, new MmapLockValue(pair.Value.Hold, narrowed, pair.Value.Acquire, pair.Value.DropSite));
                    break;
            }
        }

        var vmas = state.Vmas;
        foreach (var pair in state.Vmas)
        {
            if (!pair.Value.StaleIf.DependsOn(subject))
            {
                continue;
            }

            switch (MmapLockConditions.Refine(pair.Value.StaleIf, fact, out var narrowed))
            {
                case Refinement.Dropped:
                    vmas = vmas.SetItem(pair.Key, new VmaValue(pair.Value.Mm, default, stale: true, pair.Value.DropSite));
                    break;
                case Refinement.Kept:
                    vmas = vmas.SetItem(pair.Key, new VmaValue(pair.Value.Mm, default, stale: false, null));
                    break;
                case Refinement.Narrowed:
                    vmas = vmas.SetItem(pair.Key, new VmaValue(pair.Value.Mm, narrowed, stale: false, pair.Value.DropSite));
                    break;
            }
        }

        return state.With(locks, vmas);
    }

    private static long? EnumValue(INamedTypeSymbol? type, string name)
    {
        if (type is null)
        {
            return null;
        }

        foreach (var member in type.GetMembers(name))
        {
            if (member is IFieldSymbol { HasConstantValue: true } field && field.ConstantValue is not null)
            {
                return System.Convert.ToInt64(field.ConstantValue, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
