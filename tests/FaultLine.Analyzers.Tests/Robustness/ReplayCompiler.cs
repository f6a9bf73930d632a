using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers.Tests.Samples;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace FaultLine.Analyzers.Tests.Robustness;

/// <summary>
/// Compiles robustness inputs cheaply and runs every FaultLine analyzer on them. The references (net10.0 reference
/// assemblies, as the verifiers use, plus FaultLine.Runtime) are bound once in an empty root compilation per option
/// set; every input compilation is derived from it with AddSyntaxTrees, which keeps the bound reference manager, so a
/// variant costs its parse and the binding the analyzers ask for, not a metadata load.
/// </summary>
public static class ReplayCompiler
{
    /// <summary>The global usings the SDK generates for the samples project (ImplicitUsings=enable).</summary>
    public const string ImplicitUsings =
        "global using global::System;\n" +
        "global using global::System.Collections.Generic;\n" +
        "global using global::System.IO;\n" +
        "global using global::System.Linq;\n" +
        "global using global::System.Net.Http;\n" +
        "global using global::System.Threading;\n" +
        "global using global::System.Threading.Tasks;\n";

    /// <summary>Rule tests: as the verifier builds them (default language version, documentation comments diagnosed).</summary>
    public static readonly CSharpParseOptions RuleTestParseOptions = new(LanguageVersion.Default, DocumentationMode.Diagnose);

    /// <summary>Samples: as SampleCompiler builds them.</summary>
    public static readonly CSharpParseOptions SampleParseOptions = SampleCompiler.ParseOptions;

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(() =>
    {
        var framework = ReferenceAssemblies.Net.Net100.ResolveAsync(LanguageNames.CSharp, CancellationToken.None).GetAwaiter().GetResult();
        return framework.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
    });

    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> LazyAnalyzers = new(() =>
    {
        var analyzers = PathologicalAnalysis.AllAnalyzers();
        if (analyzers.Length < 4)
        {
            throw new InvalidOperationException($"expected the four FaultLine analyzers, found {analyzers.Length}");
        }

        return analyzers;
    });

