using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow;

/// <summary>
/// The bound body of one code block and its control flow graph, built only for code blocks that passed a
/// family's syntax or symbol pre-filter.
/// </summary>
/// <remarks>
/// Why not operation-block actions: to hand an analyzer its operation blocks the driver binds every body of the
/// compilation into operations, before any pre-filter can say no; most bodies never touch the runtime. A code
/// block action gets syntax and a semantic model, so a body is bound only once a family wants it. The graph is
/// cached per bound root, so the four families share one graph per body as they did with the driver's cache
/// (the driver's semantic models cache the bound operations, so every family sees the same root).
/// </remarks>
internal sealed class BodyGraph
{
    /// <summary>Per bound root: its graph, or null when it has errors or is not a body (decided once for all families).</summary>
    private static readonly ConditionalWeakTable<IOperation, Built> Graphs = new();

    private BodyGraph(IOperation root, ControlFlowGraph graph, SemanticModel model)
    {
        Root = root;
        Graph = graph;
        Model = model;
    }

    /// <summary>The bound body: a method or constructor body, or a field or property initializer.</summary>
    public IOperation Root { get; }

    public ControlFlowGraph Graph { get; }

    public SemanticModel Model { get; }

    /// <summary>
    /// Binds <paramref name="codeBlock"/> (as a code block action gives it) and builds its graph; null when the
    /// block has no code or does not bind cleanly (half-typed code: wait until it binds rather than guess).
    /// </summary>
    public static BodyGraph? Create(SyntaxNode codeBlock, ISymbol owner, SemanticModel model, CancellationToken cancellationToken)
    {
        var root = Bind(codeBlock, owner, model, cancellationToken);
        if (root is null)
        {
            return null;
        }

        if (!Graphs.TryGetValue(root, out var built))
        {
            // The error walk and the graph are the same for every family, so they are done once per body.
            var graph = Summaries.MethodSummaries.HasErrors(root) ? null : Build(root, cancellationToken);

            // Two families racing here may both build; the first entry stored is the one every family uses.
            built = Graphs.GetValue(root, _ => new Built(graph));
        }

        return built.Graph is null ? null : new BodyGraph(root, built.Graph, model);
    }

    private sealed class Built
    {
        public Built(ControlFlowGraph? graph) => Graph = graph;

        public ControlFlowGraph? Graph { get; }
    }

    private static IOperation? Bind(SyntaxNode codeBlock, ISymbol owner, SemanticModel model, CancellationToken cancellationToken)
    {
        // Fields and properties come as their whole declaration; only the initializer of the owner is code.
        var initializer = codeBlock switch
        {
            BaseFieldDeclarationSyntax field => field.Declaration.Variables.FirstOrDefault(v => v.Identifier.ValueText == owner.Name)?.Initializer,
            PropertyDeclarationSyntax { Initializer: { } propertyInitializer } => propertyInitializer,
            PropertyDeclarationSyntax or EnumMemberDeclarationSyntax or ParameterSyntax => null,
            _ => (SyntaxNode)codeBlock,
        };

        return initializer is null ? null : model.GetOperation(initializer, cancellationToken);
    }

    private static ControlFlowGraph? Build(IOperation root, CancellationToken cancellationToken) => root switch
    {
        IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
        IConstructorBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
        IBlockOperation { Parent: null } block => ControlFlowGraph.Create(block, cancellationToken),
        IFieldInitializerOperation field => ControlFlowGraph.Create(field, cancellationToken),
        IPropertyInitializerOperation property => ControlFlowGraph.Create(property, cancellationToken),
        _ => null,
    };
}
