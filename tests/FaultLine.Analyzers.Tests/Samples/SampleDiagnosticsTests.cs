using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using Xunit.Abstractions;

namespace FaultLine.Analyzers.Tests.Samples;

/// <summary>
/// Issue 7, item 1: each buggy sample raises exactly the diagnostics its comments name, each fixed
/// sample raises none, and the code fixes turn the buggy sample into code that compiles and is silent.
/// The samples are read from Samples/FaultLine.Samples on disk, compiled with their shared helper file.
/// </summary>
public sealed class SampleDiagnosticsTests
{
    private const int MaxFixIterations = 20;

    private readonly ITestOutputHelper output;

    public SampleDiagnosticsTests(ITestOutputHelper output) => this.output = output;

    /// <summary>Scenario folder → the helper file compiled with both variants.</summary>
    private static readonly IReadOnlyDictionary<string, string> Helpers = new Dictionary<string, string>
    {
        ["Postcopy"] = "Migration.cs",
        ["DeviceBar"] = "VfioPciDevice.cs",
        ["UffdResolver"] = "LazyPagesDaemon.cs",
        ["ODirectPin"] = "RamDisk.cs",
        ["Doorbell"] = "MailboxDevice.cs",
    };

    /// <summary>
    /// The diagnostics each Buggy.cs is written to raise ("id file:line"), checked against the rules
    /// its XML docs and BUG comments name.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string[]> ExpectedBuggy = new Dictionary<string, string[]>
    {
        // Interruptible on GetUserPages, a form with no `locked` (SEMANTICS.md case 6).
        ["Postcopy"] = new[] { "FL1001 Buggy.cs:85" },

        // vfio-pci's BAR fault: unlock under RetryNowait, sleep on memory_lock, Retry without AllowRetry,
        // and the uninterruptible DownRead that could be killable (info).
        ["DeviceBar"] = new[] { "FL2001 Buggy.cs:45", "FL2002 Buggy.cs:47", "FL2004 Buggy.cs:44", "FL2005 Buggy.cs:45" },

        // "resolved?" tested before the state is set, then a single Schedule() trusted as the wakeup.
        ["UffdResolver"] = new[] { "FL3001 Buggy.cs:43", "FL3002 Buggy.cs:32" },

        // put_page on FOLL_PIN pages, the kpc2000 error label that leaks the pins, a short pin count used.
        ["ODirectPin"] = new[] { "FL1003 Buggy.cs:81", "FL4005 Buggy.cs:64", "FL4006 Buggy.cs:56" },

        // No finish_wait on the device-gone return, and an Interruptible loop with no signal check.
        ["Doorbell"] = new[] { "FL3004 Buggy.cs:73", "FL3005 Buggy.cs:58" },
    };

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var scenario in Helpers.Keys)
        {
            data.Add(scenario);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Buggy_RaisesExactlyTheIntendedDiagnostics(string scenario)
    {
        var actual = await AnalyzeVariantAsync(scenario, "Buggy.cs");
        var expected = ExpectedBuggy[scenario].OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Assert.True(
            expected.SequenceEqual(actual.Select(a => a.Short)),
            $"{scenario}/Buggy.cs\nexpected:\n  {string.Join("\n  ", expected)}\nactual:\n  {string.Join("\n  ", actual.Select(a => a.Long))}");
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Fixed_RaisesNoDiagnostics(string scenario)
    {
        var actual = await AnalyzeVariantAsync(scenario, "Fixed.cs");
        Assert.True(actual.Length == 0, $"{scenario}/Fixed.cs raises:\n  {string.Join("\n  ", actual.Select(a => a.Long))}");
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Buggy_WithAllCodeFixesApplied_CompilesAndHasNoFixableDiagnostic(string scenario)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            "FaultLine.Samples.Under.Test",
            "FaultLine.Samples.Under.Test",
            LanguageNames.CSharp,
            compilationOptions: SampleCompiler.CompilationOptions,
            parseOptions: SampleCompiler.ParseOptions,
            metadataReferences: SampleCompiler.References));
        var compiled = SampleCompiler.Compile(SampleCompiler.ReadSources(scenario, "Buggy.cs", Helpers[scenario]));
        foreach (var tree in compiled.SyntaxTrees)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), tree.FilePath, tree.GetText(), filePath: tree.FilePath);
        }

        var fixedIds = new HashSet<string>(StringComparer.Ordinal);
        var seenIds = new SortedSet<string>(StringComparer.Ordinal);
        var iterations = 0;
        for (; iterations < MaxFixIterations; iterations++)
        {
            var (diagnostics, _) = await AnalyzeProjectAsync(solution.GetProject(projectId)!);
            seenIds.UnionWith(diagnostics.Where(SampleCompiler.IsFaultLine).Select(d => d.Id));
            var next = await FirstFixAsync(solution, projectId, diagnostics);
            if (next is null)
            {
                break;
            }

            fixedIds.Add(next.Value.Id);
            solution = next.Value.Solution;
        }

        var (remaining, compilation) = await AnalyzeProjectAsync(solution.GetProject(projectId)!);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();
        Assert.True(errors.Length == 0, $"{scenario}: the fixed-up code does not compile:\n{string.Join("\n", errors)}\n\n{await DumpAsync(solution, projectId)}");
        Assert.True(iterations < MaxFixIterations, $"{scenario}: fixes did not reach a fixed point in {MaxFixIterations} iterations");
        seenIds.UnionWith(remaining.Where(SampleCompiler.IsFaultLine).Select(d => d.Id));
        output.WriteLine($"{scenario}: fixed {string.Join(", ", fixedIds.OrderBy(i => i, StringComparer.Ordinal))}; no fix offered: {string.Join(", ", seenIds.Except(fixedIds))}; after {iterations} fix(es) still reported: {string.Join(", ", remaining.Where(SampleCompiler.IsFaultLine).Select(SampleCompiler.Describe))}");

        var stillFixable = remaining
            .Where(d => SampleCompiler.IsFaultLine(d) && fixedIds.Contains(d.Id))
            .Select(SampleCompiler.DescribeLong)
            .ToArray();
        Assert.True(stillFixable.Length == 0, $"{scenario}: after the fixes, rules that had a fix still fire:\n{string.Join("\n", stillFixable)}");
        var offered = await FirstFixAsync(solution, projectId, remaining);
        Assert.True(offered is null, $"{scenario}: a fix is still offered for {offered?.Id}");
    }

    private static async Task<(string Short, string Long)[]> AnalyzeVariantAsync(string scenario, string variantFile)
    {
        var compilation = SampleCompiler.Compile(SampleCompiler.ReadSources(scenario, variantFile, Helpers[scenario]));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToArray();
        Assert.True(errors.Length == 0, $"{scenario}/{variantFile} does not compile:\n{string.Join("\n", errors)}");

        var exceptions = new List<string>();
        var diagnostics = await SampleCompiler.AnalyzeAsync(compilation, exceptions);
        Assert.True(exceptions.Count == 0, $"analyzer exceptions on {scenario}/{variantFile}:\n{string.Join("\n", exceptions)}");
        var ad0001 = diagnostics.Where(d => d.Id == "AD0001").Select(d => d.ToString()).ToArray();
        Assert.True(ad0001.Length == 0, string.Join("\n", ad0001));

        return diagnostics
            .Where(SampleCompiler.IsFaultLine)
            .Select(d => (Short: SampleCompiler.Describe(d), Long: SampleCompiler.DescribeLong(d)))
            .OrderBy(s => s.Short, StringComparer.Ordinal)
            .ToArray();
    }

    private static async Task<(ImmutableArray<Diagnostic> Diagnostics, Compilation Compilation)> AnalyzeProjectAsync(Project project)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var exceptions = new List<string>();
        var diagnostics = await SampleCompiler.AnalyzeAsync(compilation, exceptions);
        Assert.True(exceptions.Count == 0, $"analyzer exceptions:\n{string.Join("\n", exceptions)}");
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return (diagnostics, compilation);
    }

    /// <summary>
    /// The solution after applying the first fix any provider offers for any FL diagnostic (in source
    /// order), or null when no diagnostic has a fix that changes the solution.
    /// </summary>
    private static async Task<(string Id, Solution Solution)?> FirstFixAsync(Solution solution, ProjectId projectId, ImmutableArray<Diagnostic> diagnostics)
    {
        var project = solution.GetProject(projectId)!;
        var ordered = diagnostics
            .Where(d => SampleCompiler.IsFaultLine(d) && d.Location.IsInSource)
            .OrderBy(d => d.Location.SourceTree!.FilePath, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start);
        foreach (var diagnostic in ordered)
        {
            var document = project.Documents.FirstOrDefault(d => d.FilePath == diagnostic.Location.SourceTree!.FilePath);
            if (document is null)
            {
                continue;
            }

            foreach (var fixer in SampleCompiler.Fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var actions = new List<CodeAction>();
                var context = new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None);
                await fixer.RegisterCodeFixesAsync(context);
                foreach (var action in actions)
                {
                    var operations = await action.GetOperationsAsync(CancellationToken.None);
                    var apply = operations.OfType<ApplyChangesOperation>().FirstOrDefault();
                    if (apply is not null && apply.ChangedSolution != solution)
                    {
                        return (diagnostic.Id, apply.ChangedSolution);
                    }
                }
            }
        }

        return null;
    }

    private static async Task<string> DumpAsync(Solution solution, ProjectId projectId)
    {
        var doc = solution.GetProject(projectId)!.Documents.First(d => d.Name == "Buggy.cs");
        return (await doc.GetTextAsync()).ToString();
    }
}
