using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Demo;

/// <summary>
/// The second half of the demo: compile the buggy postcopy sample from the repository
/// (Samples/FaultLine.Samples/Postcopy/Buggy.cs with its helper Migration.cs) against the runtime, run
/// every FaultLine analyzer on it, and print what they report. Done at run time, so the output is what
/// the analyzers really say about the code the story just ran, not a canned text. The source is found
/// by walking up to Analyzers.sln from the demo's binaries (then from the working directory), so the
/// demo works wherever it is started from.
/// </summary>
internal static class AnalyzerReport
{
    private const string SampleDir = "Samples/FaultLine.Samples/Postcopy";
    private static readonly string[] SampleFiles = { "Buggy.cs", "Migration.cs" };

    /// <summary>The global usings the SDK generates for the samples project (ImplicitUsings=enable).</summary>
    private const string ImplicitUsings =
        "global using global::System;\n" +
        "global using global::System.Collections.Generic;\n" +
        "global using global::System.IO;\n" +
        "global using global::System.Linq;\n" +
        "global using global::System.Net.Http;\n" +
        "global using global::System.Threading;\n" +
        "global using global::System.Threading.Tasks;\n";

    /// <summary>What the analyzers said; <see cref="Ran"/> is false when they could not be run.</summary>
    internal sealed record Result(bool Ran, int AnalyzerCount, IReadOnlyList<Diagnostic> Diagnostics, string? Problem)
    {
        public bool Reported(string id) => Diagnostics.Any(d => d.Id == id);
    }

    /// <summary>
    /// Prints the FL diagnostics on the buggy sample of the repository at <paramref name="repoRoot"/>
    /// (null: find it). Never throws: problems are reported and skipped.
    /// </summary>
    public static Result Run(TextWriter output, string? repoRoot)
    {
        Result result;
        try
        {
            result = Analyze(repoRoot ?? FindRepoRoot());
        }
        catch (Exception ex)
        {
            result = new Result(false, 0, Array.Empty<Diagnostic>(), $"the analyzers could not be run ({ex.GetType().Name}: {ex.Message})");
        }

        if (!result.Ran)
        {
            output.WriteLine($"  not run: {result.Problem}");
            return result;
        }

        output.WriteLine($"  {result.AnalyzerCount} FaultLine analyzers on {SampleDir}/Buggy.cs (compiled with {SampleFiles[1]}):");
        if (result.Diagnostics.Count == 0)
        {
            output.WriteLine("  (no FaultLine diagnostics)");
        }

        foreach (var d in result.Diagnostics)
        {
            output.WriteLine($"  {SampleDir}/{Where(d)}: {d.Id} {d.Severity.ToString().ToLowerInvariant()}");
            output.WriteLine($"      {d.GetMessage()}");
        }

        if (result.Problem is not null)
        {
            output.WriteLine($"  note: {result.Problem}");
        }

        return result;
    }

    /// <summary>"file:line:column" of a diagnostic in the sample folder.</summary>
    public static string Where(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        return $"{Path.GetFileName(span.Path)}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}";
    }

    private static Result Analyze(string? root)
    {
        if (root is null)
        {
            return new Result(false, 0, Array.Empty<Diagnostic>(), $"no Analyzers.sln above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}, so the sample source cannot be found");
        }

        var dir = Path.Combine(root, SampleDir);
        var missing = SampleFiles.Where(f => !File.Exists(Path.Combine(dir, f))).ToArray();
        if (missing.Length > 0)
        {
            return new Result(false, 0, Array.Empty<Diagnostic>(), $"{string.Join(", ", missing.Select(f => $"{SampleDir}/{f}"))} not found under {root}");
        }

        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = SampleFiles
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(dir, f)), parse, path: Path.Combine(dir, f)))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, parse, path: "GlobalUsings.g.cs"));
        var compilation = CSharpCompilation.Create(
            "FaultLine.Samples.Postcopy",
            trees,
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        if (errors.Length > 0)
        {
            return new Result(false, 0, Array.Empty<Diagnostic>(), $"the sample does not compile here ({errors.Length} errors, first: {errors[0]})");
        }

        var analyzers = LoadAnalyzers();
        if (analyzers.IsEmpty)
        {
            return new Result(false, 0, Array.Empty<Diagnostic>(), "no analyzers found in FaultLine.Analyzers");
        }

        var crashes = new List<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (ex, analyzer, _) =>
            {
                lock (crashes)
                {
                    crashes.Add($"{analyzer.GetType().Name} threw {ex.GetType().Name}");
                }
            },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var diagnostics = compilation.WithAnalyzers(analyzers, options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None).GetAwaiter().GetResult()
            .Where(d => d.Id.StartsWith("FL", StringComparison.Ordinal))
            .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ToArray();
        var problem = crashes.Count == 0 ? null : $"analyzer exceptions: {string.Join("; ", crashes)}";
        return new Result(true, analyzers.Length, diagnostics, problem);
    }

    /// <summary>The repository holding the demo's binaries (bin/ sits inside it), else the one holding the working directory.</summary>
    private static string? FindRepoRoot() => FindRepoRootAbove(AppContext.BaseDirectory) ?? FindRepoRootAbove(Environment.CurrentDirectory);

    private static string? FindRepoRootAbove(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Analyzers.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>The shared framework the demo runs on (net10.0) and FaultLine.Runtime.</summary>
    private static IEnumerable<MetadataReference> References()
    {
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var tpa = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var path in tpa)
        {
            if (string.Equals(Path.GetDirectoryName(path), frameworkDir, StringComparison.Ordinal))
            {
                yield return MetadataReference.CreateFromFile(path);
            }
        }

        yield return MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location);
    }

    /// <summary>Every concrete DiagnosticAnalyzer in FaultLine.Analyzers, as a compiler host would load them.</summary>
    private static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers() =>
        Assembly.Load(new AssemblyName("FaultLine.Analyzers")).GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract
                && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null
                && t.GetConstructor(Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();
}
