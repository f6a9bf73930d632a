using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace FaultLine.Analyzers.Tests.Verifiers;

/// <summary>
/// The code-fix verifier every FaultLine fix test uses: as <see cref="AnalyzerVerifier{TAnalyzer}"/>, plus the
/// fix applied to a fixed point and by Fix All in document, project and solution scope, each result compared
/// with the expected text, compiled, and re-parsed.
/// </summary>
/// <typeparam name="TAnalyzer">The analyzer that reports the diagnostic.</typeparam>
/// <typeparam name="TCodeFix">The fix under test.</typeparam>
public static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpCodeFixVerifier<TAnalyzer, TCodeFix, DefaultVerifier>.Diagnostic(id);

    /// <summary>Verifies that <paramref name="source"/> reports <paramref name="expected"/> and that the fix turns it into <paramref name="fixedSource"/>.</summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>As above, choosing the code action by its equivalence key (rules with several fixes).</summary>
    public static Task VerifyCodeFixAsync(string source, string fixedSource, string equivalenceKey, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, FixedCode = fixedSource, CodeActionEquivalenceKey = equivalenceKey };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = ReferenceAssemblies.Net.Net100;
            TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
        }
    }
}
