using System.Collections.Generic;
using System.Collections.Immutable;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Release obligations for pages GUP put in an array (SEMANTICS.md rules 20, 25, 26): a GUP call with a pages array
/// owes the release of exactly as many pages as it returned; a test that proves the result is 0 or negative clears
/// it; <c>UnpinUserPages(pages, ret)</c>, an element release in <c>for (i = 0; i &lt; ret; i++)</c> or a helper whose
/// summary releases its array's prefix discharges it; storing, returning or handing the array to code we cannot read
/// transfers it (Unknown, silent). A release with a count that is not the result keeps the obligation and remembers it.
/// </summary>
internal sealed class PinAnalysis : ForwardAnalysis<PinState>
{
    private readonly FlowContext context;
    private readonly KnownSymbols symbols;
    private readonly PageReleaseSummaries releases;

    public PinAnalysis(FlowContext context, PageReleaseSummaries releases)
    {
        this.context = context;
        symbols = context.Symbols;
        this.releases = releases;
        OwnArrays = ArraysCreatedHere(context);
        Captures = new CaptureAliases(context.Graph);
    }

    public CaptureAliases Captures { get; }

    /// <summary>Locals that only ever hold arrays this method allocated: their pages cannot reach the caller except by an explicit hand-off.</summary>
    public ImmutableHashSet<ILocalSymbol> OwnArrays { get; }

    public override PinState Unreached => PinState.Unreached;

    public override PinState Entry => PinState.Empty;

    public override PinState Unknown => PinState.Empty;

    public override PinState Join(PinState left, PinState right) => left.Join(right);

    public override bool IsSame(PinState left, PinState right) => left.IsSame(right);

    public override PinState Forget(PinState state, ImmutableHashSet<ILocalSymbol> locals) => state.ForgetAll(locals);

