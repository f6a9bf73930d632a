using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Static entry points for testing an analyzer and its code fix with a given test type.</summary>
/// <typeparam name="TAnalyzer">The analyzer.</typeparam>
/// <typeparam name="TCodeFix">The code fix provider.</typeparam>
/// <typeparam name="TTest">The test type, e.g. <c>CSharpCodeFixTest&lt;TAnalyzer, TCodeFix, TVerifier&gt;</c>.</typeparam>
/// <typeparam name="TVerifier">The verifier.</typeparam>
public class CodeFixVerifier<TAnalyzer, TCodeFix, TTest, TVerifier> : AnalyzerVerifier<TAnalyzer, TTest, TVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
    where TTest : CodeFixTest<TVerifier>, new()
    where TVerifier : IVerifier, new()
{
    /// <summary>Runs a code fix test with no diagnostics besides those in markup.</summary>
    /// <param name="source">The input, which may contain markup.</param>
    /// <param name="fixedSource">The expected output.</param>
    /// <returns>A task that completes when the test passed.</returns>
    public static Task VerifyCodeFixAsync(string source, string fixedSource)
        => VerifyCodeFixAsync(source, DiagnosticResult.EmptyDiagnosticResults, fixedSource);

    /// <summary>Runs a code fix test with one expected diagnostic besides those in markup.</summary>
    /// <param name="source">The input.</param>
    /// <param name="expected">The expected diagnostic.</param>
    /// <param name="fixedSource">The expected output.</param>
    /// <returns>A task that completes when the test passed.</returns>
    public static Task VerifyCodeFixAsync(string source, DiagnosticResult expected, string fixedSource)
        => VerifyCodeFixAsync(source, new[] { expected }, fixedSource);

    /// <summary>Runs a code fix test with the given expected diagnostics besides those in markup.</summary>
    /// <param name="source">The input.</param>
    /// <param name="expected">The expected diagnostics.</param>
    /// <param name="fixedSource">The expected output.</param>
    /// <returns>A task that completes when the test passed.</returns>
    public static Task VerifyCodeFixAsync(string source, DiagnosticResult[] expected, string fixedSource)
    {
        var test = new TTest
        {
            TestCode = source,
            FixedCode = fixedSource,
        };

        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }
}
