using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.ComponentModel;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// A code fix test. After the analyzer checks on the input (and on the expected outputs), it applies the fixes
/// iteratively until nothing fixable is left, and with Fix All in document, project and solution scope, and compares
/// each result with <see cref="FixedState"/> / <see cref="BatchFixedState"/>: same text (line diff on failure), a syntax
/// tree that re-parses to itself (<see cref="CodeActionTest{TVerifier}.CodeActionValidationMode"/>), no new compiler
/// errors, and the expected number of iterations.
/// </summary>
/// <typeparam name="TVerifier">The verifier.</typeparam>
public abstract partial class CodeFixTest<TVerifier> : CodeActionTest<TVerifier>
    where TVerifier : IVerifier, new()
{
    /// <summary>Initializes the test with empty states.</summary>
    protected CodeFixTest()
    {
        FixedState = new SolutionState(DefaultTestProjectName, Language, DefaultFilePathPrefix, DefaultFileExt);
        BatchFixedState = new SolutionState(DefaultTestProjectName, Language, DefaultFilePathPrefix, DefaultFileExt);
    }

    /// <summary>Gets or sets the code action index (old name of <see cref="CodeActionTest{TVerifier}.CodeActionIndex"/>).</summary>
    [Obsolete("Use " + nameof(CodeActionIndex) + " instead.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public int? CodeFixIndex
    {
        get => CodeActionIndex;
        set => CodeActionIndex = value;
    }

    /// <summary>Gets or sets the equivalence key (old name of <see cref="CodeActionTest{TVerifier}.CodeActionEquivalenceKey"/>).</summary>
    [Obsolete("Use " + nameof(CodeActionEquivalenceKey) + " instead.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public string? CodeFixEquivalenceKey
    {
        get => CodeActionEquivalenceKey;
        set => CodeActionEquivalenceKey = value;
    }

    /// <summary>Adds an expected output source (named "/0/Test{n}.cs") to <see cref="FixedState"/>.</summary>
    public string FixedCode
    {
        set
        {
            if (value is not null)
            {
                FixedState.Sources.Add(value);
            }
        }
    }

    /// <summary>Gets the expected output of iterative fixing (inherits from <c>TestState</c> what it does not set).</summary>
    public SolutionState FixedState { get; }

    /// <summary>Adds an expected Fix All output source to <see cref="BatchFixedState"/>.</summary>
    public string BatchFixedCode
    {
        set
        {
            if (value is not null)
            {
                BatchFixedState.Sources.Add(value);
            }
        }
    }

    /// <summary>Gets the expected output of Fix All (inherits from <see cref="FixedState"/> what it does not set).</summary>
    public SolutionState BatchFixedState { get; }

    /// <summary>
    /// Gets or sets the expected number of iterative fix applications: positive = exactly, negative = at most,
    /// 0 = no fix offered. Default: 0 if the output equals the input, else at most one per fixable expected diagnostic.
    /// </summary>
    public int? NumberOfIncrementalIterations { get; set; }

    /// <summary>
    /// Gets or sets the expected number of Fix All applications (every scope, unless set per scope). Default: 0 if the
    /// output equals the input, else exactly one (one language).
    /// </summary>
    public int? NumberOfFixAllIterations { get; set; }

    /// <summary>
    /// Gets or sets the expected number of Fix All in document applications. Default: <see cref="NumberOfFixAllIterations"/>
    /// if set, else at most one per document with fixable expected diagnostics.
    /// </summary>
    public int? NumberOfFixAllInDocumentIterations { get; set; }

    /// <summary>
    /// Gets or sets the expected number of Fix All in project applications. Default: <see cref="NumberOfFixAllIterations"/>
    /// if set, else at most one per project that changes.
    /// </summary>
    public int? NumberOfFixAllInProjectIterations { get; set; }

    /// <summary>Gets or sets which fix checks to skip or narrow.</summary>
    public CodeFixTestBehaviors CodeFixTestBehaviors { get; set; }

    /// <summary>Gets the code fix providers under test.</summary>
    /// <returns>The providers.</returns>
    protected abstract IEnumerable<CodeFixProvider> GetCodeFixProviders();

    /// <summary>Picks the diagnostic to fix under <see cref="CodeFixTestBehaviors.FixOne"/>; by default the first.</summary>
    /// <param name="fixableDiagnostics">The fixable diagnostics, sorted.</param>
    /// <returns>The diagnostic, or <see langword="null"/> to fix nothing.</returns>
    protected virtual Diagnostic? TrySelectDiagnosticToFix(ImmutableArray<Diagnostic> fixableDiagnostics)
        => fixableDiagnostics.FirstOrDefault();

    /// <summary>Also includes compiler diagnostics that one of the code fix providers fixes.</summary>
    /// <param name="diagnostic">The compiler diagnostic.</param>
    /// <param name="compilerDiagnostics">The level in effect.</param>
    /// <returns><see langword="true"/> to include it.</returns>
    protected override bool IsCompilerDiagnosticIncluded(Diagnostic diagnostic, CompilerDiagnostics compilerDiagnostics)
        => base.IsCompilerDiagnosticIncluded(diagnostic, compilerDiagnostics)
            || GetCodeFixProviders().Any(provider => provider.FixableDiagnosticIds.Contains(diagnostic.Id, StringComparer.OrdinalIgnoreCase));

    /// <inheritdoc/>
    protected override async Task RunImplAsync(CancellationToken cancellationToken)
    {
        Verify.NotEmpty($"{nameof(TestState)}.{nameof(SolutionState.Sources)}", TestState.Sources);

        var fixableIds = GetCodeFixProviders().SelectMany(provider => provider.FixableDiagnosticIds).Distinct().ToImmutableArray();
        var rawTestState = TestState.WithInheritedValuesApplied(null, fixableIds);
        var rawFixedState = FixedState.WithInheritedValuesApplied(rawTestState, fixableIds);
        var rawBatchFixedState = BatchFixedState.WithInheritedValuesApplied(rawFixedState, fixableIds);
        var testState = ProcessMarkup(rawTestState, fixableIds);
        var fixedState = ProcessMarkup(rawFixedState, fixableIds);
        var batchFixedState = ProcessMarkup(rawBatchFixedState, fixableIds);

        await VerifyDiagnosticsAsync(testState, Verify.PushContext("Diagnostics of test state"), cancellationToken).ConfigureAwait(false);
        if (!CodeActionExpected(FixedState) && !CodeActionExpected(BatchFixedState))
        {
            return;
        }

        // The expected outputs must themselves be right: they compile, and their remaining diagnostics are expected.
        await VerifyDiagnosticsAsync(fixedState, Verify.PushContext("Diagnostics of fixed state"), cancellationToken).ConfigureAwait(false);
        var fixAllChecked = (CodeFixTestBehaviors & CodeFixTestBehaviors.SkipFixAllCheck) != CodeFixTestBehaviors.SkipFixAllCheck;
        if (fixAllChecked && CodeActionExpected(BatchFixedState))
        {
            await VerifyDiagnosticsAsync(batchFixedState, Verify.PushContext("Diagnostics of batch fixed state"), cancellationToken).ConfigureAwait(false);
        }

        await VerifyFixAsync(testState, fixedState, batchFixedState, cancellationToken).ConfigureAwait(false);
    }

    private async Task VerifyFixAsync(SolutionState testState, SolutionState fixedState, SolutionState batchFixedState, CancellationToken cancellationToken)
    {
        var fixers = GetCodeFixProviders().ToImmutableArray();
        var fixableExpected = testState.ExpectedDiagnostics.Where(diagnostic => fixers.Any(fixer => fixer.FixableDiagnosticIds.Contains(diagnostic.Id))).ToList();
        var batchChanges = HasAnyChange(testState, batchFixedState, recursive: true);

        var incremental = IterationLimit.From(NumberOfIncrementalIterations ?? (HasAnyChange(testState, fixedState, recursive: true) ? -fixableExpected.Count : 0));
        var fixAll = IterationLimit.From(NumberOfFixAllIterations ?? (batchChanges ? -1 : 0));
        var fixAllInDocument = IterationLimit.From(NumberOfFixAllInDocumentIterations ?? NumberOfFixAllIterations
            ?? (HasAnyChange(testState, batchFixedState, recursive: false) ? -fixableExpected.Select(diagnostic => diagnostic.Spans.FirstOrDefault().Span.Path).Distinct().Count() : 0));
        var fixAllInProject = IterationLimit.From(NumberOfFixAllInProjectIterations ?? NumberOfFixAllIterations ?? -CountChangedProjects(testState, batchFixedState));

        await RunFixAsync("Iterative code fix application", testState, fixedState, (project, verifier) => FixIncrementallyAsync(project, incremental, verifier, cancellationToken), cancellationToken).ConfigureAwait(false);

        // Fix All only exists for providers that offer it.
        if (!fixers.Any(fixer => fixer.GetFixAllProvider() is not null))
        {
            return;
        }

        if (!CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.SkipFixAllInDocumentCheck))
        {
            await RunFixAsync("Fix all in document", testState, batchFixedState, (project, verifier) => FixAllAsync(FixAllScope.Document, project, fixAllInDocument, verifier, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        if (!CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.SkipFixAllInProjectCheck))
        {
            await RunFixAsync("Fix all in project", testState, batchFixedState, (project, verifier) => FixAllAsync(FixAllScope.Project, project, fixAllInProject, verifier, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        if (!CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.SkipFixAllInSolutionCheck))
        {
            await RunFixAsync("Fix all in solution", testState, batchFixedState, (project, verifier) => FixAllAsync(FixAllScope.Solution, project, fixAll, verifier, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Builds the input, runs one way of fixing, and checks the result against the expected output.</summary>
    private async Task RunFixAsync(string context, SolutionState inputState, SolutionState expectedState, Func<Project, IVerifier, Task<FixOutcome>> fix, CancellationToken cancellationToken)
    {
        var verifier = Verify.PushContext(context);
        var input = await CreateProjectAsync(inputState, verifier, cancellationToken).ConfigureAwait(false);
        var outcome = await fix(input, verifier).ConfigureAwait(false);
        if (outcome.IsRunaway)
        {
            verifier.Fail(outcome.IterationFailure);
        }

        await VerifyOutputAsync(expectedState, outcome.Project, verifier, cancellationToken).ConfigureAwait(false);
        if (outcome.IterationFailure is not null)
        {
            verifier.Fail(outcome.IterationFailure);
        }

        await VerifyNoNewCompilerErrorsAsync(input, outcome.Project, expectedState, verifier, cancellationToken).ConfigureAwait(false);
    }

    private static int CountChangedProjects(SolutionState testState, SolutionState batchFixedState)
    {
        var count = HasAnyChange(testState, batchFixedState, recursive: false) ? 1 : 0;
        foreach (var (name, project) in testState.AdditionalProjects)
        {
            if (!batchFixedState.AdditionalProjects.TryGetValue(name, out var expected) || HasAnyChange(project, expected, recursive: true))
            {
                count++;
            }
        }

        return count;
    }
}
