using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.LocksPins;

/// <summary>
/// FL4001, FL4002, FL4003, FL4004 and FL4007, read off the solved <see cref="MmapLockAnalysis"/>. Each rule reports
/// only on a definite state (a conditional drop counts as definite: it is the same on every path); Unknown is silent.
/// </summary>
internal sealed class LockRules : FlowObserver<MmapLockState>
{
    private readonly MmapLockAnalysis analysis;
    private readonly KnownSymbols symbols;
    private readonly Reporter reporter;

    public LockRules(MmapLockAnalysis analysis, KnownSymbols symbols, Reporter reporter)
    {
        this.analysis = analysis;
        this.symbols = symbols;
        this.reporter = reporter;
    }

    public override void OnOperation(IOperation operation, MmapLockState before, BasicBlock block)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                OnInvocation(invocation, before);
                if (invocation.Instance is { } receiver)
                {
                    CheckVmaUse(receiver, invocation, before);
                }

                break;

            case IPropertyReferenceOperation { Instance: { } instance } property:
                CheckVmaUse(instance, property, before);
                break;

            case IFieldReferenceOperation { Instance: { } instance } field:
                CheckVmaUse(instance, field, before);
                break;
        }
    }

    public override void OnBlockExit(BasicBlock block, MmapLockState fallThrough, MmapLockState conditional)
    {
        CheckLeak(block.FallThroughSuccessor, fallThrough);
        if (block.ConditionKind != ControlFlowConditionKind.None)
        {
            CheckLeak(block.ConditionalSuccessor, conditional);
        }
    }

    /// <summary>FL4007: a lock this method took is definitely held on a path that leaves the method.</summary>
    private void CheckLeak(ControlFlowBranch? branch, MmapLockState state)
    {
        if (branch?.Destination is not { Kind: BasicBlockKind.Exit } || state.IsUnreached || !branch.FinallyRegions.IsEmpty)
        {
            // A return through a finally (try/finally, using, lock): the finally may release the lock; not followed.
            return;
        }

        foreach (var pair in state.Locks)
        {
            if (pair.Value.IsHeld && pair.Value.Acquire is { } acquire)
            {
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL4007LockLeakedOrReleasedTwice,
                    acquire.Syntax.GetLocation(),
                    $"The mmap lock of '{pair.Key.Name}' taken here is still held when the method returns on some path"));
            }
        }
    }

    private void OnInvocation(IInvocationOperation invocation, MmapLockState before)
    {
        var call = MmapLockCall.Classify(invocation, symbols);
        switch (call.Kind)
        {
            case MmapLockCallKind.Unlock:
                CheckUnlock(invocation, call, before);
                break;

            case MmapLockCallKind.FindVma:
            case MmapLockCallKind.FixupUserFault:
            case MmapLockCallKind.Gup when call.Gup is { Form: GupForm.Plain or GupForm.Locked }:
                CheckHeld(invocation, call, before);
                break;

            case MmapLockCallKind.Gup when call.Gup is { Form: GupForm.Unlocked or GupForm.Fast } api:
                CheckNotHeld(invocation, call, api, before);
                break;

            case MmapLockCallKind.HandleMmFault:
                CheckVmaUse(MmapLockCall.ArgumentFor(invocation, 0), invocation, before);
                break;
        }
    }

    private void CheckUnlock(IInvocationOperation invocation, MmapLockCall call, MmapLockState before)
    {
        if (analysis.KeyOf(call.Mm, before) is not { } key || before.LockOf(key) is not { } value)
        {
            return;
        }

        var location = invocation.Syntax.GetLocation();
        if (value.IsUnlocked)
        {
            reporter.Report(Diagnostic.Create(
                Descriptors.FL4007LockLeakedOrReleasedTwice,
                location,
                $"The mmap lock of '{key.Name}' is released here, but it is not held: it was already released"));
            return;
        }

        var drop = value.Drop;
        switch (drop.Kind)
        {
            case DropKind.WhenFalse when drop.Subject is ILocalSymbol locked:
                var properties = System.Collections.Immutable.ImmutableDictionary<string, string?>.Empty
                    .Add(Descriptors.Properties.LockedLocal, locked.Name);
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL4001UnlockAfterLockedCall,
                    location,
                    properties,
                    key.Name,
                    locked.Name,
                    value.DropSite is IInvocationOperation site ? site.TargetMethod.Name : "the ...Locked call"));
                break;

            case DropKind.WhenFalse:
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL4007LockLeakedOrReleasedTwice,
                    location,
                    $"The mmap lock of '{key.Name}' is released here, but the trylock may have failed to take it"));
                break;

            case DropKind.WhenNonZero:
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL4007LockLeakedOrReleasedTwice,
                    location,
                    $"The mmap lock of '{key.Name}' is released here, but the killable lock may have failed to take it"));
                break;

            case DropKind.WhenFaultBits:
                reporter.Report(Diagnostic.Create(
                    Descriptors.FL4007LockLeakedOrReleasedTwice,
                    location,
                    $"The mmap lock of '{key.Name}' is released here, but 'HandleMmFault' already released it if it returned Retry or Completed"));
                break;
        }
    }

    /// <summary>FL4002: a call that needs the lock, where the lock is known Unlocked.</summary>
    private void CheckHeld(IInvocationOperation invocation, MmapLockCall call, MmapLockState before)
    {
        if (analysis.KeyOf(call.Mm, before) is { } key && before.LockOf(key) is { IsUnlocked: true })
        {
            reporter.Report(Diagnostic.Create(
                Descriptors.FL4002GupWithoutLock,
                invocation.Syntax.GetLocation(),
                invocation.TargetMethod.Name,
                key.Name));
        }
    }

    /// <summary>FL4003: an ...Unlocked call on an mm whose lock is known held, or a ...Fast call with the current mm's lock held.</summary>
    private void CheckNotHeld(IInvocationOperation invocation, MmapLockCall call, GupApi api, MmapLockState before)
    {
        ISymbol? heldKey = null;
        if (api.Form == GupForm.Unlocked)
        {
            if (analysis.KeyOf(call.Mm, before) is { } key && before.LockOf(key) is { IsHeld: true })
            {
                heldKey = key;
            }
        }
        else
        {
            foreach (var pair in before.Locks)
            {
                var isCurrent = SymbolEqualityComparer.Default.Equals(pair.Key, symbols.KernelTaskMm);
                if (isCurrent && pair.Value.IsHeld)
                {
                    heldKey = pair.Key;
                    break;
                }
            }
        }

        if (heldKey is not null)
        {
            var name = heldKey is IPropertySymbol ? "KernelTask.Current.Mm" : heldKey.Name;
            reporter.Report(Diagnostic.Create(
                Descriptors.FL4003LockHeldAcrossUnlocked,
                invocation.Syntax.GetLocation(),
                api.Name,
                name));
        }
    }

    /// <summary>FL4004: a member of a VMA read (or the VMA faulted on) when it may be stale.</summary>
    private void CheckVmaUse(IOperation? instance, IOperation use, MmapLockState before)
    {
        if (analysis.VmaSymbolOf(instance) is not { } vma || before.VmaOf(vma) is not { MayBeStale: true } value)
        {
            return;
        }

        if (use is IPropertyReferenceOperation or IFieldReferenceOperation or IInvocationOperation
            && !SymbolEqualityComparer.Default.Equals(SymbolOfMember(use)?.ContainingType, symbols.VmAreaStruct)
            && use is not IInvocationOperation { TargetMethod.Name: "HandleMmFault" })
        {
            return;
        }

        var site = value.DropSite is IInvocationOperation dropCall ? dropCall.TargetMethod.Name : "a call";
        reporter.Report(Diagnostic.Create(
            Descriptors.FL4004VmaUsedAfterDrop,
            use.Syntax.GetLocation(),
            vma.Name,
            site));
    }

    private static ISymbol? SymbolOfMember(IOperation use) => use switch
    {
        IPropertyReferenceOperation property => property.Property,
        IFieldReferenceOperation field => field.Field,
        IInvocationOperation invocation => invocation.TargetMethod,
        _ => null,
    };
}
