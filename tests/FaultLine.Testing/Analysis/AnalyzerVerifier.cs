using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Static entry points for testing one analyzer with a given test type.</summary>
/// <typeparam name="TAnalyzer">The analyzer.</typeparam>
/// <typeparam name="TTest">The test type, e.g. <c>CSharpAnalyzerTest&lt;TAnalyzer, TVerifier&gt;</c>.</typeparam>
/// <typeparam name="TVerifier">The verifier.</typeparam>
public class AnalyzerVerifier<TAnalyzer, TTest, TVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TTest : AnalyzerTest<TVerifier>, new()
    where TVerifier : IVerifier, new()
{
    /// <summary>Creates an expectation for the analyzer's only descriptor.</summary>
    /// <returns>The expectation (add a location with <c>WithSpan</c>/<c>WithLocation</c>).</returns>
    public static DiagnosticResult Diagnostic()
    {
        var descriptors = new TAnalyzer().SupportedDiagnostics;
        if (descriptors.Length != 1)
        {
            throw new InvalidOperationException(
                $"'{nameof(Diagnostic)}()' can only be used when the analyzer has a single supported diagnostic; {typeof(TAnalyzer).Name} has {descriptors.Length}. Use '{nameof(Diagnostic)}(string)' or '{nameof(Diagnostic)}(DiagnosticDescriptor)'.");
        }

        return new DiagnosticResult(descriptors[0]);
    }

    /// <summary>Creates an expectation for the analyzer's descriptor with the given ID.</summary>
    /// <param name="diagnosticId">The ID.</param>
    /// <returns>The expectation.</returns>
    public static DiagnosticResult Diagnostic(string diagnosticId)
    {
        var descriptors = new TAnalyzer().SupportedDiagnostics.Where(descriptor => descriptor.Id == diagnosticId).ToList();
        if (descriptors.Count != 1)
        {
            throw new InvalidOperationException(
                $"'{nameof(Diagnostic)}(\"{diagnosticId}\")' needs exactly one descriptor with that ID; {typeof(TAnalyzer).Name} has {descriptors.Count}. Use '{nameof(Diagnostic)}(DiagnosticDescriptor)'.");
        }

        return new DiagnosticResult(descriptors[0]);
    }

    /// <summary>Creates an expectation for the given descriptor.</summary>
    /// <param name="descriptor">The descriptor.</param>
    /// <returns>The expectation.</returns>
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) => new(descriptor);

    /// <summary>Runs an analyzer test on one source (which may contain markup) with the given extra expectations.</summary>
    /// <param name="source">The source.</param>
    /// <param name="expected">The expectations besides those in markup.</param>
    /// <returns>A task that completes when the test passed.</returns>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new TTest { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }
}
