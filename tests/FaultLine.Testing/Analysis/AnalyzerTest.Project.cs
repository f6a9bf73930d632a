using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Host.Mef;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

// Building the test solution from an evaluated state.
public abstract partial class AnalyzerTest<TVerifier>
{
    /// <summary>
    /// Configures a test project for analysis: every descriptor of the analyzers under test that is disabled by
    /// default is enabled at its default severity (unless a transform already configured it), analyzer exceptions
    /// (AD0001) become errors, and <see cref="DisabledDiagnostics"/> are suppressed.
    /// </summary>
    /// <param name="project">The project.</param>
    /// <returns>The configured project.</returns>
    protected virtual Project ApplyCompilationOptions(Project project)
    {
        var options = project.CompilationOptions ?? throw new InvalidOperationException($"Project '{project.Name}' has no compilation options.");
        var specific = options.SpecificDiagnosticOptions;
        foreach (var descriptor in GetDiagnosticAnalyzers().SelectMany(analyzer => analyzer.SupportedDiagnostics))
        {
            if (!descriptor.IsEnabledByDefault && !specific.ContainsKey(descriptor.Id))
            {
                specific = specific.SetItem(descriptor.Id, ToReportDiagnostic(descriptor.DefaultSeverity));
            }
        }

        // An analyzer that throws must fail the test, not leave a warning nobody reads.
        specific = specific.SetItem("AD0001", ReportDiagnostic.Error);
        foreach (var id in DisabledDiagnostics)
        {
            specific = specific.SetItem(id, ReportDiagnostic.Suppress);
        }

        return project.WithCompilationOptions(options.WithSpecificDiagnosticOptions(specific));
    }

    /// <summary>Builds a fresh workspace and solution for <paramref name="state"/> and returns its primary project.</summary>
    private protected async Task<Project> CreateProjectAsync(SolutionState state, IVerifier verifier, CancellationToken cancellationToken)
    {
        verifier.LanguageIsSupported(Language);

        var workspace = new AdhocWorkspace(MefHostServices.DefaultHost);
        _workspaces.Add(workspace);
        var solution = workspace.CurrentSolution;

        var projectIds = new Dictionary<string, ProjectId>(StringComparer.Ordinal);
        var primaryId = ProjectId.CreateNewId(debugName: state.Name);
        projectIds.Add(state.Name, primaryId);
        solution = await AddProjectAsync(solution, primaryId, state, cancellationToken).ConfigureAwait(false);
        foreach (var (name, project) in state.AdditionalProjects)
        {
            var id = ProjectId.CreateNewId(debugName: name);
            projectIds.Add(name, id);
            solution = await AddProjectAsync(solution, id, project, cancellationToken).ConfigureAwait(false);
        }

        solution = AddProjectReferences(solution, primaryId, state, projectIds);
        foreach (var (name, project) in state.AdditionalProjects)
        {
            solution = AddProjectReferences(solution, projectIds[name], project, projectIds);
        }

#pragma warning disable CS0618 // OptionSet is what OptionsTransforms is typed on (same as roslyn-sdk).
        foreach (var transform in OptionsTransforms)
        {
            solution = solution.WithOptions(transform(solution.Options));
        }
#pragma warning restore CS0618

        foreach (var transform in SolutionTransforms)
        {
            solution = transform(solution, primaryId);
        }

        foreach (var id in projectIds.Values)
        {
            solution = ApplyCompilationOptions(solution.GetProject(id)!).Solution;
        }

        var primary = solution.GetProject(primaryId)!;
        verifier.Equal(state.Sources.Count, primary.Documents.Count(), "Amount of sources did not match amount of Documents created");
        return primary;
    }

    private async Task<Solution> AddProjectAsync(Solution solution, ProjectId projectId, ProjectState state, CancellationToken cancellationToken)
    {
        var referenceAssemblies = state.ReferenceAssemblies ?? ReferenceAssemblies;
        var compilationOptions = CreateCompilationOptions()
            .WithXmlReferenceResolver(new TestXmlReferenceResolver(XmlReferences))
            .WithAssemblyIdentityComparer(referenceAssemblies.AssemblyIdentityComparer);
        if (state.OutputKind is { } outputKind)
        {
            compilationOptions = compilationOptions.WithOutputKind(outputKind);
        }

        var parseOptions = CreateParseOptions();
        if (state.DocumentationMode is { } documentationMode)
        {
            parseOptions = parseOptions.WithDocumentationMode(documentationMode);
        }

        var references = await referenceAssemblies.ResolveAsync(state.Language, cancellationToken).ConfigureAwait(false);
        solution = solution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Create(),
            name: state.Name,
            assemblyName: state.AssemblyName,
            language: state.Language,
            compilationOptions: compilationOptions,
            parseOptions: parseOptions,
            metadataReferences: references.AddRange(state.AdditionalReferences)));

        foreach (var (path, text) in state.Sources)
        {
            solution = solution.AddDocument(CreateDocumentInfo(projectId, state, path, text));
        }

        foreach (var (path, text) in state.AdditionalFiles)
        {
            solution = solution.AddAdditionalDocument(CreateDocumentInfo(projectId, state, path, text));
        }

        if (state.AnalyzerConfigFiles.Count > 0)
        {
            solution = solution.AddAnalyzerConfigDocuments(state.AnalyzerConfigFiles.Select(file => CreateDocumentInfo(projectId, state, file.filename, file.content)).ToImmutableArray());
        }

        return solution;
    }

    private static Solution AddProjectReferences(Solution solution, ProjectId projectId, ProjectState state, Dictionary<string, ProjectId> projectIds)
    {
        foreach (var name in state.AdditionalProjectReferences)
        {
            if (!projectIds.TryGetValue(name, out var referencedId))
            {
                throw new InvalidOperationException($"Project '{state.Name}' references '{name}', which is not one of the additional projects.");
            }

            solution = solution.AddProjectReference(projectId, new ProjectReference(referencedId));
        }

        return solution;
    }

    /// <summary>
    /// Describes a file at <paramref name="path"/>: its name is the file name and its folders are the directories
    /// between the project folder ("/0/") and the file, as for a file in a real project.
    /// </summary>
    private static DocumentInfo CreateDocumentInfo(ProjectId projectId, ProjectState state, string path, SourceText text)
    {
        var projectFolder = state.DefaultPrefix[..(state.DefaultPrefix.LastIndexOf('/') + 1)];
        var relative = projectFolder.Length > 0 && path.StartsWith(projectFolder, StringComparison.Ordinal) ? path[projectFolder.Length..] : Path.GetFileName(path);
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return DocumentInfo.Create(
            DocumentId.CreateNewId(projectId, debugName: path),
            name: parts.Length > 0 ? parts[^1] : path,
            folders: parts.Take(parts.Length - 1).ToImmutableArray(),
            sourceCodeKind: SourceCodeKind.Regular,
            loader: TextLoader.From(TextAndVersion.Create(text, VersionStamp.Create(), path)),
            filePath: path);
    }

    private static ReportDiagnostic ToReportDiagnostic(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => ReportDiagnostic.Error,
        DiagnosticSeverity.Warning => ReportDiagnostic.Warn,
        DiagnosticSeverity.Info => ReportDiagnostic.Info,
        _ => ReportDiagnostic.Hidden,
    };
}
