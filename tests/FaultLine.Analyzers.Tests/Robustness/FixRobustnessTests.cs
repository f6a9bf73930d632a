using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Xunit;
using Xunit.Abstractions;

namespace FaultLine.Analyzers.Tests.Robustness;

/// <summary>
/// Issue 9 item 3: every code fix applied to every diagnostic it is offered for, on every sample and every harvested
/// rule-test input (<see cref="HarvestedInputs"/>). Each code action (each equivalence key) offered for a diagnostic
/// is its own case. A case passes when its result
/// <list type="bullet">
/// <item><description>has no compiler error the input did not have (errors compared as a multiset of id and message);</description></item>
/// <item><description>reports the fixed diagnostic's id at least once less than the input did;</description></item>
/// <item><description>reports no other FaultLine id more often than the input did;</description></item>
/// </list>
/// and, once per document, provider and equivalence key, Fix All in document scope meets the same three conditions
/// and, applied a second time to its own result, changes nothing. Analyzer exceptions on any input or result fail too.
/// Failures are listed by case; <see cref="KnownFailures"/> holds defects found but not yet fixed (none today).
/// </summary>
public sealed class FixRobustnessTests
{
    private readonly ITestOutputHelper output;

    public FixRobustnessTests(ITestOutputHelper output) => this.output = output;

    public static IEnumerable<object[]> Groups() => HarvestedInputs.GroupRows();

    /// <summary>What went wrong in one case.</summary>
    public enum Problem
    {
        AnalyzerException,
        FixerException,
        NoChange,
        NewCompilerError,
        DiagnosticNotRemoved,
        NewFaultLineDiagnostic,
        FixAllOfferedNothing,
        FixAllNewCompilerError,
        FixAllDiagnosticNotRemoved,
        FixAllNewFaultLineDiagnostic,
        FixAllNotIdempotent,
    }

    /// <summary>One failing case: the input, the fixed diagnostic's id, the action's equivalence key, the problem.</summary>
    public sealed record Failure(ReplayInput Input, string DiagnosticId, string EquivalenceKey, Problem Problem, string Detail)
    {
        public override string ToString() => $"{Input.Name} | {DiagnosticId} [{EquivalenceKey}] | {Problem}: {Detail}";
    }

    /// <summary>
    /// Defects found by this suite whose fix has not landed yet, each with the input, the fix and what goes wrong.
    /// Empty: every offered fix passes. An entry that no longer fails fails the test, so the list can only shrink;
    /// every failure not listed fails outright. Inputs are matched by test file and a line of their text.
    /// </summary>
    public static readonly ImmutableArray<KnownFailure> KnownFailures = ImmutableArray<KnownFailure>.Empty;

    /// <summary>A known failure: matched on test file, a line of the input, diagnostic id, equivalence key and problem.</summary>
    public sealed record KnownFailure(string Group, string InputContains, string DiagnosticId, string EquivalenceKey, Problem Problem, string Owner)
    {
        public bool Matches(Failure failure) =>
            failure.Input.Group == Group && failure.Input.Files.Any(f => f.Text.Contains(InputContains, StringComparison.Ordinal))
            && failure.DiagnosticId == DiagnosticId && failure.EquivalenceKey == EquivalenceKey && failure.Problem == Problem;
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task Every_offered_fix_compiles_removes_its_diagnostic_adds_none_and_fix_all_reaches_a_fixed_point(string group)
    {
        var inputs = HarvestedInputs.InGroup(group).ToList();
        Assert.NotEmpty(inputs);
        ReplayCompiler.WarmUp();

        var failures = new ConcurrentQueue<Failure>();
        var counts = new ConcurrentQueue<(int Diagnostics, int Cases, int FixAlls)>();
        var wall = Stopwatch.StartNew();
        await Parallel.ForEachAsync(inputs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (input, cancellationToken) =>
        {
            counts.Enqueue(await CheckInputAsync(input, failures, cancellationToken));
        });
        wall.Stop();

        output.WriteLine($"{group}: {inputs.Count} inputs, {counts.Sum(c => c.Diagnostics)} fixable diagnostics, {counts.Sum(c => c.Cases)} fix cases, "
            + $"{counts.Sum(c => c.FixAlls)} Fix All runs, wall {wall.Elapsed.TotalSeconds:F1} s");

        var known = KnownFailures.Where(k => k.Group == group).ToList();
        var unexpected = failures.Where(f => !known.Any(k => k.Matches(f))).OrderBy(f => f.ToString(), StringComparer.Ordinal).ToList();
        var stale = known.Where(k => !failures.Any(k.Matches)).ToList();
        foreach (var failure in failures.Where(f => known.Any(k => k.Matches(f))))
        {
            output.WriteLine($"  known failure: {failure}");
        }

        Assert.True(unexpected.Count == 0, $"{unexpected.Count} failing fix cases:\n" + string.Join("\n", unexpected.Take(30)));
        Assert.True(stale.Count == 0, "known failures that no longer fail (delete them from KnownFailures):\n" + string.Join("\n", stale));
    }

