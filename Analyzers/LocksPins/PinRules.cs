using System.Collections.Immutable;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.LocksPins;

/// <summary>
/// FL4005 and FL4006, read off the solved <see cref="PinAnalysis"/>. FL4005: a path leaves the method with an
/// obligation outstanding, and the pages cannot reach the caller (an array this method allocated), or the path
/// returns an error (a negative constant or a negated errno). FL4006: a release of the other kind.
/// </summary>
internal sealed class PinRules : FlowObserver<PinState>
{
    private readonly PinAnalysis analysis;
    private readonly KnownSymbols symbols;
    private readonly Reporter reporter;

    public PinRules(PinAnalysis analysis, KnownSymbols symbols, Reporter reporter)
    {
        this.analysis = analysis;
        this.symbols = symbols;
        this.reporter = reporter;
    }

    public override void OnOperation(IOperation operation, PinState before, BasicBlock block)
    {
        if (operation is not IInvocationOperation invocation)
        {
            return;
        }

        var method = invocation.TargetMethod;
        var unpinsArray = symbols.IsMethod(method, symbols.UnpinUserPages);
        var unpinsPage = symbols.IsMethod(method, symbols.UnpinUserPage);
        var puts = symbols.IsMethod(method, symbols.PutPage);
        if (!unpinsArray && !unpinsPage && !puts)
        {
            return;
        }

        var argument = MmapLockCall.ArgumentFor(invocation, 0);
        var array = unpinsArray
            ? analysis.ArrayOf(argument)
            : argument is not null && Comparisons.StripConversions(argument) is IArrayElementReferenceOperation element ? analysis.ArrayOf(element.ArrayReference) : null;
        if (array is null || before.OriginOf(array) is not { } obligation || obligation.Pins == !puts)
        {
            return;
        }

        var expected = obligation.Pins ? (unpinsArray ? "UnpinUserPages" : "UnpinUserPage") : "PutPage";
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(Descriptors.Properties.Release, obligation.Pins ? "UnpinUserPage" : "PutPage")
            .Add(Descriptors.Properties.Pages, array.Name);
        reporter.Report(Diagnostic.Create(
            Descriptors.FL4006PinGetMismatch,
            invocation.Syntax.GetLocation(),
            properties,
            array.Name,
            obligation.Gup.Method,
            expected,
            method.Name));
    }

    public override void OnBlockExit(BasicBlock block, PinState fallThrough, PinState conditional)
    {
        CheckExit(block, block.FallThroughSuccessor, fallThrough);
        if (block.ConditionKind != ControlFlowConditionKind.None)
        {
            CheckExit(block, block.ConditionalSuccessor, conditional);
        }
    }

    private void CheckExit(BasicBlock block, ControlFlowBranch? branch, PinState state)
    {
        if (branch?.Destination is not { Kind: BasicBlockKind.Exit } || state.IsUnreached || state.Obligations.IsEmpty || !branch.FinallyRegions.IsEmpty)
        {
            // A return through a finally may release the pages there; not followed.
            return;
        }

        var returned = block.ConditionKind == ControlFlowConditionKind.None ? block.BranchValue : null;
        foreach (var pair in state.Obligations)
        {
            var obligation = pair.Value;
            var own = pair.Key is ILocalSymbol local && analysis.OwnArrays.Contains(local);
            if (!own && !IsErrorReturn(returned))
            {
                // The caller's array on a success return: the pages are the caller's to release.
                continue;
            }

            var location = ReturnLocation(returned) ?? obligation.Gup.Operation.Syntax.GetLocation();
            var detail = "";
            if (obligation.WrongRelease is { Parent: IArgumentOperation { Parent: IInvocationOperation wrong } } wrongCount)
            {
                detail = obligation.Count is ILocalSymbol count
                    ? $": '{wrong.TargetMethod.Name}' was passed '{wrongCount.Syntax}', not the count '{count.Name}'"
                    : $": '{wrong.TargetMethod.Name}' was passed '{wrongCount.Syntax}', not the count taken";
            }
            else if (returned is not null && obligation.Count is ILocalSymbol countLocal && PinAnalysis.IsCount(obligation, returned))
            {
                detail = $", and '{countLocal.Name}', a count of pages taken, is returned";
            }

            var builder = ImmutableDictionary.CreateBuilder<string, string?>();
            builder.Add(Descriptors.Properties.Release, obligation.Pins ? "UnpinUserPages" : "PutPage");
            builder.Add(Descriptors.Properties.Pages, pair.Key.Name);
            if (obligation.Count is ILocalSymbol resultLocal && obligation.WrongRelease is null)
            {
                // The fix releases this count; with a wrong release on the path it would release twice, so no fix then.
                builder.Add(Descriptors.Properties.CountLocal, resultLocal.Name);
            }

            reporter.Report(Diagnostic.Create(
                Descriptors.FL4005PagesNotReleased,
                location,
                builder.ToImmutable(),
                obligation.Pins ? "pinned" : "referenced",
                pair.Key.Name,
                obligation.Gup.Method,
                detail));
        }
    }

    /// <summary>An error return: a negative constant or a negated value (<c>-Errno.EFAULT</c>).</summary>
    private static bool IsErrorReturn(IOperation? returned)
    {
        if (returned is null)
        {
            return false;
        }

        if (Comparisons.ConstantOf(returned) is { } constant)
        {
            return constant < 0;
        }

        return Comparisons.StripConversions(returned) is IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus };
    }

    private static Location? ReturnLocation(IOperation? returned)
    {
        for (var node = returned?.Syntax; node is not null; node = node.Parent)
        {
            if (node is ReturnStatementSyntax statement)
            {
                return statement.GetLocation();
            }

            if (node is StatementSyntax)
            {
                break;
            }
        }

        return null;
    }
}
