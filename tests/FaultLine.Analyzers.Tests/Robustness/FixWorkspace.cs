using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers.Tests.Samples;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Host.Mef;
using Microsoft.CodeAnalysis.Text;

namespace FaultLine.Analyzers.Tests.Robustness;

/// <summary>
/// The Workspaces side of the fix robustness tests: a project per input (the input's files, the references and
/// options of <see cref="ReplayCompiler"/>), its diagnostics, the actions a provider registers for one diagnostic,
/// an action applied, and a provider's Fix All in document scope. Everything runs on immutable Solutions of one
/// AdhocWorkspace that is never changed, so cases can run in parallel.
/// </summary>
public static class FixWorkspace
{
    private static readonly Lazy<AdhocWorkspace> Workspace = new(() => new AdhocWorkspace(MefHostServices.DefaultHost));

    /// <summary>Every code fix provider of FaultLine.CodeFixes.</summary>
    public static ImmutableArray<CodeFixProvider> Fixers => SampleCompiler.Fixers;

    /// <summary>A project's state: its compiler errors and its FaultLine analyzer diagnostics.</summary>
    public sealed record State(Project Project, ImmutableArray<Diagnostic> CompilerErrors, ImmutableArray<Diagnostic> Analyzer, ImmutableArray<string> AnalyzerFailures);

    public static Project CreateProject(ReplayInput input)
    {
        var projectId = ProjectId.CreateNewId();
        var solution = Workspace.Value.CurrentSolution
            .AddProject(ProjectInfo.Create(
                projectId,
                VersionStamp.Default,
                "Robustness",
                "Robustness",
                LanguageNames.CSharp,
                compilationOptions: ReplayCompiler.CompilationOptions(input),
                parseOptions: ReplayCompiler.ParseOptions(input),
                metadataReferences: ReplayCompiler.References));
        foreach (var file in input.Files)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), file.Path, SourceText.From(file.Text), filePath: file.Path);
        }

        return solution.GetProject(projectId)!;
    }

    public static async Task<State> AnalyzeAsync(Project project, CancellationToken cancellationToken)
    {
        var compilation = (await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
        var errors = compilation.GetDiagnostics(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        var analysis = await ReplayCompiler.AnalyzeAllAsync(compilation, cancellationToken).ConfigureAwait(false);
        return new State(project, errors, analysis.Diagnostics, ReplayCompiler.Failures(analysis).ToImmutableArray());
    }

    /// <summary>The actions <paramref name="fixer"/> registers for <paramref name="diagnostic"/>, nested actions flattened.</summary>
    public static async Task<ImmutableArray<CodeAction>> ActionsAsync(Document document, Diagnostic diagnostic, CodeFixProvider fixer, CancellationToken cancellationToken)
    {
        var registered = new List<CodeAction>();
        var context = new CodeFixContext(document, diagnostic, (action, _) => { lock (registered) { registered.Add(action); } }, cancellationToken);
        await fixer.RegisterCodeFixesAsync(context).ConfigureAwait(false);
        return registered.SelectMany(Flatten).ToImmutableArray();

        static IEnumerable<CodeAction> Flatten(CodeAction action) =>
            action.NestedActions.IsDefaultOrEmpty ? new[] { action } : action.NestedActions.SelectMany(Flatten);
    }

    /// <summary>The solution <paramref name="action"/> produces (its ApplyChangesOperation), or null when it has none.</summary>
    public static async Task<Solution?> ApplyAsync(CodeAction action, CancellationToken cancellationToken)
    {
        var operations = await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
        return operations.OfType<ApplyChangesOperation>().SingleOrDefault()?.ChangedSolution;
    }

    /// <summary>
    /// <paramref name="fixer"/>'s Fix All in the scope of <paramref name="document"/> with <paramref name="equivalenceKey"/>,
    /// given the diagnostics of <paramref name="state"/>; null when the provider offers nothing (nothing left to fix).
    /// </summary>
    public static async Task<Solution?> FixAllInDocumentAsync(State state, Document document, CodeFixProvider fixer, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var fixAllProvider = fixer.GetFixAllProvider();
        if (fixAllProvider is null || !fixAllProvider.GetSupportedFixAllScopes().Contains(FixAllScope.Document))
        {
            return null;
        }

        var context = new FixAllContext(
            document,
            fixer,
            FixAllScope.Document,
            equivalenceKey,
            fixer.FixableDiagnosticIds,
            new KnownDiagnostics(state.Analyzer),
            cancellationToken);
        var action = await fixAllProvider.GetFixAsync(context).ConfigureAwait(false);
        return action is null ? null : await ApplyAsync(action, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The texts of every document of a project, by path: what "changes nothing" is compared on.</summary>
    public static async Task<ImmutableDictionary<string, string>> TextsAsync(Project project, CancellationToken cancellationToken)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var document in project.Documents)
        {
            builder[document.FilePath ?? document.Name] = (await document.GetTextAsync(cancellationToken).ConfigureAwait(false)).ToString();
        }

        return builder.ToImmutable();
    }

    /// <summary>Hands Fix All the diagnostics already computed (as the IDE's diagnostic service would).</summary>
    private sealed class KnownDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> diagnostics;

        public KnownDiagnostics(ImmutableArray<Diagnostic> diagnostics) => this.diagnostics = diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics.Where(d => d.Location.IsInSource && d.Location.SourceTree?.FilePath == document.FilePath).ToList());

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics.Where(d => !d.Location.IsInSource).ToList());
    }
}
