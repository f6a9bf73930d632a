using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace FaultLine.Analyzers.Tests.Robustness;

/// <summary>
/// Issue 9 item 2: generated pathological inputs analysed with every FaultLine analyzer. Each input uses the
/// runtime API (GUP calls, wait loops around Sched.Schedule, a VmOperations.Fault handler, KSpinLock) inside the
/// pathological shape, so the analyzers get past their pre-filters and run their flow analyses on it.
/// The tests assert: the input compiles (so the compiler, not a size limit of Roslyn, is out of the picture),
/// no analyzer throws (no AD0001, nothing reported to onAnalyzerException), and the analysis finishes within a
/// generous time bound (presence only; linearity ratios belong in the benchmark project).
/// </summary>
public class PathologicalInputTests
{
    /// <summary>
    /// A hang detector, not a timing: far above the measured times (the 5,000-case switch, mostly the compiler's own
    /// binding, took 10-20 s alone and 73 s while the package tests built beside it on 2 cores). Speed is measured
    /// as ratios in the benchmark project.
    /// </summary>
    private static readonly TimeSpan TimeBound = TimeSpan.FromMinutes(4);

    private readonly ITestOutputHelper output;

    public PathologicalInputTests(ITestOutputHelper output) => this.output = output;

    /// <summary>
    /// 2,000 rather than the 5,000: Roslyn itself overflows first. Analyzers that ask for operations make the
    /// driver build the method's IOperation tree, and CSharpOperationFactory recurses once per nested <c>if</c>
    /// (measured: stack overflow at about 2,800 levels on a 1.5 MB thread-pool stack, before any FaultLine code
    /// runs). 2,000 keeps a margin; our walkers hold no per-level stack frames (explicit stacks).
    /// </summary>
    [Fact]
    public Task Two_thousand_nested_ifs() => RunAsync(nameof(Two_thousand_nested_ifs), Generators.NestedIfs(2000));

    /// <summary>
    /// 5,000 cases rather than 10,000: the compiler's own binding time grows faster than linearly with the number of
    /// switch sections (measured for a plain 10,000-case switch: 16-20 s in the compiler alone, 3 s for 3,000), which
    /// would use most of the CI budget on Roslyn; the analyzers' share at 10,000 cases was 2-4 s each.
    /// </summary>
    [Fact]
    public Task Five_thousand_case_switch() => RunAsync(nameof(Five_thousand_case_switch), Generators.BigSwitch(5000));

    [Fact]
    public Task Twenty_thousand_statement_method() => RunAsync(nameof(Twenty_thousand_statement_method), Generators.LongMethod(20000));

    /// <summary>
    /// Found a quadratic cost in our code (fixed): every nested graph's FlowContext walked all of its descendants in
    /// LocalWrites.CapturedAndWritten (26 s at this depth before, about 5 s with the per-graph cache).
    /// </summary>
    [Fact]
    public Task Thousand_nested_lambdas() => RunAsync(nameof(Thousand_nested_lambdas), Generators.NestedLambdas(1000));

    [Fact]
    public Task Two_hundred_helpers_calling_each_other_in_a_cycle() => RunAsync(nameof(Two_hundred_helpers_calling_each_other_in_a_cycle), Generators.HelperCycle(200));

    [Fact]
    public Task One_megabyte_file() => RunAsync(nameof(One_megabyte_file), Generators.BigFile(1024 * 1024));

    /// <summary>
    /// Not in the list: the input that found recursion proportional to expression depth in our code
    /// (the operation walk now in EvaluationOrder, GraphIndex, ConstantFolding; fixed). It passed at 60,000 terms in a throwaway process.
    /// </summary>
    [Fact]
    public Task Twenty_thousand_term_expression() => RunAsync(nameof(Twenty_thousand_term_expression), Generators.DeepExpression(20000));

    private async Task RunAsync(string name, string source)
    {
        var result = await PathologicalAnalysis.AnalyzeAsync(source, CancellationToken.None);
        output.WriteLine($"{name}: {source.Length} chars, {result.AnalyzerCount} analyzers, {result.Diagnostics.Length} diagnostics, {result.Elapsed.TotalMilliseconds:F0} ms");

        var compilerErrors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("FL", StringComparison.Ordinal)).ToList();
        Assert.True(compilerErrors.Count == 0, "generated input does not compile: " + string.Join("; ", compilerErrors.Take(5)));

        Assert.True(result.Exceptions.IsEmpty, "analyzer exceptions: " + string.Join("\n", result.Exceptions.Take(5)));
        var ad0001 = result.Diagnostics.Where(d => d.Id == "AD0001").ToList();
        Assert.True(ad0001.Count == 0, "AD0001: " + string.Join("\n", ad0001.Take(5)));

        Assert.True(result.Elapsed < TimeBound, $"{name} took {result.Elapsed.TotalSeconds:F1} s");
    }
}

/// <summary>Runs every DiagnosticAnalyzer of FaultLine.Analyzers over one source with CompilationWithAnalyzers.</summary>
public static class PathologicalAnalysis
{
    public sealed record Result(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<string> Exceptions, TimeSpan Elapsed, int AnalyzerCount);

    private static readonly Lazy<Task<ImmutableArray<MetadataReference>>> References = new(async () =>
    {
        var framework = await ReferenceAssemblies.Net.Net100.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        return framework.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
    });

    /// <summary>Every concrete analyzer type in the analyzer assembly, so a new family is covered without edits here.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> AllAnalyzers() =>
        typeof(FaultLine.Analyzers.GupCallers.GupCallersAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    public static async Task<Result> AnalyzeAsync(string source, CancellationToken cancellationToken)
    {
        var references = await References.Value;
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Pathological.cs", cancellationToken: cancellationToken);
        var compilation = CSharpCompilation.Create(
            "Pathological",
            new[] { tree },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var analyzers = AllAnalyzers();
        Assert.NotEmpty(analyzers);

        var exceptions = new ConcurrentQueue<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, _) => exceptions.Enqueue($"{analyzer.GetType().Name}: {exception}"),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);

        var stopwatch = Stopwatch.StartNew();
        var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
        var diagnostics = await withAnalyzers.GetAllDiagnosticsAsync(cancellationToken);
        stopwatch.Stop();
        return new Result(diagnostics, exceptions.ToImmutableArray(), stopwatch.Elapsed, analyzers.Length);
    }
}