    private static async Task<(int Diagnostics, int Cases, int FixAlls)> CheckInputAsync(ReplayInput input, ConcurrentQueue<Failure> failures, CancellationToken cancellationToken)
    {
        var project = FixWorkspace.CreateProject(input);
        var before = await FixWorkspace.AnalyzeAsync(project, cancellationToken).ConfigureAwait(false);
        foreach (var exception in before.AnalyzerFailures)
        {
            failures.Enqueue(new Failure(input, "-", "-", Problem.AnalyzerException, exception));
        }

        var diagnostics = 0;
        var cases = 0;
        var fixAllKeys = new HashSet<(DocumentId Document, CodeFixProvider Fixer, string? Key, string Id)>();
        foreach (var diagnostic in before.Analyzer.Where(d => d.Id.StartsWith("FL", StringComparison.Ordinal) && d.Location.IsInSource))
        {
            var document = project.GetDocument(diagnostic.Location.SourceTree);
            if (document is null)
            {
                continue;
            }

            var fixers = FixWorkspace.Fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)).ToList();
            if (fixers.Count > 0)
            {
                diagnostics++;
            }

            foreach (var fixer in fixers)
            {
                var (_, actions) = await Guarded(() => FixWorkspace.ActionsAsync(document, diagnostic, fixer, cancellationToken), Reporter(input, diagnostic, fixer.GetType().Name, failures)).ConfigureAwait(false);
                foreach (var action in actions.IsDefault ? Enumerable.Empty<CodeAction>() : actions)
                {
                    cases++;
                    var report = Reporter(input, diagnostic, action.EquivalenceKey ?? action.Title, failures);
                    var (threw, changed) = await Guarded(() => FixWorkspace.ApplyAsync(action, cancellationToken), report).ConfigureAwait(false);
                    if (threw)
                    {
                        continue;
                    }

                    if (changed is null || changed == project.Solution)
                    {
                        report(Problem.NoChange, "the action has no ApplyChangesOperation or changes nothing");
                        continue;
                    }

                    var after = await FixWorkspace.AnalyzeAsync(changed.GetProject(project.Id)!, cancellationToken).ConfigureAwait(false);
                    await CompareAsync(before, after, diagnostic.Id, fixAll: false, report, cancellationToken).ConfigureAwait(false);
                    fixAllKeys.Add((document.Id, fixer, action.EquivalenceKey, diagnostic.Id));
                }
            }
        }

        foreach (var (documentId, fixer, key, id) in fixAllKeys)
        {
            var report = Reporter(input, id, key ?? "(no key)", documentId, project, failures);
            var (threw, once) = await Guarded(() => FixWorkspace.FixAllInDocumentAsync(before, project.GetDocument(documentId)!, fixer, key, cancellationToken), report).ConfigureAwait(false);
            if (threw)
            {
                continue;
            }

            if (once is null)
            {
                report(Problem.FixAllOfferedNothing, "the single fix applies, Fix All in document offers nothing");
                continue;
            }

            var afterOnce = await FixWorkspace.AnalyzeAsync(once.GetProject(project.Id)!, cancellationToken).ConfigureAwait(false);
            await CompareAsync(before, afterOnce, id, fixAll: true, report, cancellationToken).ConfigureAwait(false);

            var (_, twice) = await Guarded(() => FixWorkspace.FixAllInDocumentAsync(afterOnce, afterOnce.Project.GetDocument(documentId)!, fixer, key, cancellationToken), report).ConfigureAwait(false);
            if (twice is not null)
            {
                var first = await FixWorkspace.TextsAsync(afterOnce.Project, cancellationToken).ConfigureAwait(false);
                var second = await FixWorkspace.TextsAsync(twice.GetProject(project.Id)!, cancellationToken).ConfigureAwait(false);
                var differing = first.Keys.Where(path => !second.TryGetValue(path, out var text) || text != first[path]).ToList();
                if (differing.Count > 0)
                {
                    report(Problem.FixAllNotIdempotent, $"the second Fix All changed {string.Join(", ", differing)}:\n{FirstDifference(first[differing[0]], second.GetValueOrDefault(differing[0]) ?? string.Empty)}");
                }
            }
        }

