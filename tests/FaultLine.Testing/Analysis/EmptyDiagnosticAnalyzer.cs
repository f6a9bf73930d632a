using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>An analyzer that reports nothing; for testing code fixes of compiler diagnostics.</summary>
#pragma warning disable RS1001 // Used directly by tests, never loaded by a compiler.
public sealed class EmptyDiagnosticAnalyzer : DiagnosticAnalyzer
#pragma warning restore RS1001
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray<DiagnosticDescriptor>.Empty;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
    }
}