    /// <summary>The array symbol an expression names: a tracked local or a by-value parameter of this graph's method.</summary>
    public ISymbol? ArrayOf(IOperation? operation) => operation is null ? null : Captures.Resolve(operation) switch
    {
        ILocalReferenceOperation local when context.IsTracked(local.Local) => local.Local,
        IParameterReferenceOperation parameter when parameter.Parameter.RefKind == RefKind.None
            && (context.Owner is null || SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, context.Owner)) => parameter.Parameter,
        _ => null,
    };

    public override PinState Apply(IOperation operation, PinState state)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation assignment:
                return Assign(assignment, state);

            case IInvocationOperation invocation:
                return Invoke(invocation, state);

            case ILocalReferenceOperation or IParameterReferenceOperation or IFlowCaptureReferenceOperation when ArrayOf(operation) is { } array && state.Of(array) is not null:
                if (LocalWrites.IsWrite(operation) && operation.Parent is not ISimpleAssignmentOperation and not IArgumentOperation)
                {
                    return state.Forget(array);
                }

                return Escapes(operation) ? state.With(array, null) : state;

            case ILocalReferenceOperation local when LocalWrites.IsWrite(local) && local.Parent is not ISimpleAssignmentOperation and not IArgumentOperation:
                return state.Forget(local.Local);

            default:
                return state;
        }
    }

    private PinState Assign(ISimpleAssignmentOperation assignment, PinState state)
    {
        var target = Comparisons.StripConversions(assignment.Target) switch
        {
            ILocalReferenceOperation local => (ISymbol)local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            _ => null,
        };
        if (target is null)
        {
            return state;
        }

        state = state.Forget(target);
        var value = Comparisons.StripConversions(assignment.Value);
        foreach (var pair in state.Obligations)
        {
            var obligation = pair.Value;
            if (obligation.Count is IOperation call && ReferenceEquals(call, value) && target is ILocalSymbol resultLocal)
            {
                // ret = Gup.PinUserPages(...): the count now lives in ret.
                state = state.With(pair.Key, obligation.WithCount(resultLocal));
            }
            else if (IsCount(obligation, value))
            {
                // n = ret: a copy of the count.
                state = state.With(pair.Key, obligation.WithEqual(assignment.Target));
            }
        }

        return state;
    }

    private PinState Invoke(IInvocationOperation invocation, PinState state)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out && ArrayOrLocal(argument.Value) is { } written)
            {
                state = state.Forget(written);
            }
        }

        var method = invocation.TargetMethod;
        if (symbols.GupApiOf(method) is { } api)
        {
            if (api.PagesOrdinal >= 0 && ArrayOf(MmapLockCall.ArgumentFor(invocation, api.PagesOrdinal)) is { } pages)
            {
                var requested = api.CountOrdinal >= 0 && MmapLockCall.ArgumentFor(invocation, api.CountOrdinal) is { } count
                    ? Comparisons.ConstantOf(count)
                    : null;
                var site = new GupSite(invocation, api.Name);
                state = state.With(pages, new PinObligation(site, api.Pins, invocation, ImmutableArray<IOperation>.Empty, requested, wrongRelease: null))
                    .WithOrigin(pages, new PinOrigin(site, api.Pins));
            }

            return state;
        }

        if (symbols.IsMethod(method, symbols.UnpinUserPages))
        {
            return ArrayOf(MmapLockCall.ArgumentFor(invocation, 0)) is { } pages && state.Of(pages) is { } obligation
                ? Release(state, pages, obligation, MmapLockCall.ArgumentFor(invocation, 1), invocation)
                : state;
        }

        if (symbols.IsMethod(method, symbols.UnpinUserPage) || symbols.IsMethod(method, symbols.PutPage))
        {
            // An element release: in a loop bounded by the count, or a single page; either way not followed further.
            return ElementArray(MmapLockCall.ArgumentFor(invocation, 0)) is { } pages ? state.With(pages, null) : state;
        }

        if (method.ContainingAssembly?.Name == KnownSymbols.RuntimeAssemblyName)
        {
            return state;
        }

        // A helper of the user's: its summary says whether it releases the array, only reads it, or is Unknown.
        foreach (var argument in invocation.Arguments)
        {
            if (ElementArray(argument.Value) is { } elementOf)
            {
                // list.Add(pages[i]): the page may be kept; the obligation is no longer followed.
                state = state.With(elementOf, null);
                continue;
            }

            if (ArrayOf(argument.Value) is not { } array || state.Of(array) is not { } obligation || argument.Parameter is null)
            {
                continue;
            }

            var summary = releases.Of(method, argument.Parameter.Ordinal, context.Summaries, context.Scope);
            switch (summary.Use)
            {
                case PageArrayUse.JustUses:
                    break;
                case PageArrayUse.Releases:
                    state = Release(state, array, obligation, MmapLockCall.ArgumentFor(invocation, summary.CountOrdinal), invocation);
                    break;
                default:
                    state = state.With(array, null);
                    break;
            }
        }

        return state;
    }

    /// <summary>A release of <paramref name="pages"/>' first <paramref name="count"/> pages: discharged if it is the result, remembered as wrong if it is plainly something else.</summary>
    private PinState Release(PinState state, ISymbol pages, PinObligation obligation, IOperation? count, IOperation release)
    {
        if (count is null || obligation.Count is null || IsCount(obligation, count))
        {
            return state.With(pages, null);
        }

        var stripped = Comparisons.StripConversions(count);
        var plain = stripped is ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation || Comparisons.ConstantOf(count) is not null;
        return plain ? state.With(pages, obligation.WithWrongRelease(count)) : state.With(pages, null);
    }

    /// <summary>Whether <paramref name="operand"/> is the count: the result local, a copy, or an operand it was found equal to.</summary>
    public static bool IsCount(PinObligation obligation, IOperation operand)
    {
        var stripped = Comparisons.StripConversions(operand);
        if (obligation.Count is ILocalSymbol local && stripped is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
        {
            return true;
        }

        if (obligation.Count is IOperation call && ReferenceEquals(call, stripped))
        {
            return true;
        }

        var constant = Comparisons.ConstantOf(operand);
        foreach (var equal in obligation.EqualCounts)
        {
            if (Comparisons.SameValueSource(equal, operand) || (constant is not null && Comparisons.ConstantOf(equal) == constant))
            {
                return true;
            }
        }

        return false;
    }

    public override (PinState WhenTrue, PinState WhenFalse) Split(IOperation condition, PinState state)
    {
        var negated = false;
        condition = Comparisons.StripConversions(condition);
        while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not)
        {
            negated = !negated;
            condition = Comparisons.StripConversions(not.Operand);
        }

        if (condition is not IBinaryOperation binary)
        {
            return (state, state);
        }

        var whenTrue = state;
        var whenFalse = state;
        foreach (var pair in state.Obligations)
        {
            var obligation = pair.Value;
            if (obligation.Count is null || !Comparisons.TryNormalize(binary, operand => IsCountSubject(obligation, operand), out var comparison))
            {
                continue;
            }

            whenTrue = Learn(whenTrue, pair.Key, obligation, comparison.Kind, comparison.Other);
            whenFalse = Learn(whenFalse, pair.Key, obligation, Comparisons.Negate(comparison.Kind), comparison.Other);
        }

        return negated ? (whenFalse, whenTrue) : (whenTrue, whenFalse);
    }

    private bool IsCountSubject(PinObligation obligation, IOperation operand)
    {
        var stripped = Captures.Resolve(operand);
        return obligation.Count switch
        {
            ILocalSymbol local => stripped is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local),
            IOperation call => ReferenceEquals(call, stripped),
            _ => false,
        };
    }

    /// <summary>What <c>count KIND other</c> teaches: no page taken (obligation gone), or a value equal to the count.</summary>
    private static PinState Learn(PinState state, ISymbol pages, PinObligation obligation, BinaryOperatorKind kind, IOperation other)
    {
        if (Comparisons.ConstantOf(other) is { } c)
        {
            var nothingTaken = (kind == BinaryOperatorKind.LessThan && c <= 1)
                || (kind == BinaryOperatorKind.LessThanOrEqual && c <= 0)
                || (kind == BinaryOperatorKind.Equals && c <= 0)
                || (obligation.RequestedConstant == 1 && c == 1 && kind is BinaryOperatorKind.NotEquals or BinaryOperatorKind.LessThan);
            if (nothingTaken)
            {
                return state.With(pages, null);
            }
        }

        return kind == BinaryOperatorKind.Equals ? state.With(pages, obligation.WithEqual(other)) : state;
    }

    /// <summary>
    /// Whether a read of a tracked array lets it escape: returned, stored, captured, or an element stored. Reads that
    /// keep it here: <c>pages.Length</c>, <c>pages[i].Member</c>, <c>pages[i]</c> as an argument, comparisons, and the
    /// arguments the invocation handler reads itself.
    /// </summary>
    private bool Escapes(IOperation reference)
    {
        var current = reference;
        var parent = reference.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation)
        {
            current = parent;
            parent = parent.Parent;
        }

        switch (parent)
        {
            case IFlowCaptureOperation capture when Captures.IsAlias(capture.Id):
                // Captured before a ?: in a later argument: the capture's uses are checked where they occur.
                return false;

            case IArgumentOperation:
            case IPropertyReferenceOperation { Property.Name: "Length" }:
            case IBinaryOperation:
            case IIsPatternOperation:
                return false;

            case IArrayElementReferenceOperation element when element.ArrayReference == current:
                var elementParent = element.Parent;
                while (elementParent is IConversionOperation)
                {
                    elementParent = elementParent.Parent;
                }

                return elementParent switch
                {
                    IArgumentOperation => false,
                    IPropertyReferenceOperation or IFieldReferenceOperation or IInvocationOperation => false,
                    IBinaryOperation or IIsPatternOperation => false,
                    ISimpleAssignmentOperation store when store.Target == element => false,
                    _ => true,
                };

            default:
                return true;
        }
    }

    private ISymbol? ArrayOrLocal(IOperation operation) => Captures.Resolve(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        _ => null,
    };

    private ISymbol? ElementArray(IOperation? operation) =>
        operation is not null && Captures.Resolve(operation) is IArrayElementReferenceOperation element ? ArrayOf(element.ArrayReference) : null;

    private static ImmutableHashSet<ILocalSymbol> ArraysCreatedHere(FlowContext context)
    {
        var created = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        var other = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var block in context.Graph.Blocks)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            foreach (var root in block.Operations)
            {
                foreach (var operation in root.DescendantsAndSelf())
                {
                    if (operation is ILocalReferenceOperation local && LocalWrites.IsWrite(local))
                    {
                        var isCreation = local.Parent is ISimpleAssignmentOperation assignment && assignment.Target == local
                            && Comparisons.StripConversions(assignment.Value) is IArrayCreationOperation;
                        (isCreation ? created : other).Add(local.Local);
                    }
                }
            }
        }

        created.ExceptWith(other);
        return ImmutableHashSet.CreateRange<ILocalSymbol>(SymbolEqualityComparer.Default, created);
    }
}
