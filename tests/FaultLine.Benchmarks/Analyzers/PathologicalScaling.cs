using System.Collections.Immutable;
using FaultLine.Analyzers.Tests.Robustness;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Benchmarks.Analyzers;

/// <summary>
/// Issue 9 item 2's "time close to linear": each pathological shape of the robustness tests at size s and 2s,
/// FaultLine's analyzer time (telemetry, one thread) at 2s over s. Linear work doubles; the bound allows noise and
/// the compiler's own super-linear corners, not a quadratic walk of ours (which would give about 4).
/// </summary>
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
            var small = AnalyzerTimes(generate(size), references, analyzers);
            var large = AnalyzerTimes(generate(2 * size), references, analyzers);
            var ratio = Total(large) / Total(small);

            // The analyzer whose time grows fastest, so that a missed ratio says where to look.
            var steepest = analyzers
                .Select(a => (Name: a.GetType().Name, Growth: large[a].TotalMilliseconds / Math.Max(small[a].TotalMilliseconds, 0.01), Large: large[a]))
                .Where(a => a.Large.TotalMilliseconds >= 1)
                .OrderByDescending(a => a.Growth)
                .FirstOrDefault();
            yield return new FaultLine.Benchmarks.Result(
                $"pathological: {2 * size:N0} / {size:N0} {name}",
                $"{ratio:0.00} ({Total(small).TotalMilliseconds:0} ms → {Total(large).TotalMilliseconds:0} ms; steepest {steepest.Name} {steepest.Growth:0.0}×)",
                $"<= {Bound}",
                ratio <= Bound);
        }
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