        return (diagnostics, cases, fixAllKeys.Count);
    }

    /// <summary>Runs a provider call; an exception it throws is reported as <see cref="Problem.FixerException"/>.</summary>
    private static async Task<(bool Threw, T? Value)> Guarded<T>(Func<Task<T>> call, Action<Problem, string> report)
    {
        try
        {
            return (false, await call().ConfigureAwait(false));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            report(Problem.FixerException, e.ToString());
            return (true, default);
        }
    }

    /// <summary>The checks shared by a single fix and Fix All: compiler errors, the fixed id, the other FaultLine ids.</summary>
    private static async Task CompareAsync(FixWorkspace.State before, FixWorkspace.State after, string id, bool fixAll, Action<Problem, string> report, CancellationToken cancellationToken)
    {
        foreach (var exception in after.AnalyzerFailures)
        {
            report(Problem.AnalyzerException, "on the fixed code: " + exception);
        }

        var newErrors = Subtract(after.CompilerErrors, before.CompilerErrors, d => d.Id + ": " + d.GetMessage());
        if (newErrors.Count > 0)
        {
            var text = await TextOfAsync(after, newErrors[0], cancellationToken).ConfigureAwait(false);
            report(fixAll ? Problem.FixAllNewCompilerError : Problem.NewCompilerError, string.Join("; ", newErrors.Take(3).Select(d => d.ToString())) + "\n" + text);
        }

        int Count(FixWorkspace.State state, string diagnosticId) => state.Analyzer.Count(d => d.Id == diagnosticId);
        if (Count(after, id) >= Count(before, id))
        {
            var still = after.Analyzer.First(d => d.Id == id);
            var text = await TextOfAsync(after, still, cancellationToken).ConfigureAwait(false);
            report(fixAll ? Problem.FixAllDiagnosticNotRemoved : Problem.DiagnosticNotRemoved, $"{id}: {Count(before, id)} before, {Count(after, id)} after, e.g. {still}\n{text}");
        }

        var added = after.Analyzer.Select(d => d.Id).Where(other => other != id && other.StartsWith("FL", StringComparison.Ordinal)).Distinct()
            .Where(other => Count(after, other) > Count(before, other))
            .Select(other => after.Analyzer.First(d => d.Id == other))
            .ToList();
        if (added.Count > 0)
        {
            var text = await TextOfAsync(after, added[0], cancellationToken).ConfigureAwait(false);
            report(fixAll ? Problem.FixAllNewFaultLineDiagnostic : Problem.NewFaultLineDiagnostic, string.Join("; ", added.Select(d => d.ToString())) + "\n" + text);
        }
    }

    private static Action<Problem, string> Reporter(ReplayInput input, Diagnostic diagnostic, string key, ConcurrentQueue<Failure> failures)
    {
        var where = diagnostic.Location.GetLineSpan();
        var at = $"{where.Path}({where.StartLinePosition.Line + 1},{where.StartLinePosition.Character + 1})";
        return (problem, detail) => failures.Enqueue(new Failure(input, diagnostic.Id, key, problem, $"fix at {at}: {detail}"));
    }

    private static Action<Problem, string> Reporter(ReplayInput input, string id, string key, DocumentId document, Project project, ConcurrentQueue<Failure> failures)
    {
        var path = project.GetDocument(document)?.FilePath;
        return (problem, detail) => failures.Enqueue(new Failure(input, id, key, problem, $"Fix All in {path}: {detail}"));
    }

    /// <summary>Items of <paramref name="after"/> not matched one-to-one by an item of <paramref name="before"/> with the same key.</summary>
    private static List<Diagnostic> Subtract(ImmutableArray<Diagnostic> after, ImmutableArray<Diagnostic> before, Func<Diagnostic, string> key)
    {
        var remaining = before.GroupBy(key).ToDictionary(g => g.Key, g => g.Count());
        var result = new List<Diagnostic>();
        foreach (var diagnostic in after)
        {
            var k = key(diagnostic);
            if (remaining.TryGetValue(k, out var n) && n > 0)
            {
                remaining[k] = n - 1;
            }
            else
            {
                result.Add(diagnostic);
            }
        }

        return result;
    }

    /// <summary>The fixed file around a diagnostic (a few lines each side), so a failure shows the code it is about.</summary>
    private static async Task<string> TextOfAsync(FixWorkspace.State state, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var document = state.Project.GetDocument(diagnostic.Location.SourceTree);
        if (document is null)
        {
            return string.Empty;
        }

        var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
        var line = text.Lines.GetLineFromPosition(diagnostic.Location.SourceSpan.Start).LineNumber;
        var from = Math.Max(0, line - 6);
        var to = Math.Min(text.Lines.Count - 1, line + 6);
        return string.Join("\n", Enumerable.Range(from, to - from + 1).Select(i => $"{i + 1,4}{(i == line ? '>' : ' ')} {text.Lines[i]}"));
    }

    private static string FirstDifference(string a, string b)
    {
        var linesA = a.Split('\n');
        var linesB = b.Split('\n');
        for (var i = 0; i < Math.Max(linesA.Length, linesB.Length); i++)
        {
            var x = i < linesA.Length ? linesA[i] : "<end>";
            var y = i < linesB.Length ? linesB[i] : "<end>";
            if (x != y)
            {
                return $"line {i + 1}: first Fix All '{x.Trim()}', second '{y.Trim()}'";
            }
        }

        return "(texts differ only in line breaks)";
    }
}
