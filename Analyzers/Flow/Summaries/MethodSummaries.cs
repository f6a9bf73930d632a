using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>
/// Facts about the user's helper methods, computed the first time a caller needs them and cached for the rest
/// of the compilation (one instance per compilation, created in the compilation-start action; no
/// compilation-end work). Only non-virtual methods and property getters with source in this compilation are
/// read; anything else (virtual calls, other assemblies, local functions) is Unknown, which never reports.
/// </summary>
internal sealed class MethodSummaries
{
    private readonly Compilation compilation;
    private readonly KnownSymbols symbols;
    private readonly ConcurrentDictionary<IMethodSymbol, ConstantSet> returnedConstants = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IFieldSymbol, ConstantSet> fieldConstants = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<(IMethodSymbol, int), ResultParameterUse> parameterUses = new(new MethodOrdinalComparer());
    private readonly ConcurrentDictionary<IMethodSymbol, BodyHolder> bodies = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, bool> signalChecks = new(SymbolEqualityComparer.Default);

    public MethodSummaries(Compilation compilation, KnownSymbols symbols)
    {
        this.compilation = compilation;
        this.symbols = symbols;
    }

    /// <summary>The possible values a helper returning an integral or enum type (e.g. <c>FollFlags</c>) can return, with its parameters unknown.</summary>
    public ConstantSet ReturnedConstants(IMethodSymbol method, SummaryScope scope)
    {
        method = Implementation(method);
        if (returnedConstants.TryGetValue(method, out var cached))
        {
            return cached;
        }

        if (!scope.TryEnter(method))
        {
            return ConstantSet.Unknown;
        }

        try
        {
            var value = ComputeReturnedConstants(method, scope);
            if (!scope.WasTruncated)
            {
                returnedConstants.TryAdd(method, value);
            }

            return value;
        }
        finally
        {
            scope.Exit(method);
        }
    }

    /// <summary>The value of a <c>readonly</c> field with an initializer and no constructor assignment.</summary>
    public ConstantSet ReadonlyFieldConstants(IFieldSymbol field, SummaryScope scope)
    {
        if (fieldConstants.TryGetValue(field, out var cached))
        {
            return cached;
        }

        if (!scope.TryEnter(field))
        {
            return ConstantSet.Unknown;
        }

        try
        {
            var value = ComputeFieldConstants(field, scope);
            if (!scope.WasTruncated)
            {
                fieldConstants.TryAdd(field, value);
            }

            return value;
        }
        finally
        {
            scope.Exit(field);
        }
    }

    /// <summary>What a helper does with the GUP result passed as its parameter <paramref name="ordinal"/>.</summary>
    public ResultParameterUse ParameterUse(IMethodSymbol method, int ordinal, SummaryScope scope)
    {
        method = Implementation(method);
        var key = (method, ordinal);
        if (parameterUses.TryGetValue(key, out var cached))
        {
            return cached;
        }

        if (!scope.TryEnter(method))
        {
            return ResultParameterUse.Escapes;
        }

        try
        {
            var value = ComputeParameterUse(method, ordinal, scope);
            if (!scope.WasTruncated)
            {
                parameterUses.TryAdd(key, value);
            }

            return value;
        }
        finally
        {
            scope.Exit(method);
        }
    }

    /// <summary>
    /// For a helper whose body is a single <c>return condition;</c> (or <c>=&gt; condition</c>), the condition, so
    /// that a caller's branch on the helper can be read as a branch on the condition. Null otherwise.
    /// </summary>
    public IOperation? PredicateBody(IMethodSymbol method, SummaryScope scope)
    {
        method = Implementation(method);
        if (method.ReturnType.SpecialType != SpecialType.System_Boolean)
        {
            return null;
        }

        if (Body(method, scope)?.Operation is not IMethodBodyOperation body)
        {
            return null;
        }

        var block = body.BlockBody ?? body.ExpressionBody;
        return block is { Operations.Length: 1 } && block.Operations[0] is IReturnOperation { ReturnedValue: { } value } ? value : null;
    }

    /// <summary>Whether a helper tests for a pending signal (<c>SignalPending</c>, <c>FatalSignalPending</c>, <c>Signals.*Pending</c>), directly or through helpers.</summary>
    public bool ChecksSignals(IMethodSymbol method, SummaryScope scope)
    {
        method = Implementation(method);
        if (signalChecks.TryGetValue(method, out var cached))
        {
            return cached;
        }

        if (!scope.TryEnter(method))
        {
            return false;
        }

        try
        {
            var value = ComputeChecksSignals(method, scope);
            if (!scope.WasTruncated)
            {
                signalChecks.TryAdd(method, value);
            }

            return value;
        }
        finally
        {
            scope.Exit(method);
        }
    }

    /// <summary>Whether <paramref name="method"/> is a helper this class can read.</summary>
    public bool CanRead(IMethodSymbol method, SummaryScope scope) => Body(Implementation(method), scope) is not null;

    /// <summary>The bound body of a readable helper (see <see cref="CanRead"/>), or null; for summaries kept in other files.</summary>
    public IOperation? BodyOf(IMethodSymbol method, SummaryScope scope) => Body(Implementation(method), scope)?.Operation;

