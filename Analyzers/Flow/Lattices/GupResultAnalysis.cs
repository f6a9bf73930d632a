using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Follows each GUP call's result along the paths after it: which locals hold it, which values the tests so far
/// still allow (branch-sensitive: the true side of <c>ret &lt; 0</c> knows the result is an errno, the false side
/// of <c>ret == -Errno.EINTR</c> knows it is not -EINTR), whether it was compared with the requested count or
/// used as a bound, and whether it escaped (returned, stored, passed where we cannot see). Helpers that receive
/// the result are read through <see cref="Summaries.MethodSummaries"/>.
/// </summary>
internal sealed class GupResultAnalysis : ForwardAnalysis<GupResultState>
{
    private readonly FlowContext context;
    private readonly IReadOnlyDictionary<SyntaxNode, GupCallSite> sites;
    private readonly GraphIndex index;

    public GupResultAnalysis(FlowContext context, IReadOnlyDictionary<SyntaxNode, GupCallSite> sites, GraphIndex index)
    {
        this.context = context;
        this.sites = sites;
        this.index = index;
    }

    public override GupResultState Unreached => GupResultState.Unreached;

    public override GupResultState Entry => GupResultState.Empty;

    public override GupResultState Unknown => GupResultState.Empty;

    public override GupResultState Join(GupResultState left, GupResultState right) => left.Join(right);

    public override bool IsSame(GupResultState left, GupResultState right) => left.IsSame(right);

    public override GupResultState Forget(GupResultState state, ImmutableHashSet<ILocalSymbol> locals) => state.Forget(locals);

    /// <summary>
    /// The array <paramref name="invocation"/> copies into, when it is <c>System.Array.Copy</c> (or
    /// <c>ConstrainedCopy</c>) or <c>source.CopyTo(array, index)</c>: a write of that array, not a read of it.
    /// </summary>
    public static IOperation? CopyDestination(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.ContainingType?.SpecialType != SpecialType.System_Array)
        {
            return null;
        }

        var parameterName = method.Name switch
        {
            "Copy" or "ConstrainedCopy" => "destinationArray",
            "CopyTo" => "array",
            _ => null,
        };
        foreach (var argument in invocation.Arguments)
        {
            if (parameterName is not null && argument.Parameter?.Name == parameterName)
            {
                return Comparisons.StripConversions(argument.Value);
            }
        }

