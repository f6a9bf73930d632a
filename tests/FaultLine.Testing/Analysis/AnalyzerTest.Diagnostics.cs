using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Microsoft.CodeAnalysis.Testing;

// Running the analyzers and the compiler over a test solution.
public abstract partial class AnalyzerTest<TVerifier>
{
    /// <summary>
    /// Decides whether a compiler diagnostic takes part in verification; by default those at or above the
    /// <paramref name="compilerDiagnostics"/> level.
    /// </summary>
    /// <param name="diagnostic">The compiler diagnostic.</param>
    /// <param name="compilerDiagnostics">The level in effect.</param>
    /// <returns><see langword="true"/> to include it.</returns>
    protected virtual bool IsCompilerDiagnosticIncluded(Diagnostic diagnostic, CompilerDiagnostics compilerDiagnostics)
        => compilerDiagnostics switch
        {
            CompilerDiagnostics.Errors => diagnostic.Severity >= DiagnosticSeverity.Error,
            CompilerDiagnostics.Warnings => diagnostic.Severity >= DiagnosticSeverity.Warning,
            CompilerDiagnostics.Suggestions => diagnostic.Severity >= DiagnosticSeverity.Info,
            CompilerDiagnostics.All => true,
            _ => false,
        };

    /// <summary>Gets the analyzer options for a project; by default the project's own (additional files, .editorconfig).</summary>
    /// <param name="project">The project.</param>
    /// <returns>The options.</returns>
    protected virtual AnalyzerOptions GetAnalyzerOptions(Project project) => project.AnalyzerOptions;

    /// <summary>
    /// Runs the analyzers over every project of <paramref name="solution"/> and returns the analyzer diagnostics
    /// (AD0001 included) plus the included compiler diagnostics, sorted by path, span, ID and arguments. With
    /// <paramref name="computeNonLocal"/>, also lists the diagnostics reported by compilation(-end) actions.
    /// </summary>
    private protected async Task<DiagnosticRun> GetSortedDiagnosticsAsync(Solution solution, ImmutableArray<DiagnosticAnalyzer> analyzers, CompilerDiagnostics compilerDiagnostics, bool computeNonLocal, CancellationToken cancellationToken)
    {
        var diagnostics = new List<(Project Project, Diagnostic Diagnostic)>();
        var nonLocal = new HashSet<Diagnostic>();
        foreach (var project in solution.Projects)
        {
            var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Project '{project.Name}' does not support compilation.");

            ImmutableArray<Diagnostic> all;
            if (analyzers.IsEmpty)
            {
                all = compilation.GetDiagnostics(cancellationToken);
            }
            else
            {
                // Suppressed diagnostics are reported (flagged IsSuppressed) so suppressors and pragmas can be tested.
                var options = new CompilationWithAnalyzersOptions(GetAnalyzerOptions(project), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: true);
                var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
                all = await withAnalyzers.GetAllDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
                if (computeNonLocal)
                {
                    var result = await withAnalyzers.GetAnalysisResultAsync(cancellationToken).ConfigureAwait(false);
                    nonLocal.UnionWith(result.CompilationDiagnostics.Values.SelectMany(list => list));
                }
            }

            diagnostics.AddRange(all
                .Where(diagnostic => !IsCompilerDiagnostic(diagnostic) || IsCompilerDiagnosticIncluded(diagnostic, compilerDiagnostics))
                .Select(diagnostic => (project, diagnostic)));
        }

        var sorted = diagnostics
            .OrderBy(item => item.Diagnostic.Location.GetLineSpan().Path ?? string.Empty, StringComparer.Ordinal)
            .ThenBy(item => item.Diagnostic.Location.SourceSpan.Start)
            .ThenBy(item => item.Diagnostic.Location.SourceSpan.End)
            .ThenBy(item => item.Diagnostic.Id, StringComparer.Ordinal)
            .ThenBy(item => string.Join("\u0001", DiagnosticArguments.Get(item.Diagnostic)), StringComparer.Ordinal)
            .ToImmutableArray();
        return new DiagnosticRun(sorted, nonLocal);
    }

    private static bool IsCompilerDiagnostic(Diagnostic diagnostic)
        => diagnostic.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.Compiler);

    /// <summary>The sorted diagnostics of one run, with the project each came from.</summary>
    private protected sealed record DiagnosticRun(
        ImmutableArray<(Project Project, Diagnostic Diagnostic)> Diagnostics,
        IReadOnlySet<Diagnostic> NonLocal);
}
