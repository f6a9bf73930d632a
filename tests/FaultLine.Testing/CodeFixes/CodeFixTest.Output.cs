using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

// Comparing the fixed solution with the expected output.
public abstract partial class CodeFixTest<TVerifier>
{
    /// <summary>Compares every file of the fixed solution with the expected state: text (line diff), encoding, checksum, names.</summary>
    private static async Task VerifyOutputAsync(SolutionState expectedState, Project project, IVerifier verifier, CancellationToken cancellationToken)
    {
        await VerifyProjectOutputAsync(expectedState, project, verifier, cancellationToken).ConfigureAwait(false);
        foreach (var (name, expectedProject) in expectedState.AdditionalProjects)
        {
            var actualProject = project.Solution.Projects.SingleOrDefault(candidate => candidate.Name == name);
            verifier.True(actualProject is not null, $"Expected additional project '{name}' is missing from the fixed solution.");
            await VerifyProjectOutputAsync(expectedProject, actualProject!, verifier, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task VerifyProjectOutputAsync(ProjectState expected, Project project, IVerifier verifier, CancellationToken cancellationToken)
    {
        await VerifyFilesAsync("Sources", expected.Sources, project.Documents, verifier, cancellationToken).ConfigureAwait(false);
        await VerifyFilesAsync("AdditionalFiles", expected.AdditionalFiles, project.AdditionalDocuments, verifier, cancellationToken).ConfigureAwait(false);
        await VerifyFilesAsync("AnalyzerConfigFiles", expected.AnalyzerConfigFiles, project.AnalyzerConfigDocuments, verifier, cancellationToken).ConfigureAwait(false);
    }

    private static async Task VerifyFilesAsync(string kind, IReadOnlyList<(string filename, SourceText content)> expected, IEnumerable<TextDocument> actualDocuments, IVerifier verifier, CancellationToken cancellationToken)
    {
        var actual = actualDocuments.ToList();
        verifier.Equal(
            expected.Count,
            actual.Count,
            $"expected {kind} and the fixed project's documents to be equal but {kind} contains '{expected.Count}' documents ({string.Join(", ", expected.Select(file => file.filename))}) "
            + $"and the fixed project contains '{actual.Count}' documents ({string.Join(", ", actual.Select(document => document.FilePath))})");

        foreach (var (filename, content) in expected)
        {
            var document = actual.FirstOrDefault(candidate => candidate.FilePath == filename);
            verifier.True(document is not null, $"expected a document '{filename}' in the fixed project; it has {string.Join(", ", actual.Select(candidate => candidate.FilePath))}");
            var actualText = await document!.GetTextAsync(cancellationToken).ConfigureAwait(false);
            verifier.EqualOrDiff(content.ToString(), actualText.ToString(), $"content of '{filename}' did not match. Diff shown with expected as baseline:");
            verifier.Equal(content.Encoding, actualText.Encoding, $"encoding of '{filename}' was expected to be '{content.Encoding?.WebName}' but was '{actualText.Encoding?.WebName}'");
            verifier.Equal(content.ChecksumAlgorithm, actualText.ChecksumAlgorithm, $"checksum algorithm of '{filename}' was expected to be '{content.ChecksumAlgorithm}' but was '{actualText.ChecksumAlgorithm}'");
        }
    }

    /// <summary>
    /// Fails when the fixed solution has compiler errors the input did not have (compared by ID and message), unless
    /// the expected output declares that ID. This holds even with <see cref="CompilerDiagnostics.None"/>: a fix must
    /// never break the build.
    /// </summary>
    private async Task VerifyNoNewCompilerErrorsAsync(Project input, Project output, SolutionState expectedState, IVerifier verifier, CancellationToken cancellationToken)
    {
        var before = await GetCompilerErrorsAsync(input.Solution, cancellationToken).ConfigureAwait(false);
        var after = await GetCompilerErrorsAsync(output.Solution, cancellationToken).ConfigureAwait(false);
        var declared = expectedState.ExpectedDiagnostics.Select(diagnostic => diagnostic.Id).ToHashSet(StringComparer.Ordinal);

        var remaining = before.Select(Key).ToList();
        var introduced = new List<Diagnostic>();
        foreach (var error in after)
        {
            if (!remaining.Remove(Key(error)) && !declared.Contains(error.Id))
            {
                introduced.Add(error);
            }
        }

        if (introduced.Count > 0)
        {
            verifier.Fail(
                "The code fix introduced new compiler errors:" + Environment.NewLine
                + DiagnosticFormatter.FormatActual(introduced, GetDiagnosticAnalyzers().ToImmutableArray(), DefaultFilePath));
        }

        static string Key(Diagnostic diagnostic) => diagnostic.Id + ": " + diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<Diagnostic>> GetCompilerErrorsAsync(Solution solution, CancellationToken cancellationToken)
    {
        var errors = new List<Diagnostic>();
        foreach (var project in solution.Projects)
        {
            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false);
            errors.AddRange(compilation!.GetDiagnostics(cancellationToken).Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));
        }

        return errors;
    }
}