        return null;
    }

    /// <summary>The array variable <paramref name="operation"/> names (a local, a parameter, a field of this object), or null.</summary>
    private static ISymbol? ArrayOf(IOperation? operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        _ => null,
    };

    /// <summary>The call site whose result <paramref name="operation"/> is, in <paramref name="state"/>.</summary>
    public SyntaxNode? Resolve(IOperation? operation, GupResultState state)
    {
        if (operation is null)
        {
            return null;
        }

        operation = Comparisons.StripConversions(operation);
        SyntaxNode? site = operation switch
        {
            ILocalReferenceOperation local => state.LocalAliases.TryGetValue(local.Local, out var aliased) ? aliased : null,
            IFlowCaptureReferenceOperation capture => state.CaptureAliases.TryGetValue(capture.Id, out var captured) ? captured : null,
            IInvocationOperation invocation when sites.TryGetValue(invocation.Syntax, out var call) && call.Invocation == invocation => invocation.Syntax,
            _ => null,
        };
        return site is not null && state.Results.ContainsKey(site) ? site : null;
    }

    public override GupResultState Apply(IOperation operation, GupResultState state)
    {
        switch (operation)
        {
            case IInvocationOperation invocation:
                state = ConsumeArguments(invocation, state);
                if (sites.TryGetValue(invocation.Syntax, out var call) && call.Invocation == invocation)
                {
                    var facts = new ResultFacts(call.InitialClasses(context.Symbols), tested: false, handled: false, escaped: false, accounted: ResultClasses.None);
                    state = state.WithCall(invocation.Syntax, facts, call.PagesSymbol);
                }
                else if (ArrayOf(CopyDestination(invocation)) is { } destination)
                {
                    // Array.Copy(rest, 0, pages, ret, got): pages now holds other pages too, so no single call's.
                    state = state.WithoutOwner(destination);
                }

                return state;

            case ISimpleAssignmentOperation assignment:
                return Assign(assignment.Target, Resolve(assignment.Value, state), state);

            case ICompoundAssignmentOperation compound:
                state = Escape(Resolve(compound.Value, state), state);
                return compound.Target is ILocalReferenceOperation compoundTarget ? Escape(Resolve(compoundTarget, state), state).WithoutAlias(compoundTarget.Local) : state;

            case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation incremented }:
                return state.WithoutAlias(incremented.Local);

            case IFlowCaptureOperation capture:
                return state.WithCaptureAlias(capture.Id, Resolve(capture.Value, state));

            case IBinaryOperation binary when Comparisons.IsRelational(binary.OperatorKind):
                return Compare(binary, state);

            case IIsPatternOperation pattern when Resolve(pattern.Value, state) is { } tested:
                var patternFacts = state.FactsOf(tested)!.AsTested();
                foreach (var part in pattern.Pattern.DescendantsAndSelf())
                {
                    var value = part switch
                    {
                        IConstantPatternOperation constant => constant.Value,
                        IRelationalPatternOperation relational => relational.Value,
                        _ => null,
                    };
                    if (value is not null && Comparisons.ConstantOf(value) is not (null or <= 0))
                    {
                        // ret is 1, ret is >= n: a positive bound, like a comparison with the count.
                        patternFacts = patternFacts.AsHandled();
                    }
                }

                return state.WithFacts(tested, patternFacts);

            case IConversionOperation or IParenthesizedOperation or IArgumentOperation or IExpressionStatementOperation
                or IInterpolationOperation or IIsPatternOperation:
                // Transparent: the enclosing operation decides what the value is used for.
                return state;

            default:
                // Any other consumer (arithmetic, negation, a switch expression arm, a tuple, ...) is an escape.
                foreach (var child in operation.ChildOperations)
                {
                    state = Escape(Resolve(child is IArgumentOperation argument ? argument.Value : child, state), state);
                }

                return state;
        }
    }

    public override (GupResultState WhenTrue, GupResultState WhenFalse) Split(IOperation condition, GupResultState state)
    {
        var whenTrue = state;
        var whenFalse = state;
        foreach (var site in SitesIn(condition, state))
        {
            var (trueMask, falseMask) = Narrow(condition, site, state, parameters: null, depth: 0);
            var facts = state.FactsOf(site)!;
            whenTrue = whenTrue.WithFacts(site, facts.WithPossible(facts.Possible & trueMask));
            whenFalse = whenFalse.WithFacts(site, facts.WithPossible(facts.Possible & falseMask));
        }

        return (whenTrue, whenFalse);
    }

    /// <summary>
    /// The classes of <paramref name="site"/>'s result that can make <paramref name="condition"/> true, and false.
    /// <paramref name="parameters"/> maps a predicate helper's parameters to the caller's call sites when the
    /// condition is the helper's body.
    /// </summary>
    private (ResultClasses WhenTrue, ResultClasses WhenFalse) Narrow(
        IOperation condition, SyntaxNode site, GupResultState state, Dictionary<IParameterSymbol, SyntaxNode>? parameters, int depth)
    {
        var call = sites[site];
        condition = Comparisons.StripConversions(condition);
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                var (innerTrue, innerFalse) = Narrow(not.Operand, site, state, parameters, depth);
                return (innerFalse, innerTrue);

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                var a = Narrow(and.LeftOperand, site, state, parameters, depth);
                var b = Narrow(and.RightOperand, site, state, parameters, depth);
                return (a.WhenTrue & b.WhenTrue, a.WhenFalse | (a.WhenTrue & b.WhenFalse));

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } or:
                var l = Narrow(or.LeftOperand, site, state, parameters, depth);
                var r = Narrow(or.RightOperand, site, state, parameters, depth);
                return (l.WhenTrue | (l.WhenFalse & r.WhenTrue), l.WhenFalse & r.WhenFalse);

            case IBinaryOperation binary when Comparisons.TryNormalize(binary, o => ResolveIn(o, state, parameters) == site, out var comparison):
                return ResultNarrowing.ForComparison(comparison.Kind, comparison.Other, call, context.Symbols, parameters is null ? index : null);

            case IIsPatternOperation pattern when ResolveIn(pattern.Value, state, parameters) == site:
                return ResultNarrowing.ForPattern(pattern.Pattern, call, context.Symbols);

            case IInvocationOperation invocation when depth < 3
                && context.Summaries.PredicateBody(invocation.TargetMethod, context.Scope) is { } body:
                // A predicate helper (bool IsSignal(long r) => r == -EINTR || r == -EAGAIN): read its body with
                // its parameters standing for our arguments.
                var mapped = new Dictionary<IParameterSymbol, SyntaxNode>(SymbolEqualityComparer.Default);
                foreach (var argument in invocation.Arguments)
                {
                    if (argument.Parameter is { } parameter && ResolveIn(argument.Value, state, parameters) is { } argumentSite)
                    {
                        mapped[parameter.OriginalDefinition] = argumentSite;
                    }
                }

                return mapped.Count == 0 ? (ResultClasses.All, ResultClasses.All) : Narrow(body, site, state, mapped, depth + 1);

            default:
                return (ResultClasses.All, ResultClasses.All);
        }
    }

    private SyntaxNode? ResolveIn(IOperation operation, GupResultState state, Dictionary<IParameterSymbol, SyntaxNode>? parameters)
    {
        if (parameters is not null)
        {
            return Comparisons.StripConversions(operation) is IParameterReferenceOperation reference
                && parameters.TryGetValue(reference.Parameter.OriginalDefinition, out var site) ? site : null;
        }

        return Resolve(operation, state);
    }

    private IEnumerable<SyntaxNode> SitesIn(IOperation condition, GupResultState state)
    {
        var found = new HashSet<SyntaxNode>();
        foreach (var operation in condition.DescendantsAndSelf())
        {
            if (Resolve(operation, state) is { } site && found.Add(site))
            {
                yield return site;
            }
        }
    }

    private GupResultState Compare(IBinaryOperation binary, GupResultState state)
    {
        var left = Resolve(binary.LeftOperand, state);
        var right = Resolve(binary.RightOperand, state);
        if (left is not null)
        {
            state = MarkCompared(left, binary.RightOperand, state);
        }

        if (right is not null)
        {
            state = MarkCompared(right, binary.LeftOperand, state);
        }

        return state;
    }

    /// <summary>
    /// A comparison with 0, a negative constant or an errno is a test; with a positive constant or any other
    /// value (the requested count, a loop index) it also bounds what may be used.
    /// </summary>
    private static GupResultState MarkCompared(SyntaxNode site, IOperation other, GupResultState state)
    {
        var facts = state.FactsOf(site)!;
        facts = Comparisons.ConstantOf(other) is { } constant && constant <= 0 ? facts.AsTested() : facts.AsHandled();
        return state.WithFacts(site, facts);
    }

    private GupResultState ConsumeArguments(IInvocationOperation invocation, GupResultState state)
    {
        var method = invocation.TargetMethod;
        var symbols = context.Symbols;
        if (invocation.Instance is { } instance && Resolve(instance, state) is { } receiver && method.Name != "ToString")
        {
            state = Escape(receiver, state);
        }

        foreach (var argument in invocation.Arguments)
        {
            // A ref/out argument may be changed by the callee: it no longer holds what it held.
            if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out)
            {
                switch (Comparisons.StripConversions(argument.Value))
                {
                    case ILocalReferenceOperation local:
                        state = state.WithoutAlias(local.Local).WithoutOwner(local.Local);
                        break;
                    case IParameterReferenceOperation refParameter:
                        state = state.WithoutOwner(refParameter.Parameter);
                        break;
                }
            }

            if (Resolve(argument.Value, state) is not { } site || argument.Parameter is not { } parameter)
            {
                continue;
            }

            if (symbols.IsMethod(method, symbols.UnpinUserPages) && parameter.Name == "count")
            {
                // unpin_user_pages(pages, ret): the result bounds what is released.
                state = state.WithFacts(site, state.FactsOf(site)!.AsHandled());
            }
            else if (Summaries.MethodSummaries.IsLogging(method))
            {
                // Printing a result neither tests nor propagates it.
            }
            else if (symbols.GupApiOf(method) is null && context.Summaries.CanRead(method, context.Scope))
            {
                var use = context.Summaries.ParameterUse(method, parameter.Ordinal, context.Scope);
                if (use.Escaped)
                {
                    state = Escape(site, state);
                }
                else
                {
                    var facts = state.FactsOf(site)!;
                    if (use.Tested)
                    {
                        facts = facts.AsTested();
                    }

                    if (use.ComparedWithCount)
                    {
                        facts = facts.AsHandled();
                    }

                    state = state.WithFacts(site, facts.WithAccounted(use.Accounted));
                }
            }
            else
            {
                state = Escape(site, state);
            }
        }

        return state;
    }

    private GupResultState Assign(IOperation target, SyntaxNode? site, GupResultState state)
    {
        switch (target)
        {
            case ILocalReferenceOperation local:
                state = state.WithoutOwner(local.Local);
                return context.IsTracked(local.Local) ? state.WithAlias(local.Local, site) : Escape(site, state.WithoutAlias(local.Local));

            case IParameterReferenceOperation parameter:
                return Escape(site, state.WithoutOwner(parameter.Parameter));

            case IFieldReferenceOperation field:
                return Escape(site, state.WithoutOwner(field.Field));

            default:
                return Escape(site, state);
        }
    }

    private static GupResultState Escape(SyntaxNode? site, GupResultState state) =>
        site is null ? state : state.WithFacts(site, state.FactsOf(site)!.AsEscaped());
}
