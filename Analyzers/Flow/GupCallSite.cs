using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// One call of a GUP entry point in a graph, with its arguments read once: the flags' possible values at the
/// call, the requested count, the pages array. Keyed by the invocation's syntax, which is stable across the
/// graph's copies of the operation.
/// </summary>
internal sealed class GupCallSite
{
    public GupCallSite(IInvocationOperation invocation, GupApi api, GraphIndex index, ConstantSet flags)
    {
        Invocation = invocation;
        Api = api;
        Flags = flags;
        FlagsArgument = ArgumentFor(invocation, api.FlagsOrdinal);
        CountArgument = ArgumentFor(invocation, api.CountOrdinal);
        PagesArgument = ArgumentFor(invocation, api.PagesOrdinal);
        LockedArgument = ArgumentFor(invocation, api.LockedOrdinal);
        MmArgument = ArgumentFor(invocation, api.MmOrdinal);
        Count = CountArgument is null ? null : index.Origin(CountArgument.Value);
        CountConstant = Count is null ? null : Comparisons.ConstantOf(Count);
        Pages = PagesArgument is null ? null : index.Origin(PagesArgument.Value);
        PagesSymbol = Pages switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
            _ => null,
        };
        LockedLocal = LockedArgument is null ? null : (index.Origin(LockedArgument.Value) as ILocalReferenceOperation)?.Local;
    }

    public IInvocationOperation Invocation { get; }

    public SyntaxNode Syntax => Invocation.Syntax;

    public GupApi Api { get; }

    /// <summary>The possible values of the flags argument where the call is made.</summary>
    public ConstantSet Flags { get; }

    public IArgumentOperation? FlagsArgument { get; }

    public IArgumentOperation? CountArgument { get; }

    public IArgumentOperation? PagesArgument { get; }

    public IArgumentOperation? LockedArgument { get; }

    public IArgumentOperation? MmArgument { get; }

    /// <summary>The requested count as computed (through captures and conversions).</summary>
    public IOperation? Count { get; }

    public long? CountConstant { get; }

    /// <summary>The pages array as computed; null literal when the caller wants no pages.</summary>
    public IOperation? Pages { get; }

    /// <summary>The local, parameter or field holding the pages array, when it is one.</summary>
    public ISymbol? PagesSymbol { get; }

    /// <summary>For the ...Locked forms, the local passed as <c>ref locked</c>.</summary>
    public ILocalSymbol? LockedLocal { get; }

    /// <summary>What the call can return before any test (SEMANTICS.md rules 10, 16-18, 23-24).</summary>
    public ResultClasses InitialClasses(KnownSymbols symbols)
    {
        if (CountConstant == 0)
        {
            // Nothing requested: the result is 0, the whole request (rule 10).
            return ResultClasses.Full;
        }

        var classes = ResultClasses.Eintr | ResultClasses.OtherError | ResultClasses.Full;

        // -EAGAIN: get_user_pages_unlocked's first mmap_read_lock_killable (rule 23); the fast forms fall back to it.
        if (Api.Form is GupForm.Unlocked or GupForm.Fast)
        {
            classes |= ResultClasses.Eagain;
        }

        // 0 only with FOLL_NOWAIT since v6.7 (rule 18, case 2); unknown flags are not assumed to have it.
        if (symbols.FollNowait is { } nowait && Flags.SomeValueHasAnyOf(nowait))
        {
            classes |= ResultClasses.Zero;
        }

        // One page requested: the count is all or nothing.
        if (CountConstant != 1)
        {
            classes |= ResultClasses.Partial;
        }

        return classes;
    }

    private static IArgumentOperation? ArgumentFor(IInvocationOperation invocation, int ordinal)
    {
        if (ordinal < 0)
        {
            return null;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument;
            }
        }

        return null;
    }
}
