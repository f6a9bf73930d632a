using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Microsoft.CodeAnalysis.Testing;

// Iterative fixing: one code action at a time, re-analysing after each, until nothing fixable is left.
public abstract partial class CodeFixTest<TVerifier>
{
    private async Task<FixOutcome> FixIncrementallyAsync(Project project, IterationLimit limit, IVerifier verifier, CancellationToken cancellationToken)
    {
        var analyzers = GetDiagnosticAnalyzers().ToImmutableArray();
        var fixers = GetCodeFixProviders().ToImmutableArray();
        var computeNonLocal = !CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.SkipLocalDiagnosticCheck);
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
            var offered = false;
            var changed = false;
            foreach (var diagnostic in GetDiagnosticsToFix(run, project.Solution, fixers))
            {
                var document = project.Solution.GetDocument(diagnostic.Location.SourceTree)!;
                var actions = await GetCodeActionsAsync(document, diagnostic, fixers, cancellationToken).ConfigureAwait(false);
                var action = TryGetCodeActionToApply(iterations, actions.Select(item => item.Action).ToImmutableArray(), CodeActionIndex, CodeActionEquivalenceKey, CodeActionVerifier, verifier);
                if (action is null)
                {
                    continue;
                }

                VerifyDiagnosticIsLocal(diagnostic, run, verifier);
                offered = true;
                var fixedProject = await ApplyCodeActionAsync(document.Project, action, verifier, cancellationToken).ConfigureAwait(false);
                if (fixedProject != document.Project)
                {
                    project = fixedProject.Solution.GetProject(project.Id)!;
                    changed = true;
                    break;
                }
            }

            // A pass in which an action was offered counts, even if it changed nothing (as in roslyn-sdk).
            if (!offered)
            {
                break;
            }

            iterations++;
            if (!changed || CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.FixOne))
            {
                break;
            }

            if (iterations > limit.Maximum)
            {
                return new FixOutcome(project, limit.Runaway(iterations, "code fix"), IsRunaway: true);
            }
        }

        return new FixOutcome(project, limit.Check(iterations, "code fix"), IsRunaway: false);
    }
}
