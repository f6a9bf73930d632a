using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Possible values of integral and enum locals (a <c>FollFlags</c> being built up, an errno about to be
/// returned): constant folding through assignments, <c>|</c>, <c>|=</c>, <c>&amp;= ~</c>, conditionals (which the
/// graph turns into flow captures), helper methods and <c>static readonly</c> fields via
/// <see cref="Summaries.MethodSummaries"/>. Parameters, fields, and anything else we cannot see are Unknown.
/// </summary>
internal sealed class LocalConstantsAnalysis : ForwardAnalysis<ConstantsState>
{
    private readonly FlowContext context;
    private readonly ImmutableHashSet<IParameterSymbol> parametersWrittenElsewhere;

    public LocalConstantsAnalysis(FlowContext context)
    {
        this.context = context;
        parametersWrittenElsewhere = LocalWrites.ParametersWrittenOutsideNormalFlow(context.Graph, context.CancellationToken);
    }

    public override ConstantsState Unreached => ConstantsState.Unreached;

    public override ConstantsState Entry => ConstantsState.Empty;

    public override ConstantsState Unknown => ConstantsState.Empty;

    public override ConstantsState Join(ConstantsState left, ConstantsState right) => left.Join(right);

    public override bool IsSame(ConstantsState left, ConstantsState right) => left.IsSame(right);

    public override ConstantsState Forget(ConstantsState state, ImmutableHashSet<ILocalSymbol> locals) => state.Without(locals);

    public override ConstantsState Apply(IOperation operation, ConstantsState state)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation assignment when Variable(assignment.Target) is { } target:
                return state.With(target, Evaluate(assignment.Value, state));

            case ICompoundAssignmentOperation compound when Variable(compound.Target) is { } target:
                return state.With(target, ConstantFolding.Binary(compound.OperatorKind, state.ValueOf(target), Evaluate(compound.Value, state)));

            case IIncrementOrDecrementOperation increment when Variable(increment.Target) is { } target:
                var delta = increment.Kind == OperationKind.Increment ? 1L : -1L;
                return state.With(target, state.ValueOf(target).Map(v => v + delta));

            case IFlowCaptureOperation capture:
                return state.With(capture.Id, Evaluate(capture.Value, state));

            case ILocalReferenceOperation or IParameterReferenceOperation when LocalWrites.IsWrite(operation):
                // Any other write (ref/out argument, deconstruction, assignment of a type we do not follow):
                // the new value is not ours to know.
                var written = operation is ILocalReferenceOperation local ? (ISymbol)local.Local : ((IParameterReferenceOperation)operation).Parameter;
                return operation.Parent is ISimpleAssignmentOperation or ICompoundAssignmentOperation or IIncrementOrDecrementOperation
                    && Variable(operation) is not null
                    ? state
                    : state.Without(new[] { written });

            default:
                return state;
        }
    }

    /// <summary>The possible values of <paramref name="expression"/> in <paramref name="state"/>.</summary>
    public ConstantSet Evaluate(IOperation? expression, ConstantsState state) =>
        ConstantFolding.Evaluate(expression, state, context.Summaries, context.Scope);

    /// <summary>
    /// The variable <paramref name="target"/> names, when this analysis follows it: an integral or enum local of
    /// the graph, or a by-value parameter that no lambda and no finally block writes.
    /// </summary>
    private ISymbol? Variable(IOperation target) => target switch
    {
        ILocalReferenceOperation local when ConstantFolding.IsIntegralOrEnum(local.Local.Type) && context.IsTracked(local.Local) => local.Local,
        IParameterReferenceOperation parameter when ConstantFolding.IsIntegralOrEnum(parameter.Parameter.Type)
            && parameter.Parameter.RefKind == RefKind.None
            && SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, context.Owner)
            && !parametersWrittenElsewhere.Contains(parameter.Parameter) => parameter.Parameter,
        _ => null,
    };
}