    private static readonly Lazy<CSharpCompilation> LazyRuleTestRoot = new(() => Bind(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true)));

    private static readonly Lazy<CSharpCompilation> LazySampleRoot = new(() => Bind(SampleCompiler.CompilationOptions));

    /// <summary>
    /// One full analysis of the largest sample, done once before any timed analysis: the first analysis in a process
    /// pays for JIT-compiling Roslyn's binder and the analyzers (over a second on a loaded 2-core machine), which is
    /// not the cost of analysing an input.
    /// </summary>
    private static readonly Lazy<bool> LazyWarmUp = new(() =>
    {
        var sample = HarvestedInputs.All.Where(i => i.IsSample).MaxBy(i => i.Files.Sum(f => f.Text.Length))!;
        var compilation = Root(sample).AddSyntaxTrees(ParseAll(sample));
        AnalyzeAllAsync(compilation, CancellationToken.None).GetAwaiter().GetResult();
        compilation.GetDiagnostics();
        return true;
    });

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static void WarmUp() => _ = LazyWarmUp.Value;

    public static ImmutableArray<DiagnosticAnalyzer> Analyzers => LazyAnalyzers.Value;

    /// <summary>Every FaultLine descriptor at its default severity, even if disabled by default; AD0001 an error.</summary>
    public static ImmutableDictionary<string, ReportDiagnostic> SpecificOptions =>
        Analyzers.SelectMany(a => a.SupportedDiagnostics)
            .GroupBy(d => d.Id)
            .ToImmutableDictionary(g => g.Key, g => ToReport(g.First().DefaultSeverity))
            .SetItem("AD0001", ReportDiagnostic.Error);

    public static CSharpParseOptions ParseOptions(ReplayInput input) =>
        input.IsSample ? SampleParseOptions : input.Preview ? RuleTestParseOptions.WithLanguageVersion(LanguageVersion.Preview) : RuleTestParseOptions;

    public static CSharpCompilationOptions CompilationOptions(ReplayInput input) => Root(input).Options;

    /// <summary>The empty compilation, references bound, that every compilation of <paramref name="input"/> starts from.</summary>
    public static CSharpCompilation Root(ReplayInput input) => input.IsSample ? LazySampleRoot.Value : LazyRuleTestRoot.Value;

    public static SyntaxTree Parse(ReplayInput input, int file, string text) =>
        CSharpSyntaxTree.ParseText(text, ParseOptions(input), path: input.Files[file].Path);

    /// <summary>The trees of every file of <paramref name="input"/> except <paramref name="except"/> (-1: all).</summary>
    public static ImmutableArray<SyntaxTree> ParseAll(ReplayInput input, int except = -1) =>
        Enumerable.Range(0, input.Files.Length).Where(i => i != except).Select(i => Parse(input, i, input.Files[i].Text)).ToImmutableArray();

    /// <summary>The outcome of running all analyzers over one tree: the diagnostics, the exceptions thrown, the wall time.</summary>
    public sealed record Analysis(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<string> Exceptions, TimeSpan Elapsed);

    /// <summary>
    /// Runs every analyzer over <paramref name="tree"/> in <paramref name="compilation"/> the way the IDE analyses
    /// the document being typed: its syntax and semantic analyzer diagnostics (symbol, operation, syntax-node and
    /// code-block actions of the members declared in it). Single-threaded inside: callers parallelise across variants.
    /// </summary>
    public static async Task<Analysis> AnalyzeTreeAsync(Compilation compilation, SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (compilation.SyntaxTrees.Count() == 1)
        {
            // The same diagnostics in one pass instead of two (measured: about 20% less time per variant).
            return await AnalyzeAllAsync(compilation, cancellationToken).ConfigureAwait(false);
        }

        var exceptions = new ConcurrentQueue<string>();
        var stopwatch = Stopwatch.StartNew();
        var withAnalyzers = compilation.WithAnalyzers(Analyzers, Options(exceptions));
        var syntax = await withAnalyzers.GetAnalyzerSyntaxDiagnosticsAsync(tree, cancellationToken).ConfigureAwait(false);
        var semantic = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), filterSpan: null, cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();
        return new Analysis(syntax.AddRange(semantic), exceptions.ToImmutableArray(), stopwatch.Elapsed);
    }

    /// <summary>Every analyzer over the whole compilation (all its trees).</summary>
    public static async Task<Analysis> AnalyzeAllAsync(Compilation compilation, CancellationToken cancellationToken)
    {
        var exceptions = new ConcurrentQueue<string>();
        var stopwatch = Stopwatch.StartNew();
        var diagnostics = await compilation.WithAnalyzers(Analyzers, Options(exceptions)).GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        stopwatch.Stop();
        return new Analysis(diagnostics, exceptions.ToImmutableArray(), stopwatch.Elapsed);
    }

    /// <summary>The exceptions and AD0001 diagnostics of an analysis, empty when no analyzer threw.</summary>
    public static IEnumerable<string> Failures(Analysis analysis) =>
        analysis.Exceptions.Concat(analysis.Diagnostics.Where(d => d.Id == "AD0001").Select(d => d.ToString()));

    private static readonly AnalyzerOptions NoAdditionalFiles = new(ImmutableArray<AdditionalText>.Empty);

    private static CompilationWithAnalyzersOptions Options(ConcurrentQueue<string> exceptions) =>
        new(
            NoAdditionalFiles,
            onAnalyzerException: (exception, analyzer, _) => exceptions.Enqueue($"{analyzer.GetType().Name}: {exception}"),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);

    private static CSharpCompilation Bind(CSharpCompilationOptions options)
    {
        var root = CSharpCompilation.Create(
            "Replay",
            Array.Empty<SyntaxTree>(),
            References,
            options.WithSpecificDiagnosticOptions(SpecificOptions));

        // Binding the references here, once, is what later AddSyntaxTrees calls reuse.
        if (root.GetTypeByMetadataName("FaultLine.Gup") is null)
        {
            throw new InvalidOperationException("FaultLine.Runtime is not referenced");
        }

        return root;
    }

    private static ReportDiagnostic ToReport(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => ReportDiagnostic.Error,
        DiagnosticSeverity.Warning => ReportDiagnostic.Warn,
        DiagnosticSeverity.Info => ReportDiagnostic.Info,
        _ => ReportDiagnostic.Hidden,
    };
}
