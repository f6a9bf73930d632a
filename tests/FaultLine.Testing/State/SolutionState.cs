using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// A whole test input or expected output: the primary project (this object), additional projects, and the
/// diagnostics expected in it. A test has one for the input (<c>TestState</c>) and, for code fixes, one for the
/// expected output after iterative fixing (<c>FixedState</c>) and after Fix All (<c>BatchFixedState</c>).
/// </summary>
public class SolutionState : ProjectState
{
    /// <summary>Initializes an empty state.</summary>
    /// <param name="name">The primary project name.</param>
    /// <param name="language">The language.</param>
    /// <param name="defaultPrefix">The path prefix for unnamed sources, e.g. "/0/Test".</param>
    /// <param name="defaultExtension">The source extension without dot.</param>
    public SolutionState(string name, string language, string defaultPrefix, string defaultExtension)
        : base(name, language, defaultPrefix, defaultExtension)
    {
        AdditionalProjects = new ProjectCollection(language, defaultExtension);
    }

    /// <summary>
    /// Gets or sets how values are inherited from the base state; <see langword="null"/> picks the default
    /// (input: <see cref="StateInheritanceMode.Explicit"/>; fixed output that differs from its base:
    /// <see cref="StateInheritanceMode.AutoInherit"/>; otherwise <see cref="StateInheritanceMode.AutoInheritAll"/>).
    /// </summary>
    public StateInheritanceMode? InheritanceMode { get; set; }

    /// <summary>
    /// Gets or sets what markup means in this state; <see langword="null"/> picks the default (input:
    /// <see cref="MarkupMode.Allow"/>; fixed output: <see cref="MarkupMode.IgnoreFixable"/>; output equal to its
    /// base: the base's mode). Markup-derived expectations are added to <see cref="ExpectedDiagnostics"/>.
    /// </summary>
    public MarkupMode? MarkupHandling { get; set; }

    /// <summary>Gets the additional projects of the solution.</summary>
    public ProjectCollection AdditionalProjects { get; }

    /// <summary>Gets the explicitly expected diagnostics (markup adds more when the test runs).</summary>
    public List<DiagnosticResult> ExpectedDiagnostics { get; } = new();

    /// <summary>
    /// Returns a copy with the inheritance rules applied against <paramref name="baseState"/> and the additional
    /// file factories evaluated. The result has <see cref="StateInheritanceMode.Explicit"/> and a definite
    /// <see cref="MarkupHandling"/>.
    /// </summary>
    /// <param name="baseState">The state to inherit from, or <see langword="null"/> for the input state.</param>
    /// <param name="fixableDiagnostics">IDs some code fix provider can fix.</param>
    /// <returns>The evaluated state.</returns>
    public SolutionState WithInheritedValuesApplied(SolutionState? baseState, ImmutableArray<string> fixableDiagnostics)
    {
        var inheritanceMode = InheritanceMode;
        var markupHandling = MarkupHandling;
        if (baseState is null)
        {
            inheritanceMode ??= StateInheritanceMode.Explicit;
            markupHandling ??= MarkupMode.Allow;
        }
        else if (HasContentChanges(willInherit: inheritanceMode != StateInheritanceMode.Explicit, baseState))
        {
            // Output that differs from its input: fixable markup left in it describes what was fixed.
            inheritanceMode ??= StateInheritanceMode.AutoInherit;
            markupHandling ??= MarkupMode.IgnoreFixable;
        }
        else
        {
            // Output equal to its input (nothing to fix): it keeps every expectation of the input.
            inheritanceMode ??= StateInheritanceMode.AutoInheritAll;
            markupHandling ??= baseState.MarkupHandling ?? MarkupMode.Allow;
        }

        if (baseState?.AdditionalFilesFactories.Count > 0)
        {
            throw new InvalidOperationException("The base state must be evaluated before it is used as a base state.");
        }

        var result = new SolutionState(Name, Language, DefaultPrefix, DefaultExtension)
        {
            InheritanceMode = StateInheritanceMode.Explicit,
            MarkupHandling = markupHandling,
        };

        CopyProjectInputsTo(result);
        result.AdditionalFiles.AddRange(result.AdditionalFilesFactories.SelectMany(factory => factory()));
        result.AdditionalFilesFactories.Clear();
        foreach (var (name, project) in AdditionalProjects)
        {
            result.AdditionalProjects.Add(name, project);
        }

        result.ExpectedDiagnostics.AddRange(ExpectedDiagnostics);

        if (inheritanceMode != StateInheritanceMode.Explicit && baseState is not null)
        {
            InheritEmptyValues(result, baseState, inheritanceMode.Value, fixableDiagnostics);
        }

        return result;
    }

