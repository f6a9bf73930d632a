using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Analyzers.Tests.Samples;

/// <summary>
/// Compiles the sample scenarios in Samples/FaultLine.Samples straight from disk, the way the samples
/// project builds them (net10.0, implicit usings, nullable), against FaultLine.Runtime, and runs every
/// FaultLine analyzer and code fix on them. The sample code is never copied into the tests: what is
/// asserted is what is in the repository.
/// </summary>
internal static class SampleCompiler
{
    /// <summary>The global usings the SDK generates for ImplicitUsings=enable in a plain (non-web) project.</summary>
    private const string ImplicitUsings =
        "global using global::System;\n" +
        "global using global::System.Collections.Generic;\n" +
        "global using global::System.IO;\n" +
        "global using global::System.Linq;\n" +
        "global using global::System.Net.Http;\n" +
        "global using global::System.Threading;\n" +
        "global using global::System.Threading.Tasks;\n";

    public const string ImplicitUsingsFileName = "GlobalUsings.g.cs";

    private static readonly Lazy<string> LazyRepoRoot = new(FindRepoRoot);
    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);
    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> LazyAnalyzers = new(LoadAnalyzers);
    private static readonly Lazy<ImmutableArray<CodeFixProvider>> LazyFixers = new(LoadFixers);

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static readonly CSharpCompilationOptions CompilationOptions =
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    /// <summary>The directory holding Analyzers.sln, found by walking up from the test binaries.</summary>
    public static string RepoRoot => LazyRepoRoot.Value;

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>Every concrete DiagnosticAnalyzer in FaultLine.Analyzers.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers => LazyAnalyzers.Value;

    /// <summary>Every concrete CodeFixProvider in FaultLine.CodeFixes.</summary>
    public static ImmutableArray<CodeFixProvider> Fixers => LazyFixers.Value;

    public static string ScenarioDirectory(string scenario) =>
        Path.Combine(RepoRoot, "Samples", "FaultLine.Samples", scenario);

    /// <summary>(file name, text) of the variant file and the scenario's shared helper file.</summary>
    public static IReadOnlyList<(string Name, string Text)> ReadSources(string scenario, string variantFile, string helperFile)
    {
        var dir = ScenarioDirectory(scenario);
        return new[]
        {
            (variantFile, File.ReadAllText(Path.Combine(dir, variantFile))),
            (helperFile, File.ReadAllText(Path.Combine(dir, helperFile))),
        };
    }

    public static CSharpCompilation Compile(IEnumerable<(string Name, string Text)> sources)
    {
        var trees = sources
            .Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, path: s.Name))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, path: ImplicitUsingsFileName))
            .ToArray();
        return CSharpCompilation.Create("FaultLine.Samples.Under.Test", trees, References, CompilationOptions);
    }

    /// <summary>
    /// Runs all FaultLine analyzers on <paramref name="compilation"/>. Analyzer exceptions are collected
    /// into <paramref name="exceptions"/> (they also surface as AD0001 in the returned diagnostics).
    /// </summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation, List<string> exceptions)
    {
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (ex, analyzer, diagnostic) =>
            {
                lock (exceptions)
                {
                    exceptions.Add($"{analyzer.GetType().Name}: {ex.GetType().Name}: {ex.Message}");
                }
            },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var withAnalyzers = compilation.WithAnalyzers(Analyzers, options);
        return await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>"FL1001 Buggy.cs:84" for a diagnostic: the id and the 1-based line in its file.</summary>
    public static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        var file = Path.GetFileName(span.Path);
        return $"{diagnostic.Id} {file}:{span.StartLinePosition.Line + 1}";
    }

    public static string DescribeLong(Diagnostic diagnostic) =>
        $"{Describe(diagnostic)}:{diagnostic.Location.GetLineSpan().StartLinePosition.Character + 1} {diagnostic.Severity}: {diagnostic.GetMessage()}";

    public static bool IsFaultLine(Diagnostic diagnostic) => diagnostic.Id.StartsWith("FL", StringComparison.Ordinal);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Analyzers.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Analyzers.sln above {AppContext.BaseDirectory}: cannot find the samples.");
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The shared framework the tests run on (Microsoft.NETCore.App, net10.0), taken from the trusted
        // platform assemblies that live next to System.Private.CoreLib, plus FaultLine.Runtime.
        var frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var tpa = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (var path in tpa)
        {
            if (string.Equals(Path.GetDirectoryName(path), frameworkDir, StringComparison.Ordinal))
            {
                builder.Add(MetadataReference.CreateFromFile(path));
            }
        }

        builder.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
        return builder.ToImmutable();
    }

    private static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers() =>
        Instantiate<DiagnosticAnalyzer>(typeof(FaultLine.Analyzers.Descriptors).Assembly);

    private static ImmutableArray<CodeFixProvider> LoadFixers() =>
        Instantiate<CodeFixProvider>(typeof(FaultLine.CodeFixes.Common.SequentialFixProvider).Assembly);

    private static ImmutableArray<T> Instantiate<T>(Assembly assembly)
        where T : class =>
        assembly.GetTypes()
            .Where(t => typeof(T).IsAssignableFrom(t) && !t.IsAbstract && !t.IsGenericTypeDefinition
                && t.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (T)Activator.CreateInstance(t, nonPublic: true)!)
            .ToImmutableArray();
}
