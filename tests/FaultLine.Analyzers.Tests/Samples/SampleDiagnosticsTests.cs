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
/// Issue 7, items 1 and 5: each buggy sample raises exactly the diagnostics its comments name (and, for the
/// scenarios in <see cref="ExactBuggy"/>, on exactly the text they name, with the message they should have), each
/// fixed sample raises none, and applying every offered code fix to the buggy sample, one at a time to a fixed
/// point, gives code that compiles and raises no FL diagnostic at all (<see cref="ExpectedAfterFixes"/> names the
/// only ones allowed to stay, and they must stay). The samples are read from Samples/FaultLine.Samples on disk,
/// compiled with their shared helper file: nothing here is a copy of them.
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

    /// <summary>
    /// What the fixes cannot settle without guessing the author's intent: FL diagnostics that must still be there
    /// after every offered fix was applied ("id file:line" in the fixed-up file). Every other scenario must end silent.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string[]> ExpectedAfterFixes = new Dictionary<string, string[]>
    {
        // None today: every buggy scenario is silent once its fixes are applied. A scenario named here must keep
        // exactly the diagnostics listed.
    };

    /// <summary>
    /// Where each diagnostic of the sleep/wakeup and pin scenarios sits, to the character, and what it says: the
    /// text its span covers on its 1-based line, the same for each additional location, and the whole message.
    /// </summary>
    private static readonly IReadOnlyDictionary<string, ExactDiagnostic[]> ExactBuggy = new Dictionary<string, ExactDiagnostic[]>
    {
        ["Doorbell"] = new[]
        {
            new ExactDiagnostic(
                "FL3004", 73, "Sched.Schedule()", Array.Empty<(int, string)>(),
                "This TaskState.Interruptible wait loop never checks for a pending signal: with such a signal pending 'Sched.Schedule()' returns at once and the loop spins; leave it with -ERESTARTSYS"),
            new ExactDiagnostic(
                "FL3005", 58, "Wait.PrepareToWait(cmdWq, wait, TaskState.Interruptible)", Array.Empty<(int, string)>(),
                "'Wait.PrepareToWait' is not undone on the way out through the return at line 69: call Wait.FinishWait(cmdWq, wait) on every way out, or in a finally"),
        },
        ["ODirectPin"] = new[]
        {
            new ExactDiagnostic(
                "FL1003", 81, "Gup.PinUserPagesFast(userBuffer, nrPages, FollFlags.None, pages)", new[] { (91, "pages[i]") },
                "The result of 'PinUserPagesFast' is not compared with the requested count before 'pages' is used: fewer pages than requested may have been taken"),
            new ExactDiagnostic(
                "FL4005", 64, "return rv;", Array.Empty<(int, string)>(),
                "The pinned pages in 'pages' taken by 'PinUserPagesFast' are not released on this path, and 'rv', a count of pages taken, is returned"),
            new ExactDiagnostic(
                "FL4006", 56, "Gup.PutPage(pages[i])", Array.Empty<(int, string)>(),
                "The pages in 'pages' were taken by 'PinUserPagesFast' and must be released with 'UnpinUserPage', not 'PutPage'"),
        },
        ["UffdResolver"] = new[]
        {
            new ExactDiagnostic(
                "FL3001", 43, "Sched.Schedule()", Array.Empty<(int, string)>(),
                "After 'Schedule()' returns nothing tests the wake condition again: a spurious, signal or early wakeup is taken for the condition being true; sleep in a loop that rechecks it (or use Wait.Event*), or return VmFaultResult.Retry so the fault is retried"),
            new ExactDiagnostic(
                "FL3002", 32, "daemon.IsResolved(address)", new[] { (41, "Wait.PrepareToWait(daemon.ResolvedWq, wait, TaskState.Killable)") },
                "'daemon.IsResolved(address)' is tested before 'Wait.PrepareToWait' sets the task state and is not tested again before 'Schedule()': a wakeup that comes in between is lost; set the state first, then test"),
        },
    };

    public static TheoryData<string> ExactScenarios()
    {
        var data = new TheoryData<string>();
        foreach (var scenario in ExactBuggy.Keys)
        {
            data.Add(scenario);
        }

        return data;
    }

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
    [MemberData(nameof(ExactScenarios))]
    public async Task Buggy_DiagnosticsSitExactlyOnWhatTheSampleMeans(string scenario)
    {
        var compilation = SampleCompiler.Compile(SampleCompiler.ReadSources(scenario, "Buggy.cs", Helpers[scenario]));
        var exceptions = new List<string>();
        var actual = (await SampleCompiler.AnalyzeAsync(compilation, exceptions))
            .Where(SampleCompiler.IsFaultLine)
            .OrderBy(d => d.Id, StringComparer.Ordinal)
            .ThenBy(d => d.Location.SourceSpan.Start)
            .ToArray();
        Assert.Empty(exceptions);
        var buggy = compilation.SyntaxTrees.Single(t => t.FilePath == "Buggy.cs").GetText();
        var expected = ExactBuggy[scenario];
        Assert.True(
            expected.Length == actual.Length,
            $"{scenario}/Buggy.cs: expected {expected.Length} diagnostics, got:\n  {string.Join("\n  ", actual.Select(SampleCompiler.DescribeLong))}");
        for (var i = 0; i < expected.Length; i++)
        {
            var want = expected[i];
            var got = actual[i];
            Assert.Equal(want.Id, got.Id);
            AssertSpan(buggy, got.Location, want.Line, want.Text, $"{scenario} {want.Id}");
            Assert.Equal(want.Additional.Length, got.AdditionalLocations.Count);
            for (var j = 0; j < want.Additional.Length; j++)
            {
                AssertSpan(buggy, got.AdditionalLocations[j], want.Additional[j].Line, want.Additional[j].Text, $"{scenario} {want.Id} additional location {j}");
            }

            if (want.Message is not null)
            {
                Assert.Equal(want.Message, got.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    /// <summary>
    /// The location is in Buggy.cs and covers exactly <paramref name="text"/>, found once on line <paramref name="line"/>.
    /// </summary>
    private static void AssertSpan(SourceText buggy, Location location, int line, string text, string what)
    {
        Assert.True(location.IsInSource && location.SourceTree!.FilePath == "Buggy.cs", $"{what}: not in Buggy.cs: {location}");
        var lineText = buggy.Lines[line - 1].ToString();
        var column = lineText.IndexOf(text, StringComparison.Ordinal);
        Assert.True(column >= 0 && lineText.IndexOf(text, column + 1, StringComparison.Ordinal) < 0, $"{what}: '{text}' is not on line {line} exactly once: {lineText}");
        var expected = new TextSpan(buggy.Lines[line - 1].Start + column, text.Length);
        Assert.True(location.SourceSpan == expected, $"{what}: expected '{text}' at {line}:{column + 1}, got '{buggy.ToString(location.SourceSpan)}' at {location.GetLineSpan().StartLinePosition}");
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
    public async Task Buggy_WithAllCodeFixesApplied_CompilesAndIsSilent(string scenario)
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

        output.WriteLine(await DumpAsync(solution, projectId));

        // Strict: nothing left but what ExpectedAfterFixes names (for most scenarios, nothing at all).
        var left = remaining.Where(SampleCompiler.IsFaultLine).Select(SampleCompiler.Describe).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        var allowed = ExpectedAfterFixes.TryGetValue(scenario, out var known) ? known.OrderBy(d => d, StringComparer.Ordinal).ToArray() : Array.Empty<string>();
        Assert.True(
            allowed.SequenceEqual(left),
            $"{scenario}: after the fixes expected {(allowed.Length == 0 ? "no FL diagnostic" : string.Join(", ", allowed))}, got:\n  {string.Join("\n  ", remaining.Where(SampleCompiler.IsFaultLine).Select(SampleCompiler.DescribeLong))}\n\n{await DumpAsync(solution, projectId)}");
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

    /// <summary>A diagnostic pinned to its span: id, 1-based line and covered text, additional locations, message (null: not checked).</summary>
    private sealed record ExactDiagnostic(string Id, int Line, string Text, (int Line, string Text)[] Additional, string? Message);
}
