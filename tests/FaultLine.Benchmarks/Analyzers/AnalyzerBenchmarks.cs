using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Benchmarks.Analyzers;

/// <summary>
/// Analyzer cost against the compiler (issue 8, items 1-2), all as ratios within one run: bare compile
/// time of a generated ~50k-line project; FaultLine's analyzer time, total and per analyzer (the
/// driver's own execution-time telemetry); the same at 2N; a same-size project that does not reference
/// the runtime; and the latency of analysing one 2k-line document as the IDE does.
/// </summary>
internal static class AnalyzerBenchmarks
{
    private const int N = 50_000;

    public static IEnumerable<Result> Run()
    {
        var analyzers = LoadAnalyzers();
        var references = References.ForCorpus(withRuntime: true);
        var plainReferences = References.ForCorpus(withRuntime: false);

        // Warm-up: the first analyses run in tier-0 code while the JIT catches up, which once made 2N look cheaper
        // than N. A smaller project, analysed and thrown away, brings the analyzers and Roslyn to tier-1 first.
        MeasureProject(CodeCorpus.Generate(N / 5, useRuntime: true), references, analyzers);
        var atN = MeasureProject(CodeCorpus.Generate(N, useRuntime: true), references, analyzers);
        var at2N = MeasureProject(CodeCorpus.Generate(2 * N, useRuntime: true), references, analyzers);
        var plain = MeasureProject(CodeCorpus.Generate(N, useRuntime: false), plainReferences, analyzers);
        var document = DocumentLatency(references, analyzers);

        var ratio = atN.Telemetry / atN.Compile;
        yield return new Result($"bare compile, N = {N / 1000}k lines (one thread: bind + emit)", $"{atN.Compile.TotalMilliseconds:0} ms", "baseline", null);
        yield return new Result("FaultLine analyzers at N (sum of driver telemetry, one thread)", $"{atN.Telemetry.TotalMilliseconds:0} ms = {ratio:P1} of compile", "<= 10 %", ratio <= 0.10);
        foreach (var (name, time) in atN.PerAnalyzer)
        {
            yield return new Result($"  {name}", $"{time.TotalMilliseconds:0.0} ms", "", null);
        }

        var wallRatio = atN.Wall / atN.Compile;
        yield return new Result("wall time the analyzer pass adds at N (driver included)", $"{atN.Wall.TotalMilliseconds:0} ms = {wallRatio:P1} of compile", "informational", null);

        var scaling = at2N.Telemetry / atN.Telemetry;
        yield return new Result("FaultLine at 2N / at N", $"{scaling:0.00}", "<= 2.2", scaling <= 2.2);
        var plainRatio = plain.Telemetry / plain.Compile;
        yield return new Result("FaultLine on a same-size project without the runtime", $"{plain.Telemetry.TotalMilliseconds:0.0} ms = {plainRatio:P2} of its compile", "<= 1 %", plainRatio <= 0.01);
        yield return new Result("one 2k-line document, as the IDE analyses it", $"{document.TotalMilliseconds:0.0} ms", "<= 50 ms", document.TotalMilliseconds <= 50);

        foreach (var result in PathologicalScaling.Run(references, analyzers))
        {
            yield return result;
        }
    }

    /// <summary>One project's measurements: compile, summed analyzer telemetry, per analyzer, and the analyzer pass's wall time.</summary>
    internal sealed record ProjectTimes(TimeSpan Compile, TimeSpan Telemetry, IReadOnlyList<(string Name, TimeSpan Time)> PerAnalyzer, TimeSpan Wall);

