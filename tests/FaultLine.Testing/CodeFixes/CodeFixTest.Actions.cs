using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Microsoft.CodeAnalysis.Testing;

// What both fixing loops need: which diagnostics are fixable, which actions they offer, and when to stop.
public abstract partial class CodeFixTest<TVerifier>
{
    /// <summary>The diagnostics some provider can fix, in sorted order; narrowed to one under <see cref="CodeFixTestBehaviors.FixOne"/>.</summary>
    private ImmutableArray<Diagnostic> GetDiagnosticsToFix(DiagnosticRun run, Solution solution, ImmutableArray<CodeFixProvider> fixers)
    {
        var fixable = run.Diagnostics
            .Select(item => item.Diagnostic)
            .Where(diagnostic => fixers.Any(fixer => fixer.FixableDiagnosticIds.Contains(diagnostic.Id)))
            .Where(diagnostic => solution.GetDocument(diagnostic.Location.SourceTree) is not null)
            .ToImmutableArray();

        if (CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.FixOne))
        {
            var selected = TrySelectDiagnosticToFix(fixable);
            return selected is null ? ImmutableArray<Diagnostic>.Empty : ImmutableArray.Create(selected);
        }

        return fixable;
    }

    /// <summary>Asks every provider that fixes the diagnostic's ID for its actions; nested actions are flattened.</summary>
    private async Task<ImmutableArray<(CodeAction Action, CodeFixProvider Provider)>> GetCodeActionsAsync(Document document, Diagnostic diagnostic, ImmutableArray<CodeFixProvider> fixers, CancellationToken cancellationToken)
    {
        var result = ImmutableArray.CreateBuilder<(CodeAction Action, CodeFixProvider Provider)>();
        foreach (var fixer in fixers.Where(fixer => fixer.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            var registered = ImmutableArray.CreateBuilder<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => registered.Add(action), cancellationToken);
            await fixer.RegisterCodeFixesAsync(context).ConfigureAwait(false);
            result.AddRange(FilterCodeActions(registered.ToImmutable()).Select(action => (action, fixer)));
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// Fails when a fix is offered for a diagnostic reported by a compilation(-end) action: Roslyn treats it as
    /// non-local, so the IDE, which analyses one document at a time, would never show the fix.
    /// </summary>
    private void VerifyDiagnosticIsLocal(Diagnostic diagnostic, DiagnosticRun run, IVerifier verifier)
    {
        if (!CodeFixTestBehaviors.HasFlag(CodeFixTestBehaviors.SkipLocalDiagnosticCheck) && run.NonLocal.Contains(diagnostic))
        {
            verifier.Fail(
                $"Code fix is attempting to provide a fix for a non-local analyzer diagnostic: {diagnostic}{System.Environment.NewLine}"
                + "It is reported by a compilation or compilation-end action, so document analysis in the IDE never produces it and the fix is never offered. "
                + "Report it from a syntax, symbol or operation action, or set CodeFixTestBehaviors.SkipLocalDiagnosticCheck.");
        }
    }

    /// <summary>Whether two runs reported the same diagnostics: then fixing made no progress and the loop stops.</summary>
    private static bool SameDiagnostics(ImmutableArray<(Project Project, Diagnostic Diagnostic)> previous, ImmutableArray<(Project Project, Diagnostic Diagnostic)> current)
    {
        if (previous.IsDefault || previous.Length != current.Length)
        {
            return false;
        }

        for (var i = 0; i < current.Length; i++)
        {
            var a = previous[i].Diagnostic;
            var b = current[i].Diagnostic;
            if (a.Id != b.Id
                || a.Location.GetLineSpan() != b.Location.GetLineSpan()
                || a.GetMessage(System.Globalization.CultureInfo.InvariantCulture) != b.GetMessage(System.Globalization.CultureInfo.InvariantCulture))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The IDs a Fix All may fix: the analyzers' and the fixable compiler IDs, minus those switched off.</summary>
    private IEnumerable<string> GetFixAllDiagnosticIds(Project project, ImmutableArray<CodeFixProvider> fixers)
    {
        var analyzerIds = GetDiagnosticAnalyzers().SelectMany(analyzer => analyzer.SupportedDiagnostics).Select(descriptor => descriptor.Id);
        var compilerIds = fixers.SelectMany(fixer => fixer.FixableDiagnosticIds)
            .Where(id => id.StartsWith("CS", System.StringComparison.Ordinal) || id.StartsWith("BC", System.StringComparison.Ordinal));
        var disabled = project.CompilationOptions!.SpecificDiagnosticOptions.Where(pair => pair.Value == ReportDiagnostic.Suppress).Select(pair => pair.Key);
        return analyzerIds.Concat(compilerIds).Except(disabled).Distinct().ToList();
    }
}
