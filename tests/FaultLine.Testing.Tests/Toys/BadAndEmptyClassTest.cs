using System.Collections.Generic;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>An analyzer test running <see cref="BadIdentifierAnalyzer"/> and <see cref="EmptyClassAnalyzer"/> together.</summary>
public sealed class BadAndEmptyClassTest : CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
{
    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers()
    {
        yield return new BadIdentifierAnalyzer();
        yield return new EmptyClassAnalyzer();
    }
}