    /// <summary>
    /// Returns a copy with markup removed from every source and additional file, the markup-derived expectations
    /// added, and explicit expectations completed (default path for locations without one, <c>#n</c> keys
    /// replaced by their marked spans). The result has <see cref="MarkupMode.None"/>.
    /// </summary>
    /// <param name="markupOptions">Markup options.</param>
    /// <param name="defaultDiagnostic">The descriptor for <c>[|...|]</c> and <c>$$</c>, if any.</param>
    /// <param name="supportedDiagnostics">The descriptors of the analyzers under test.</param>
    /// <param name="fixableDiagnostics">IDs some code fix provider can fix.</param>
    /// <param name="defaultPath">The path for expected locations given without one, e.g. "/0/Test0.cs".</param>
    /// <returns>The processed state.</returns>
    public SolutionState WithProcessedMarkup(MarkupOptions markupOptions, DiagnosticDescriptor? defaultDiagnostic, ImmutableArray<DiagnosticDescriptor> supportedDiagnostics, ImmutableArray<string> fixableDiagnostics, string defaultPath)
    {
        if (InheritanceMode != StateInheritanceMode.Explicit || MarkupHandling is null)
        {
            throw new InvalidOperationException("Inheritance must be applied before markup is processed.");
        }

        var processor = new MarkupProcessor(MarkupHandling.Value, markupOptions, defaultDiagnostic, supportedDiagnostics, fixableDiagnostics);
        var result = new SolutionState(Name, Language, DefaultPrefix, DefaultExtension)
        {
            InheritanceMode = StateInheritanceMode.Explicit,
            MarkupHandling = MarkupMode.None,
        };

        ProcessProject(this, result, processor);
        foreach (var (name, project) in AdditionalProjects)
        {
            var processed = new ProjectState(project.Name, project.Language, project.DefaultPrefix, project.DefaultExtension);
            ProcessProject(project, processed, processor);
            result.AdditionalProjects.Add(name, processed);
        }

        result.ExpectedDiagnostics.AddRange(ExpectedDiagnostics.Select(
            diagnostic => diagnostic.WithDefaultPath(defaultPath).WithAppliedMarkupLocations(processor.MarkupLocations)));
        result.ExpectedDiagnostics.AddRange(processor.MarkupDiagnostics);
        return result;
    }

    private static void ProcessProject(ProjectState source, ProjectState target, MarkupProcessor processor)
    {
        target.ReferenceAssemblies = source.ReferenceAssemblies;
        target.OutputKind = source.OutputKind;
        target.DocumentationMode = source.DocumentationMode;
        target.Sources.AddRange(processor.Process(source.Sources));
        target.AdditionalFiles.AddRange(processor.Process(source.AdditionalFiles.Concat(source.AdditionalFilesFactories.SelectMany(factory => factory()))));
        target.AnalyzerConfigFiles.AddRange(source.AnalyzerConfigFiles);
        target.AdditionalProjectReferences.AddRange(source.AdditionalProjectReferences);
        target.AdditionalReferences.AddRange(source.AdditionalReferences);
    }

    private static void InheritEmptyValues(SolutionState result, SolutionState baseState, StateInheritanceMode mode, ImmutableArray<string> fixableDiagnostics)
    {
        result.ReferenceAssemblies ??= baseState.ReferenceAssemblies;
        result.OutputKind ??= baseState.OutputKind;
        result.DocumentationMode ??= baseState.DocumentationMode;
        InheritIfEmpty(result.Sources, baseState.Sources);
        InheritIfEmpty(result.AdditionalFiles, baseState.AdditionalFiles);
        InheritIfEmpty(result.AnalyzerConfigFiles, baseState.AnalyzerConfigFiles);
        InheritIfEmpty(result.AdditionalProjectReferences, baseState.AdditionalProjectReferences);
        InheritIfEmpty(result.AdditionalReferences, baseState.AdditionalReferences);
        if (result.AdditionalProjects.Count == 0)
        {
            foreach (var (name, project) in baseState.AdditionalProjects)
            {
                result.AdditionalProjects.Add(name, project);
            }
        }

        if (result.ExpectedDiagnostics.Count == 0)
        {
            // After a fix, the fixable diagnostics are expected to be gone; everything else stays.
            result.ExpectedDiagnostics.AddRange(mode == StateInheritanceMode.AutoInherit
                ? baseState.ExpectedDiagnostics.Where(diagnostic => !fixableDiagnostics.Contains(diagnostic.Id))
                : baseState.ExpectedDiagnostics);
        }
    }

    private static void InheritIfEmpty<T>(List<T> target, List<T> source)
    {
        if (target.Count == 0)
        {
            target.AddRange(source);
        }
    }

    private bool HasContentChanges(bool willInherit, SolutionState baseState)
    {
        // An empty collection that will be inherited is not a change.
        if ((!willInherit || Sources.Count > 0) && !ContentEqual(Sources, baseState.Sources))
        {
            return true;
        }

        if ((!willInherit || AdditionalFiles.Count > 0) && !ContentEqual(AdditionalFiles, baseState.AdditionalFiles))
        {
            return true;
        }

        if ((!willInherit || AnalyzerConfigFiles.Count > 0) && !ContentEqual(AnalyzerConfigFiles, baseState.AnalyzerConfigFiles))
        {
            return true;
        }

        return (!willInherit || AdditionalReferences.Count > 0) && !AdditionalReferences.SequenceEqual(baseState.AdditionalReferences);
    }

    /// <summary>Compares two file lists by path, encoding and text.</summary>
    internal static bool ContentEqual(IReadOnlyList<(string filename, SourceText content)> x, IReadOnlyList<(string filename, SourceText content)> y)
    {
        if (x.Count != y.Count)
        {
            return false;
        }

        for (var i = 0; i < x.Count; i++)
        {
            if (x[i].filename != y[i].filename
                || !Equals(x[i].content.Encoding, y[i].content.Encoding)
                || !x[i].content.ContentEquals(y[i].content))
            {
                return false;
            }
        }

        return true;
    }
}