    private static IMethodSymbol Implementation(IMethodSymbol method) =>
        (method.PartialImplementationPart ?? method).OriginalDefinition;

    private ConstantSet ComputeReturnedConstants(IMethodSymbol method, SummaryScope scope)
    {
        if (!ConstantFolding.IsIntegralOrEnum(method.ReturnType) || Body(method, scope) is not { Graph: { } graph })
        {
            return ConstantSet.Unknown;
        }

        var context = new FlowContext(graph, method, symbols, this, scope);
        var analysis = new LocalConstantsAnalysis(context);
        var result = ForwardDataflow.Run(graph, analysis, scope.CancellationToken);
        if (!result.Converged)
        {
            return ConstantSet.Unknown;
        }

        var collector = new ReturnCollector(analysis);
        result.Replay(collector);
        return collector.Returned.IsBottom ? ConstantSet.Unknown : collector.Returned;
    }

    private ConstantSet ComputeFieldConstants(IFieldSymbol field, SummaryScope scope)
    {
        if (!field.IsReadOnly || field.DeclaringSyntaxReferences.Length != 1)
        {
            return ConstantSet.Unknown;
        }

        var reference = field.DeclaringSyntaxReferences[0];
        if (reference.GetSyntax(scope.CancellationToken) is not VariableDeclaratorSyntax { Initializer: { } initializer }
            || !compilation.ContainsSyntaxTree(reference.SyntaxTree))
        {
            return ConstantSet.Unknown;
        }

        // A readonly field may still be assigned in a constructor of its type.
        foreach (var constructor in field.IsStatic ? field.ContainingType.StaticConstructors : field.ContainingType.InstanceConstructors)
        {
            foreach (var constructorReference in constructor.DeclaringSyntaxReferences)
            {
                var syntax = constructorReference.GetSyntax(scope.CancellationToken);
                if (syntax.DescendantNodes().OfType<IdentifierNameSyntax>().Any(name => name.Identifier.ValueText == field.Name))
                {
                    return ConstantSet.Unknown;
                }
            }
        }

        var model = SemanticModelFor(reference.SyntaxTree);
        if (model.GetOperation(initializer, scope.CancellationToken) is not IFieldInitializerOperation operation || HasErrors(operation))
        {
            return ConstantSet.Unknown;
        }

        return ConstantFolding.Evaluate(operation.Value, ConstantsState.Empty, this, scope);
    }

    private ResultParameterUse ComputeParameterUse(IMethodSymbol method, int ordinal, SummaryScope scope)
    {
        if (ordinal < 0 || ordinal >= method.Parameters.Length || method.Parameters[ordinal].RefKind != RefKind.None
            || Body(method, scope)?.Operation is not { } body)
        {
            return ResultParameterUse.Escapes;
        }

        var parameter = method.Parameters[ordinal];
        var use = ResultParameterUse.Unused;
        foreach (var operation in body.Descendants())
        {
            if (operation is IParameterReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
            {
                use = use.Merge(ClassifyUse(reference, scope));
                if (use.Escaped)
                {
                    return ResultParameterUse.Escapes;
                }
            }
        }

        return use;
    }

    private ResultParameterUse ClassifyUse(IOperation reference, SummaryScope scope)
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
            case IBinaryOperation binary when Comparisons.IsRelational(binary.OperatorKind):
                var other = binary.LeftOperand == current ? binary.RightOperand : binary.LeftOperand;
                return Comparison(Comparisons.ConstantOf(other));

            case IIsPatternOperation pattern when pattern.Value == current:
                var use = new ResultParameterUse(tested: true, comparedWithCount: false, accounted: ResultClasses.None, escapes: false);
                foreach (var constant in pattern.Pattern.DescendantsAndSelf().OfType<IConstantPatternOperation>())
                {
                    use = use.Merge(Comparison(Comparisons.ConstantOf(constant.Value)));
                }

                foreach (var relational in pattern.Pattern.DescendantsAndSelf().OfType<IRelationalPatternOperation>())
                {
                    use = use.Merge(Comparison(Comparisons.ConstantOf(relational.Value)));
                }

                return use;

            case IInterpolationOperation:
                return ResultParameterUse.Unused;

            case IArgumentOperation { Parent: IInvocationOperation invocation, Parameter: { } calleeParameter }:
                if (IsLogging(invocation.TargetMethod))
                {
                    return ResultParameterUse.Unused;
                }

                return CanRead(invocation.TargetMethod, scope)
                    ? ParameterUse(invocation.TargetMethod, calleeParameter.Ordinal, scope)
                    : ResultParameterUse.Escapes;

            default:
                return ResultParameterUse.Escapes;
        }

