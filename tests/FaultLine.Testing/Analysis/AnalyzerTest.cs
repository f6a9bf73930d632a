using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Options;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// An analyzer test: builds a project from <see cref="TestState"/>, runs the analyzers, and checks that exactly the
/// expected diagnostics are reported (markup plus <see cref="ExpectedDiagnostics"/>). It then re-runs with
/// <c>// &lt;auto-generated&gt;</c> and with <c>#pragma warning disable</c> prepended to every source, expecting the
/// located analyzer diagnostics to disappear (<see cref="TestBehaviors"/> switches these off).
/// </summary>
/// <remarks>
/// Automatic checks: every supported descriptor is enabled (disabled-by-default ones at their default severity);
/// an analyzer exception is reported as <c>error AD0001</c> and fails the test unless expected; compiler errors in
/// the test code fail the test unless expected (<see cref="CompilerDiagnostics"/>).
/// </remarks>
/// <typeparam name="TVerifier">The verifier that reports failures.</typeparam>
public abstract partial class AnalyzerTest<TVerifier>
    where TVerifier : IVerifier, new()
{
    private readonly List<Workspace> _workspaces = new();

    /// <summary>Initializes the test with an empty <see cref="TestState"/>.</summary>
    protected AnalyzerTest()
    {
        TestState = new SolutionState(DefaultTestProjectName, Language, DefaultFilePathPrefix, DefaultFileExt);
    }

    /// <summary>Gets the verifier all assertions go through.</summary>
    protected static TVerifier Verify { get; } = new TVerifier();

    /// <summary>Gets the path prefix of unnamed sources: "/0/Test" gives "/0/Test0.cs", "/0/Test1.cs", ...</summary>
    protected virtual string DefaultFilePathPrefix { get; } = "/0/Test";

    /// <summary>Gets the name of the primary project.</summary>
    protected virtual string DefaultTestProjectName { get; } = "TestProject";

    /// <summary>Gets the path of the first unnamed source, used for expectations given without a path.</summary>
    protected virtual string DefaultFilePath => DefaultFilePathPrefix + 0 + "." + DefaultFileExt;

    /// <summary>Gets the source file extension without dot, e.g. "cs".</summary>
    protected abstract string DefaultFileExt { get; }

    /// <summary>Gets the language of the test, a value from <see cref="LanguageNames"/>.</summary>
    public abstract string Language { get; }

    /// <summary>Adds a source file (named "/0/Test{n}.cs") to <see cref="TestState"/>.</summary>
    public string TestCode
    {
        set
        {
            if (value is not null)
            {
                TestState.Sources.Add(value);
            }
        }
    }

    /// <summary>Gets the expected diagnostics of <see cref="TestState"/>.</summary>
    public List<DiagnosticResult> ExpectedDiagnostics => TestState.ExpectedDiagnostics;

    /// <summary>Gets or sets which compiler diagnostics must be expected; default <see cref="CompilerDiagnostics.Errors"/>.</summary>
    public CompilerDiagnostics CompilerDiagnostics { get; set; } = CompilerDiagnostics.Errors;

    /// <summary>Gets or sets markup options.</summary>
    public MarkupOptions MarkupOptions { get; set; }

    /// <summary>Gets the test input: sources, files, references, expected diagnostics.</summary>
    public SolutionState TestState { get; }

    /// <summary>Gets files that documentation comments may <c>&lt;include&gt;</c>, by name.</summary>
    public Dictionary<string, string> XmlReferences { get; } = new();

    /// <summary>Gets or sets which automatic checks to skip.</summary>
    public TestBehaviors TestBehaviors { get; set; }

    /// <summary>Gets IDs to switch off (<see cref="ReportDiagnostic.Suppress"/>) in every project.</summary>
    public List<string> DisabledDiagnostics { get; } = new();

    /// <summary>Gets or sets the reference assemblies; default <see cref="ReferenceAssemblies.Default"/>.</summary>
    public ReferenceAssemblies ReferenceAssemblies { get; set; } = ReferenceAssemblies.Default;

    /// <summary>Gets transformations of the workspace options, applied when each test solution is built.</summary>
    public List<Func<OptionSet, OptionSet>> OptionsTransforms { get; } = new();

    /// <summary>Gets transformations of each test solution (given the primary project's id), applied after it is built.</summary>
    public List<Func<Solution, ProjectId, Solution>> SolutionTransforms { get; } = new();

    /// <summary>Gets or sets an extra check run on each (reported, expected) pair that matched.</summary>
    public Action<Diagnostic, DiagnosticResult, IVerifier>? DiagnosticVerifier { get; set; }

    /// <summary>
    /// Gets or sets the time allowed for matching diagnostics. Accepted for compatibility: matching here is
    /// exact and polynomial, so it needs no time limit.
    /// </summary>
    public TimeSpan MatchDiagnosticsTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Runs the test; throws (through the verifier) on the first failed check.</summary>
    /// <param name="cancellationToken">Cancels the test.</param>
    /// <returns>A task that completes when the test passed.</returns>
    public virtual async Task RunAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await RunImplAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var workspace in _workspaces)
            {
                workspace.Dispose();
            }

            _workspaces.Clear();
        }
    }

    /// <summary>Runs the checks of an analyzer test.</summary>
    /// <param name="cancellationToken">Cancels the test.</param>
    /// <returns>A task that completes when the test passed.</returns>
    protected virtual async Task RunImplAsync(CancellationToken cancellationToken)
    {
        Verify.NotEmpty($"{nameof(TestState)}.{nameof(SolutionState.Sources)}", TestState.Sources);

        var testState = EvaluateState(TestState, baseState: null, ImmutableArray<string>.Empty);
        await VerifyDiagnosticsAsync(testState, Verify.PushContext("Diagnostics of test state"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets the analyzers under test.</summary>
    /// <returns>The analyzers.</returns>
    protected abstract IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers();

    /// <summary>Creates the compilation options of each test project.</summary>
    /// <returns>The options.</returns>
    protected abstract CompilationOptions CreateCompilationOptions();

    /// <summary>Creates the parse options of each test project; override to set e.g. a language version.</summary>
    /// <returns>The options.</returns>
    protected abstract ParseOptions CreateParseOptions();

    /// <summary>
    /// Gets the descriptor for <c>[|...|]</c> and <c>$$</c>: the single descriptor of the first analyzer, or with
    /// <see cref="MarkupOptions.UseFirstDescriptor"/> the first descriptor of any analyzer; else none.
    /// </summary>
    /// <param name="analyzers">The analyzers under test.</param>
    /// <returns>The descriptor, or <see langword="null"/>.</returns>
    protected internal virtual DiagnosticDescriptor? GetDefaultDiagnostic(DiagnosticAnalyzer[] analyzers)
    {
        if (analyzers.Length == 0)
        {
            return null;
        }

        if (MarkupOptions.HasFlag(MarkupOptions.UseFirstDescriptor))
        {
            return analyzers.SelectMany(analyzer => analyzer.SupportedDiagnostics).FirstOrDefault();
        }

        return analyzers[0].SupportedDiagnostics.Length == 1 ? analyzers[0].SupportedDiagnostics[0] : null;
    }

    /// <summary>Applies inheritance and markup to a state, producing what a project is built from and checked against.</summary>
    private protected SolutionState EvaluateState(SolutionState state, SolutionState? baseState, ImmutableArray<string> fixableDiagnostics)
        => ProcessMarkup(state.WithInheritedValuesApplied(baseState, fixableDiagnostics), fixableDiagnostics);

    /// <summary>Processes the markup of a state whose inheritance was already applied.</summary>
    private protected SolutionState ProcessMarkup(SolutionState inheritedState, ImmutableArray<string> fixableDiagnostics)
    {
        var analyzers = GetDiagnosticAnalyzers().ToArray();
        return inheritedState.WithProcessedMarkup(
            MarkupOptions,
            GetDefaultDiagnostic(analyzers),
            analyzers.SelectMany(analyzer => analyzer.SupportedDiagnostics).ToImmutableArray(),
            fixableDiagnostics,
            DefaultFilePath);
    }

    /// <summary>
    /// Checks the diagnostics of an evaluated state: the normal run, then the generated-code and pragma re-runs.
    /// </summary>
    private protected async Task VerifyDiagnosticsAsync(SolutionState state, IVerifier verifier, CancellationToken cancellationToken)
    {
        var analyzers = GetDiagnosticAnalyzers().ToImmutableArray();
        var expected = state.ExpectedDiagnostics.ToArray();

        var actual = await GetDiagnosticsAsync(state, analyzers, verifier, cancellationToken).ConfigureAwait(false);
        DiagnosticVerification.Verify(actual, expected, analyzers, DefaultFilePath, verifier, DiagnosticVerifier);

        await VerifyGeneratedCodeExclusionAsync(state, analyzers, expected, verifier, cancellationToken).ConfigureAwait(false);
        await VerifyPragmaSuppressionAsync(state, analyzers, expected, verifier, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Builds the state's solution and returns its sorted diagnostics.</summary>
    private protected async Task<IReadOnlyList<Diagnostic>> GetDiagnosticsAsync(SolutionState state, ImmutableArray<DiagnosticAnalyzer> analyzers, IVerifier verifier, CancellationToken cancellationToken)
    {
        var project = await CreateProjectAsync(state, verifier, cancellationToken).ConfigureAwait(false);
        var run = await GetSortedDiagnosticsAsync(project.Solution, analyzers, CompilerDiagnostics, computeNonLocal: false, cancellationToken).ConfigureAwait(false);
        return run.Diagnostics.Select(item => item.Diagnostic).ToList();
    }
}
