using System.Collections.Immutable;
using FaultLine.Analyzers.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Benchmarks.Analyzers;

/// <summary>
/// Issue 9 item 2's "time close to linear": each pathological shape of the robustness tests at size s and 2s,
/// FaultLine's analyzer time (telemetry, one thread) at 2s over s. Linear work doubles; a quadratic walk of ours
/// would give about 4.
/// </summary>
/// <remarks>
/// The telemetry includes what the analyzers ask Roslyn for: binding the bodies into operations and building their
/// control flow graphs (whichever family asks first is charged). Roslyn's graph builder is itself super-linear on
/// very long bodies (about 21 → 78 → 420 ms for 5k, 10k, 20k plain <c>x += i;</c> statements, no FaultLine code),
/// so the bound is 2.6 or a quarter above Roslyn's own ratio for that work on the same sources, whichever is
/// larger: FaultLine must scale no worse than the compiler it runs in. Roslyn's ratio is shown beside ours.
/// </remarks>
internal static class PathologicalScaling
{
    private const double Bound = 2.6;

    private static readonly (string Name, Func<int, string> Generate, int Size)[] Shapes =
    {
        ("nested ifs", Generators.NestedIfs, 500),
        ("switch cases", Generators.BigSwitch, 1000),
        ("statements in one method", Generators.LongMethod, 5000),
        ("nested lambdas", Generators.NestedLambdas, 250),
        ("helpers in a call cycle", Generators.HelperCycle, 100),
        ("bytes of one file", Generators.BigFile, 256 * 1024),
        ("terms in one expression", Generators.DeepExpression, 5000),
    };

    public static IEnumerable<FaultLine.Benchmarks.Result> Run(IReadOnlyList<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        foreach (var (name, generate, size) in Shapes)
        {
            var (smallSource, largeSource) = (generate(size), generate(2 * size));
            var small = AnalyzerTimes(smallSource, references, analyzers);
            var large = AnalyzerTimes(largeSource, references, analyzers);
            var (roslynSmall, roslynLarge) = (RoslynTime(smallSource, references), RoslynTime(largeSource, references));
            var ratio = Total(large) / Total(small);
            var roslynRatio = roslynLarge / roslynSmall;
            var bound = Math.Max(Bound, 1.25 * roslynRatio);
            yield return new FaultLine.Benchmarks.Result(
                $"pathological: {2 * size:N0} / {size:N0} {name}",
                $"{ratio:0.00} ({Total(small).TotalMilliseconds:0} ms → {Total(large).TotalMilliseconds:0} ms; Roslyn's bind + graphs alone {roslynRatio:0.00})",
                $"<= {bound:0.00}",
                ratio <= bound);
        }
    }

    /// <summary>
    /// Binding every method body into operations and building its graph, alone, on a fresh bound compilation (the
    /// median of three): what the analyzers ask Roslyn for on these sources.
    /// </summary>
    private static TimeSpan RoslynTime(string source, IReadOnlyList<MetadataReference> references)
    {
        var samples = new List<TimeSpan>();
        for (var i = 0; i < 4; i++)
        {
            var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest));
            var compilation = CSharpCompilation.Create("Pathological", new[] { tree }, references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, concurrentBuild: false));
            compilation.GetDiagnostics();
            var model = compilation.GetSemanticModel(tree);
            var stopwatch = System.Diagnostics.Stopwatch.StartNew();
            foreach (var method in tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax>())
            {
                if (model.GetOperation(method) is Microsoft.CodeAnalysis.Operations.IMethodBodyOperation body)
                {
                    Microsoft.CodeAnalysis.FlowAnalysis.ControlFlowGraph.Create(body);
                }
            }

            if (i > 0)
            {
                samples.Add(stopwatch.Elapsed);
            }
        }

        samples.Sort();
        return samples[samples.Count / 2];
    }

    private static TimeSpan Total(IReadOnlyDictionary<DiagnosticAnalyzer, TimeSpan> times) =>
        times.Values.Aggregate(TimeSpan.Zero, (sum, t) => sum + t);

    /// <summary>Each analyzer's telemetry on a fresh, already bound compilation; the run with the median total of three.</summary>
    private static IReadOnlyDictionary<DiagnosticAnalyzer, TimeSpan> AnalyzerTimes(string source, IReadOnlyList<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var samples = new List<Dictionary<DiagnosticAnalyzer, TimeSpan>>();
        for (var i = 0; i < 4; i++)
        {
            var compilation = CSharpCompilation.Create("Pathological",
                new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest)) },
                references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, concurrentBuild: false));
            compilation.GetDiagnostics();
            var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
            withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
            var times = analyzers.ToDictionary(a => a, a => withAnalyzers.GetAnalyzerTelemetryInfoAsync(a, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime);
            if (i > 0)
            {
                samples.Add(times);
            }
        }

        samples.Sort((a, b) => Total(a).CompareTo(Total(b)));
        return samples[samples.Count / 2];
    }
}