        ResultParameterUse Comparison(long? constant)
        {
            if (constant is not { } value)
            {
                return new ResultParameterUse(tested: true, comparedWithCount: true, accounted: ResultClasses.None, escapes: false);
            }

            var accounted = ResultClasses.None;
            if (symbols.EINTR is { } eintr && value == -eintr)
            {
                accounted |= ResultClasses.Eintr;
            }

            if (symbols.EAGAIN is { } eagain && value == -eagain)
            {
                accounted |= ResultClasses.Eagain;
            }

            return new ResultParameterUse(tested: true, comparedWithCount: value > 0, accounted: accounted, escapes: false);
        }
    }

    private bool ComputeChecksSignals(IMethodSymbol method, SummaryScope scope)
    {
        if (Body(method, scope)?.Operation is not { } body)
        {
            return false;
        }

        foreach (var operation in body.Descendants())
        {
            switch (operation)
            {
                case IPropertyReferenceOperation property when symbols.IsSignalCheck(property.Property):
                    return true;
                case IInvocationOperation invocation when symbols.IsSignalCheck(invocation.TargetMethod):
                    return true;
                case IInvocationOperation invocation when ChecksSignals(invocation.TargetMethod, scope):
                    return true;
            }
        }

        return false;
    }

    /// <summary>Console, Debug and Trace output: passing a result there neither tests nor propagates it.</summary>
    public static bool IsLogging(IMethodSymbol method)
    {
        var type = method.ContainingType?.ToDisplayString();
        return type is "System.Console" or "System.Diagnostics.Debug" or "System.Diagnostics.Trace";
    }

    /// <summary>The body and graph of a readable helper, or null. Cached, including the "cannot read" answer.</summary>
    private BodyHolder? Body(IMethodSymbol method, SummaryScope scope)
    {
        if (!bodies.TryGetValue(method, out var holder))
        {
            holder = ReadBody(method, scope);
            bodies.TryAdd(method, holder);
        }

        return holder.Operation is null ? null : holder;
    }

    private BodyHolder ReadBody(IMethodSymbol method, SummaryScope scope)
    {
        var none = new BodyHolder(null, null);
        if (method.IsAbstract || method.IsExtern || method.IsVirtual || (method.IsOverride && !method.IsSealed)
            || method.ContainingType?.TypeKind == TypeKind.Interface
            || method.MethodKind is not (MethodKind.Ordinary or MethodKind.PropertyGet)
            || method.DeclaringSyntaxReferences.Length != 1)
        {
            return none;
        }

        var reference = method.DeclaringSyntaxReferences[0];
        if (!compilation.ContainsSyntaxTree(reference.SyntaxTree))
        {
            return none;
        }

        var syntax = reference.GetSyntax(scope.CancellationToken);
        if (syntax is not (MethodDeclarationSyntax or AccessorDeclarationSyntax or ArrowExpressionClauseSyntax))
        {
            return none;
        }

        var operation = SemanticModelFor(reference.SyntaxTree).GetOperation(syntax, scope.CancellationToken);
        if (operation is null || HasErrors(operation))
        {
            return none;
        }

        var graph = operation switch
        {
            IMethodBodyOperation body => ControlFlowGraph.Create(body, scope.CancellationToken),
            IBlockOperation { Parent: null } block => ControlFlowGraph.Create(block, scope.CancellationToken),
            _ => null,
        };

        return graph is null ? none : new BodyHolder(operation, graph);
    }

    /// <summary>Whether an operation tree has a binding error: such bodies are never summarized.</summary>
    public static bool HasErrors(IOperation operation)
    {
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            if (descendant is IInvalidOperation || descendant.Type is IErrorTypeSymbol)
            {
                return true;
            }
        }

        return false;
    }

#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
    // Summaries read helpers in other files on demand. The compilation the driver hands to analyzers carries a
    // caching semantic-model provider, so this reuses the driver's models rather than binding files again, and
    // each helper is read once per compilation (the result is cached above).
    private SemanticModel SemanticModelFor(SyntaxTree tree) => compilation.GetSemanticModel(tree);
#pragma warning restore RS1030

    private sealed class BodyHolder
    {
        public BodyHolder(IOperation? operation, ControlFlowGraph? graph)
        {
            Operation = operation;
            Graph = graph;
        }

        public IOperation? Operation { get; }

        public ControlFlowGraph? Graph { get; }
    }

    private sealed class ReturnCollector : FlowObserver<ConstantsState>
    {
        private readonly LocalConstantsAnalysis analysis;

        public ReturnCollector(LocalConstantsAnalysis analysis)
        {
            this.analysis = analysis;
        }

        public ConstantSet Returned { get; private set; } = ConstantSet.Bottom;

        public override void OnOperation(IOperation operation, ConstantsState before, BasicBlock block)
        {
            if (operation == block.BranchValue && block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return)
            {
                Returned = Returned.Join(analysis.Evaluate(operation, before));
            }
        }
    }

    private sealed class MethodOrdinalComparer : IEqualityComparer<(IMethodSymbol Method, int Ordinal)>
    {
        public bool Equals((IMethodSymbol Method, int Ordinal) x, (IMethodSymbol Method, int Ordinal) y) =>
            x.Ordinal == y.Ordinal && SymbolEqualityComparer.Default.Equals(x.Method, y.Method);

        public int GetHashCode((IMethodSymbol Method, int Ordinal) obj) =>
            (SymbolEqualityComparer.Default.GetHashCode(obj.Method) * 31) + obj.Ordinal;
    }
}
