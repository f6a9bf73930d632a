using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Gives a Fix All provider the diagnostics the test already computed for the current solution, instead of letting
/// it run analysis again (which a test harness would have to wire up through IDE services).
/// </summary>
internal sealed class TestDiagnosticProvider : FixAllContext.DiagnosticProvider
{
    private readonly ImmutableArray<(Project Project, Diagnostic Diagnostic)> _diagnostics;

    public TestDiagnosticProvider(ImmutableArray<(Project Project, Diagnostic Diagnostic)> diagnostics)
    {
        _diagnostics = diagnostics;
    }

    public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
        => Task.FromResult(InProject(project).ToList().AsEnumerable());

    public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
        => Task.FromResult(InProject(document.Project)
            .Where(diagnostic => diagnostic.Location.IsInSource && diagnostic.Location.SourceTree?.FilePath == document.FilePath)
            .ToList()
            .AsEnumerable());

    public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
        => Task.FromResult(InProject(project).Where(diagnostic => !diagnostic.Location.IsInSource).ToList().AsEnumerable());

    private IEnumerable<Diagnostic> InProject(Project project)
        => _diagnostics.Where(item => item.Project.Id == project.Id).Select(item => item.Diagnostic);
}
