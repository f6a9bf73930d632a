using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace FaultLine.Benchmarks.Analyzers;

/// <summary>
/// Where analyzer time goes, for whoever tunes the analyzers (`-- analyzers-profile`): on one thread,
/// the bare compile, the operation trees and control flow graphs the driver builds for us, and each
/// analyzer alone. Not a target table: a breakdown to read next to it.
/// </summary>
internal static class AnalyzerProfile
{
    private const int N = 50_000;

    /// <summary>Runs the four analyzers again and again on one bound compilation, for a sampling profiler.</summary>
    public static void Hot(int rounds)
    {
        var analyzers = AnalyzerBenchmarks.LoadAnalyzers();
        var compilation = AnalyzerBenchmarks.Compile(CodeCorpus.Generate(N, useRuntime: true), References.ForCorpus(withRuntime: true), concurrent: false);
        compilation.GetDiagnostics();
        for (var i = 0; i < rounds; i++)
        {
            var sw = Stopwatch.StartNew();
            compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: false))
                .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
            Console.WriteLine($"round {i}: {sw.ElapsedMilliseconds} ms");
        }
    }

    public static void Run()
    {
        var analyzers = AnalyzerBenchmarks.LoadAnalyzers();
        var references = References.ForCorpus(withRuntime: true);
        var files = CodeCorpus.Generate(N, useRuntime: true);

        var compile = Measure.Median(() => Emit(AnalyzerBenchmarks.Compile(files, references, concurrent: false)), repetitions: 3);
        Console.WriteLine($"bare compile (one thread, bind + emit): {compile.TotalMilliseconds:0} ms");

        var bound = AnalyzerBenchmarks.Compile(files, references, concurrent: false);
        bound.GetDiagnostics();
        var bodies = bound.SyntaxTrees.SelectMany(t => t.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>()
            .Select(m => (Tree: t, Body: (SyntaxNode?)m.Body ?? m.ExpressionBody))).Where(b => b.Body is not null).ToList();
        var operations = InnerMedian(() =>
        {
            var fresh = AnalyzerBenchmarks.Compile(files, references, concurrent: false);
            fresh.GetDiagnostics();
            var sw = Stopwatch.StartNew();
            foreach (var tree in fresh.SyntaxTrees)
            {
                var model = fresh.GetSemanticModel(tree);
                foreach (var method in tree.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>())
                {
                    var body = (SyntaxNode?)method.Body ?? method.ExpressionBody;
                    if (body is not null)
                    {
                        var operation = model.GetOperation(method);
                        if (operation is Microsoft.CodeAnalysis.Operations.IMethodBodyOperation methodBody)
                        {
                            ControlFlowGraph.Create(methodBody);
                        }
                    }
                }
            }

            return sw.Elapsed;
        });
        Console.WriteLine($"operation tree + CFG of every method ({bodies.Count}): {operations.TotalMilliseconds:0} ms (includes a re-bind of every body)");

        // The same for the methods FaultLine's pre-filters let through: the floor of any per-method flow analysis.
        var names = new HashSet<string>(StringComparer.Ordinal)
        {
            "GetUserPages", "GetUserPagesLocked", "GetUserPagesUnlocked", "GetUserPagesFast", "PinUserPages", "PinUserPagesLocked",
            "PinUserPagesUnlocked", "PinUserPagesFast", "HandleMmFault", "MmapReadLock", "MmapReadUnlock", "Schedule", "PrepareToWait",
            "EventInterruptible", "Unlock", "LockKillable", "TryLock",
        };
        bool Interesting(SyntaxNode method) => method.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i => i.Expression switch
        {
            MemberAccessExpressionSyntax m => names.Contains(m.Name.Identifier.ValueText),
            SimpleNameSyntax n => names.Contains(n.Identifier.ValueText),
            _ => false,
        });
        var interesting = 0;
        foreach (var withGraph in new[] { false, true })
        {
            var time = InnerMedian(() =>
            {
                var fresh = AnalyzerBenchmarks.Compile(files, references, concurrent: false);
                fresh.GetDiagnostics();
                var sw = Stopwatch.StartNew();
                interesting = 0;
                foreach (var tree in fresh.SyntaxTrees)
                {
                    var model = fresh.GetSemanticModel(tree);
                    foreach (var method in tree.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>().Where(Interesting))
                    {
                        interesting++;
                        var operation = model.GetOperation(method);
                        if (withGraph && operation is Microsoft.CodeAnalysis.Operations.IMethodBodyOperation methodBody)
                        {
                            ControlFlowGraph.Create(methodBody);
                        }
                    }
                }

                return sw.Elapsed;
            });
            Console.WriteLine($"operation tree{(withGraph ? " + CFG" : "")} of the {interesting} pre-filtered methods: {time.TotalMilliseconds:0} ms");
        }

        foreach (var analyzer in analyzers.Append(null))
        {
            var set = analyzer is null ? analyzers : ImmutableArray.Create(analyzer);
            var telemetry = TimeSpan.Zero;
            var wall = InnerMedian(() =>
            {
                var compilation = AnalyzerBenchmarks.Compile(files, references, concurrent: false);
                compilation.GetDiagnostics();
                var sw = Stopwatch.StartNew();
                var withAnalyzers = compilation.WithAnalyzers(set, new CompilationWithAnalyzersOptions(
                    new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
                withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
                var elapsed = sw.Elapsed;
                telemetry = set.Aggregate(TimeSpan.Zero, (sum, a) => sum + withAnalyzers.GetAnalyzerTelemetryInfoAsync(a, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime);
                return elapsed;
            });
            Console.WriteLine($"{(analyzer is null ? "all four" : analyzer.GetType().Name)}: wall {wall.TotalMilliseconds:0} ms after binding, telemetry {telemetry.TotalMilliseconds:0} ms");
        }
    }

    /// <summary>The median of three timings the action takes itself (its set-up excluded), after a warm-up.</summary>
    private static TimeSpan InnerMedian(Func<TimeSpan> timed)
    {
        timed();
        var samples = new[] { timed(), timed(), timed() };
        Array.Sort(samples);
        return samples[1];
    }

    private static void Emit(CSharpCompilation compilation)
    {
        using var pe = new MemoryStream();
        compilation.Emit(pe);
    }
}
