using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Microsoft.CodeAnalysis.Testing;

// Fix All in one scope: the first fixable diagnostic selects the code action (by index/equivalence key, as in
// iterative fixing); its provider's Fix All provider then fixes every diagnostic with that action's equivalence key
// in the scope. Repeated while it still changes something, as the user would press Fix All again.
public abstract partial class CodeFixTest<TVerifier>
{
    private async Task<FixOutcome> FixAllAsync(FixAllScope scope, Project project, IterationLimit limit, IVerifier verifier, CancellationToken cancellationToken)
    {
        var analyzers = GetDiagnosticAnalyzers().ToImmutableArray();
        var fixers = GetCodeFixProviders().ToImmutableArray();
        var computeNonLocal = !CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.SkipLocalDiagnosticCheck);
        var what = $"Fix All in {scope.ToString().ToLowerInvariant()}";
        var iterations = 0;
        var previous = default(ImmutableArray<(Project Project, Diagnostic Diagnostic)>);
        while (true)
        {
            var run = await GetSortedDiagnosticsAsync(project.Solution, analyzers, CompilerDiagnostics, computeNonLocal, cancellationToken).ConfigureAwait(false);
            if (run.Diagnostics.IsEmpty || SameDiagnostics(previous, run.Diagnostics))
            {
                break;
            }

            previous = run.Diagnostics;
            var trigger = await FindTriggerAsync(run, project.Solution, fixers, iterations, verifier, cancellationToken).ConfigureAwait(false);
            var fixAllProvider = trigger?.Provider.GetFixAllProvider();
            if (trigger is not { } found || fixAllProvider is null || !fixAllProvider.GetSupportedFixAllScopes().Contains(scope))
            {
                break;
            }

            VerifyDiagnosticIsLocal(found.Diagnostic, run, verifier);
            var document = project.Solution.GetDocument(found.Diagnostic.Location.SourceTree)!;
            var context = new FixAllContext(
                document,
                found.Provider,
                scope,
                found.Action.EquivalenceKey,
                GetFixAllDiagnosticIds(project, fixers),
                new TestDiagnosticProvider(run.Diagnostics),
                cancellationToken);
            var fixAllAction = await fixAllProvider.GetFixAsync(context).ConfigureAwait(false);
            if (fixAllAction is null)
            {
                break;
            }

            iterations++;
            var fixedProject = await ApplyCodeActionAsync(document.Project, fixAllAction, verifier, cancellationToken).ConfigureAwait(false);
            if (fixedProject == document.Project || CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.FixOne))
            {
                project = fixedProject.Solution.GetProject(project.Id)!;
                break;
            }

            project = fixedProject.Solution.GetProject(project.Id)!;
            if (iterations > limit.Maximum)
            {
                return new FixOutcome(project, limit.Runaway(iterations, what), IsRunaway: true);
            }
        }

        return new FixOutcome(project, limit.Check(iterations, what), IsRunaway: false);
    }

    /// <summary>Finds the first fixable diagnostic that offers the selected action, with the action and its provider.</summary>
    private async Task<(Diagnostic Diagnostic, CodeAction Action, CodeFixProvider Provider)?> FindTriggerAsync(DiagnosticRun run, Solution solution, ImmutableArray<CodeFixProvider> fixers, int iteration, IVerifier verifier, CancellationToken cancellationToken)
    {
        foreach (var diagnostic in GetDiagnosticsToFix(run, solution, fixers))
        {
            var document = solution.GetDocument(diagnostic.Location.SourceTree)!;
            var actions = await GetCodeActionsAsync(document, diagnostic, fixers, cancellationToken).ConfigureAwait(false);
            var action = TryGetCodeActionToApply(iteration, actions.Select(item => item.Action).ToImmutableArray(), CodeActionIndex, CodeActionEquivalenceKey, CodeActionVerifier, verifier);
            if (action is not null)
            {
                return (diagnostic, action, actions.First(item => item.Action == action).Provider);
            }
        }

        return null;
    }
}