    internal static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers() =>
        typeof(FaultLine.Analyzers.GupCallers.GupCallersAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
            .OrderBy(t => t.Name)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    internal static CSharpCompilation Compile(IReadOnlyList<(string Name, string Text)> files, IReadOnlyList<MetadataReference> references, bool concurrent = true)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(f.Text, parse, path: f.Name)).ToList();
        return CSharpCompilation.Create("Corpus", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Disable, concurrentBuild: concurrent));
    }

    /// <summary>
    /// Median bare compile and median FaultLine time, each on a fresh compilation. Both on one thread, so that the
    /// ratio compares like with like: the driver's telemetry sums the time of every analyzer action, which on two
    /// cores would otherwise be set against a compile that used both.
    /// </summary>
    internal static ProjectTimes MeasureProject(
        IReadOnlyList<(string Name, string Text)> files, IReadOnlyList<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var compile = Measure.Median(() =>
        {
            var compilation = Compile(files, references, concurrent: false);
            using var pe = new MemoryStream();
            var result = compilation.Emit(pe);
            if (!result.Success && result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS0246"))
            {
                throw new InvalidOperationException("the corpus does not compile: " + result.Diagnostics.First(d => d.Severity == DiagnosticSeverity.Error));
            }
        }, repetitions: 3);

        var samples = new List<(TimeSpan Total, IReadOnlyList<(string, TimeSpan)> Per, TimeSpan Wall)>();
        for (var i = 0; i < 4; i++)
        {
            // Bound first, as the compiler has bound everything by the time its analyzer pass ends; the wall time is
            // then what the analyzer pass adds (the driver's own work, such as binding operations, included).
            var compilation = Compile(files, references, concurrent: false);
            compilation.GetDiagnostics();
            var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null,
                concurrentAnalysis: false, logAnalyzerExecutionTime: true);
            var stopwatch = Stopwatch.StartNew();
            var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
            withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
            var wall = stopwatch.Elapsed;
            var per = analyzers.Select(a => (a.GetType().Name, withAnalyzers.GetAnalyzerTelemetryInfoAsync(a, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime)).ToList();
            if (i > 0)
            {
                samples.Add((per.Aggregate(TimeSpan.Zero, (s, p) => s + p.ExecutionTime), per, wall));
            }
        }

        samples.Sort((a, b) => a.Total.CompareTo(b.Total));
        var median = samples[samples.Count / 2];
        var walls = samples.Select(s => s.Wall).OrderBy(w => w).ToList();
        return new ProjectTimes(compile, median.Total, median.Per, walls[walls.Count / 2]);
    }

    /// <summary>GetAnalyzerSemanticDiagnosticsAsync for one 2k-line tree of an already-bound compilation, median.</summary>
    private static TimeSpan DocumentLatency(IReadOnlyList<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var files = CodeCorpus.Generate(N, useRuntime: true).ToList();
        files.Add(("Edited.cs", CodeCorpus.GenerateDocument(9999, 2000)));
        var compilation = Compile(files, references);
        compilation.GetDiagnostics();
        var tree = compilation.SyntaxTrees.Last();
        return Measure.Median(() =>
        {
            var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
                new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: true, logAnalyzerExecutionTime: false));
            withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), null, CancellationToken.None).GetAwaiter().GetResult();
        }, repetitions: 7);
    }
}

/// <summary>Reference assemblies for the corpus: the installed ref pack (or the running framework) and the runtime.</summary>
internal static class References
{
    public static IReadOnlyList<MetadataReference> ForCorpus(bool withRuntime)
    {
        var refs = FrameworkReferences().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        if (withRuntime)
        {
            refs.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
        }

        return refs;
    }

    private static IEnumerable<string> FrameworkReferences()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (Directory.Exists(packs))
        {
            var newest = Directory.GetDirectories(packs).OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version()).FirstOrDefault();
            var refDir = newest is null ? null : Directory.GetDirectories(Path.Combine(newest, "ref")).OrderByDescending(d => d).FirstOrDefault();
            if (refDir is not null)
            {
                return Directory.GetFiles(refDir, "*.dll");
            }
        }

        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Where(p => p.EndsWith(".dll", StringComparison.Ordinal));
    }
}
