using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// What code fix (and refactoring) tests share: choosing the code action to apply, applying it, and checking that
/// the syntax tree it produced is the tree its text parses to.
/// </summary>
/// <typeparam name="TVerifier">The verifier.</typeparam>
public abstract class CodeActionTest<TVerifier> : AnalyzerTest<TVerifier>
    where TVerifier : IVerifier, new()
{
    /// <summary>
    /// Gets or sets the index of the code action to apply among those offered (nested actions flattened).
    /// With <see cref="CodeActionEquivalenceKey"/> too, both must name the same action.
    /// </summary>
    public int? CodeActionIndex { get; set; }

    /// <summary>Gets or sets the <see cref="CodeAction.EquivalenceKey"/> of the code action to apply.</summary>
    public string? CodeActionEquivalenceKey { get; set; }

    /// <summary>Gets or sets an extra check of the selected code action (title, tags, ...).</summary>
    public Action<CodeAction, IVerifier>? CodeActionVerifier { get; set; }

    /// <summary>Gets or sets how the code action's syntax tree is validated; default <see cref="CodeActionValidationMode.SemanticStructure"/>.</summary>
    public CodeActionValidationMode CodeActionValidationMode { get; set; } = CodeActionValidationMode.SemanticStructure;

    /// <summary>Gets the language's <c>SyntaxKind</c> enum, used to print syntax trees in failure messages.</summary>
    public abstract Type SyntaxKindType { get; }

    /// <summary>Whether a state describes an expected output at all (anything set on it).</summary>
    /// <param name="state">The state.</param>
    /// <returns><see langword="true"/> if the test set something on it.</returns>
    protected static bool CodeActionExpected(SolutionState state)
        => state.InheritanceMode is not null
            || state.MarkupHandling is not null
            || state.Sources.Count > 0
            || state.AdditionalFiles.Count > 0
            || state.AnalyzerConfigFiles.Count > 0
            || state.AdditionalFilesFactories.Count > 0;

    /// <summary>Whether the files of two states differ (with <paramref name="recursive"/>, additional projects' too).</summary>
    /// <param name="oldState">The input state.</param>
    /// <param name="newState">The output state.</param>
    /// <param name="recursive">Whether to compare additional projects.</param>
    /// <returns><see langword="true"/> if anything differs.</returns>
    protected static bool HasAnyChange(ProjectState oldState, ProjectState newState, bool recursive)
    {
        if (!SolutionState.ContentEqual(oldState.Sources, newState.Sources)
            || !SolutionState.ContentEqual(oldState.AdditionalFiles, newState.AdditionalFiles)
            || !SolutionState.ContentEqual(oldState.AnalyzerConfigFiles, newState.AnalyzerConfigFiles))
        {
            return true;
        }

        if (!recursive || oldState is not SolutionState oldSolution || newState is not SolutionState newSolution)
        {
            return false;
        }

        if (oldSolution.AdditionalProjects.Count != newSolution.AdditionalProjects.Count)
        {
            return true;
        }

        return oldSolution.AdditionalProjects.Any(pair =>
            !newSolution.AdditionalProjects.TryGetValue(pair.Key, out var newProject) || HasAnyChange(pair.Value, newProject, recursive: true));
    }

    /// <summary>
    /// Selects the action to apply: by index and key together (they must agree), by key, by index, or the first.
    /// After the first iteration a missing key is not an error: the remaining diagnostics may simply not offer it.
    /// </summary>
    /// <param name="iteration">The 0-based fix iteration.</param>
    /// <param name="actions">The offered actions, flattened.</param>
    /// <param name="codeActionIndex">The requested index.</param>
    /// <param name="codeActionEquivalenceKey">The requested equivalence key.</param>
    /// <param name="codeActionVerifier">An extra check of the selected action.</param>
    /// <param name="verifier">The verifier.</param>
    /// <returns>The action, or <see langword="null"/> if none applies.</returns>
    protected static CodeAction? TryGetCodeActionToApply(int iteration, ImmutableArray<CodeAction> actions, int? codeActionIndex, string? codeActionEquivalenceKey, Action<CodeAction, IVerifier>? codeActionVerifier, IVerifier verifier)
    {
        CodeAction? result;
        if (codeActionIndex is { } index && codeActionEquivalenceKey is not null)
        {
            if (iteration > 0 && !actions.Any(action => action.EquivalenceKey == codeActionEquivalenceKey))
            {
                return null;
            }

            verifier.True(actions.Length > index, $"Expected to find a code action at index '{index}', but only '{actions.Length}' code actions were found.");
            verifier.Equal(codeActionEquivalenceKey, actions[index].EquivalenceKey, $"The code action equivalence key and index must be consistent when both are specified: the action at index {index} has key '{actions[index].EquivalenceKey}', not '{codeActionEquivalenceKey}'.");
            result = actions[index];
        }
        else if (codeActionEquivalenceKey is not null)
        {
            result = actions.FirstOrDefault(action => action.EquivalenceKey == codeActionEquivalenceKey);
        }
        else if (actions.Length > (codeActionIndex ?? 0))
        {
            result = actions[codeActionIndex ?? 0];
        }
        else
        {
            return null;
        }

        if (result is not null)
        {
            codeActionVerifier?.Invoke(result, verifier);
        }

        return result;
    }

    /// <summary>Flattens nested actions (a menu of choices) into one list, as the IDE presents them.</summary>
    /// <param name="actions">The offered actions.</param>
    /// <returns>The flattened list.</returns>
    protected virtual ImmutableArray<CodeAction> FilterCodeActions(ImmutableArray<CodeAction> actions)
    {
        var result = ImmutableArray.CreateBuilder<CodeAction>();
        foreach (var action in actions)
        {
            var nested = action.NestedActions;
            if (nested.IsDefaultOrEmpty)
            {
                result.Add(action);
            }
            else
            {
                result.AddRange(FilterCodeActions(nested));
            }
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// Applies a code action and returns the project from the changed solution (the same instance if nothing
    /// changed). Every changed document is validated (<see cref="CodeActionValidationMode"/>) and then replaced by
    /// a fresh parse of its text, so later iterations see what a user opening the file would see.
    /// </summary>
    /// <param name="project">The project the action was computed for.</param>
    /// <param name="codeAction">The action.</param>
    /// <param name="verifier">The verifier.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated project.</returns>
    protected async Task<Project> ApplyCodeActionAsync(Project project, CodeAction codeAction, IVerifier verifier, CancellationToken cancellationToken)
    {
        var operations = await codeAction.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
        var applyOperations = operations.OfType<ApplyChangesOperation>().ToList();
        verifier.Equal(1, applyOperations.Count, $"Expected the code action '{codeAction.Title}' to produce exactly one {nameof(ApplyChangesOperation)}, but it produced {applyOperations.Count}.");

        var oldSolution = project.Solution;
        var newSolution = applyOperations[0].ChangedSolution;
        var changedDocuments = GetChangedDocumentIds(oldSolution, newSolution);
        if (changedDocuments.Count == 0 && !HasNonDocumentChanges(oldSolution, newSolution))
        {
            return project;
        }

        foreach (var documentId in changedDocuments)
        {
            var document = newSolution.GetDocument(documentId)!;
            var tree = await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false);
            var text = await document.GetTextAsync(cancellationToken).ConfigureAwait(false);
            if (tree is not null && CodeActionValidationMode != CodeActionValidationMode.None)
            {
                SyntaxTreeValidation.Validate(tree, text, CodeActionValidationMode, SyntaxKindType, codeAction.Title, verifier, cancellationToken);
            }

            newSolution = newSolution.WithDocumentText(documentId, SourceText.From(text.ToString(), text.Encoding, text.ChecksumAlgorithm));
        }

        return newSolution.GetProject(project.Id) ?? throw new InvalidOperationException($"The code action '{codeAction.Title}' removed project '{project.Name}'.");
    }

    private static List<DocumentId> GetChangedDocumentIds(Solution oldSolution, Solution newSolution)
        => newSolution.GetChanges(oldSolution).GetProjectChanges()
            .SelectMany(change => change.GetChangedDocuments(onlyGetDocumentsWithTextChanges: true).Concat(change.GetAddedDocuments()))
            .ToList();

    private static bool HasNonDocumentChanges(Solution oldSolution, Solution newSolution)
    {
        var changes = newSolution.GetChanges(oldSolution);
        return changes.GetAddedProjects().Any()
            || changes.GetRemovedProjects().Any()
            || changes.GetProjectChanges().Any(change =>
                change.GetRemovedDocuments().Any()
                || change.GetAddedAdditionalDocuments().Any()
                || change.GetChangedAdditionalDocuments().Any()
                || change.GetRemovedAdditionalDocuments().Any()
                || change.GetAddedAnalyzerConfigDocuments().Any()
                || change.GetChangedAnalyzerConfigDocuments().Any()
                || change.GetRemovedAnalyzerConfigDocuments().Any()
                || change.GetAddedMetadataReferences().Any()
                || change.GetRemovedMetadataReferences().Any()
                || change.GetAddedProjectReferences().Any()
                || change.GetRemovedProjectReferences().Any());
    }
}
