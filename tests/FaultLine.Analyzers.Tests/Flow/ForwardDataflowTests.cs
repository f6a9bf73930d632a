using System;
using System.Linq;
using System.Threading;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace FaultLine.Analyzers.Tests.Flow;

/// <summary>The solver on real graphs: fixed points through loops, joins at merges, branch-sensitive splits.</summary>
public class ForwardDataflowTests
{
    [Fact]
    public void Flags_built_in_nested_loops_reach_a_fixed_point()
    {
        var values = FlagsAtGupCall("""
            long M(MmStruct mm, Page[] pages, int n)
            {
                var flags = FollFlags.Write;
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        if (j == i)
                            flags |= FollFlags.Interruptible;
                        else
                            flags &= ~FollFlags.Interruptible;
                    }
                }
                return Gup.GetUserPagesUnlocked(mm, 0, 1, flags, pages);
            }
            """, out var converged);

        Assert.True(converged);
        Assert.Equal(new long[] { 1, 1 | (1 << 11) }, values.Values);
    }

    [Fact]
    public void A_parameter_is_unknown_until_the_body_assigns_it()
    {
        var values = FlagsAtGupCall("""
            long M(MmStruct mm, Page[] pages, FollFlags flags, bool reset)
            {
                if (reset)
                    flags = FollFlags.Write;
                return Gup.GetUserPagesUnlocked(mm, 0, 1, flags, pages);
            }
            """, out var converged);

        Assert.True(converged);
        Assert.True(values.IsTop);
    }

    [Fact]
    public void The_locked_local_is_true_again_after_relocking_on_every_path()
    {
        var value = LockedAtSecondCall("""
            long M(MmStruct mm, Page[] pages)
            {
                bool locked = true;
                mm.MmapReadLock();
                long a = Gup.GetUserPagesLocked(mm, 0, 1, FollFlags.Write, pages, ref locked);
                if (!locked)
                {
                    mm.MmapReadLock();
                    locked = true;
                }
                long b = Gup.GetUserPagesLocked(mm, 4096, 1, FollFlags.Write, pages, ref locked);
                if (locked)
                    mm.MmapReadUnlock();
                return a + b;
            }
            """);

        Assert.Equal(BoolValue.True, value);
    }

    [Fact]
    public void The_locked_local_may_be_cleared_when_nothing_tests_it()
    {
        var value = LockedAtSecondCall("""
            long M(MmStruct mm, Page[] pages)
            {
                bool locked = true;
                mm.MmapReadLock();
                long a = Gup.GetUserPagesLocked(mm, 0, 1, FollFlags.Write, pages, ref locked);
                long b = Gup.GetUserPagesLocked(mm, 4096, 1, FollFlags.Write, pages, ref locked);
                if (locked)
                    mm.MmapReadUnlock();
                return a + b;
            }
            """);

        Assert.Equal(BoolValue.True | BoolValue.ClearedByCallee, value);
    }

    private static ConstantSet FlagsAtGupCall(string method, out bool converged)
    {
        var (context, graph) = Build(method);
        var analysis = new LocalConstantsAnalysis(context);
        var result = ForwardDataflow.Run(graph, analysis, CancellationToken.None);
        converged = result.Converged;
        var observer = new FlagsObserver(analysis);
        result.Replay(observer);
        return observer.Flags ?? throw new InvalidOperationException("no GUP call");
    }

    private static BoolValue? LockedAtSecondCall(string method)
    {
        var (context, graph) = Build(method);
        var locked = graph.OriginalOperation.Descendants().OfType<ILocalReferenceOperation>().First(l => l.Local.Name == "locked").Local;
        var analysis = new BoolLocalsAnalysis(
            context,
            System.Collections.Immutable.ImmutableHashSet.Create<ILocalSymbol>(SymbolEqualityComparer.Default, locked),
            (invocation, argument) => invocation.TargetMethod.Name == "GetUserPagesLocked" && argument.Parameter?.Name == "locked");
        var result = ForwardDataflow.Run(graph, analysis, CancellationToken.None);
        Assert.True(result.Converged);
        var observer = new LockedObserver(locked);
        result.Replay(observer);
        return observer.AtSecondCall;
    }

    private static (FlowContext Context, ControlFlowGraph Graph) Build(string method)
    {
        var source = "using FaultLine;\nclass C\n{\n" + method + "\n}\n";
        var tree = CSharpSyntaxTree.ParseText(source);
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(System.IO.Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.Ordinal) && !path.Contains("FaultLine", StringComparison.Ordinal))
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
        var compilation = CSharpCompilation.Create("Flow", new[] { tree }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var model = compilation.GetSemanticModel(tree);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single();
        var body = (IMethodBodyOperation)model.GetOperation(declaration)!;
        var graph = ControlFlowGraph.Create(body);
        var symbols = KnownSymbols.Create(compilation)!;
        var context = new FlowContext(graph, model.GetDeclaredSymbol(declaration), symbols, new MethodSummaries(compilation, symbols), new SummaryScope(CancellationToken.None));
        return (context, graph);
    }

    private sealed class FlagsObserver : FlowObserver<ConstantsState>
    {
        private readonly LocalConstantsAnalysis analysis;

        public FlagsObserver(LocalConstantsAnalysis analysis) => this.analysis = analysis;

        public ConstantSet? Flags { get; private set; }

        public override void OnOperation(IOperation operation, ConstantsState before, BasicBlock block)
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "GetUserPagesUnlocked" } call)
            {
                Flags = analysis.Evaluate(call.Arguments.Single(a => a.Parameter?.Name == "gupFlags").Value, before);
            }
        }
    }

    private sealed class LockedObserver : FlowObserver<BoolLocalsState>
    {
        private readonly ILocalSymbol locked;
        private int calls;

        public LockedObserver(ILocalSymbol locked) => this.locked = locked;

        public BoolValue? AtSecondCall { get; private set; }

        public override void OnOperation(IOperation operation, BoolLocalsState before, BasicBlock block)
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "GetUserPagesLocked" } && ++calls == 2)
            {
                AtSecondCall = before.ValueOf(locked);
            }
        }
    }
}
