using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Microsoft.CodeAnalysis.CSharp.Testing;

/// <summary>
/// Static entry points for C# analyzer tests, usually aliased as <c>VerifyCS</c>:
/// <code>
/// using VerifyCS = Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerVerifier&lt;MyAnalyzer, DefaultVerifier&gt;;
/// await VerifyCS.VerifyAnalyzerAsync("class [|Bad|] { }");
/// </code>
/// </summary>
/// <typeparam name="TAnalyzer">The analyzer.</typeparam>
/// <typeparam name="TVerifier">The verifier.</typeparam>
public class CSharpAnalyzerVerifier<TAnalyzer, TVerifier> : AnalyzerVerifier<TAnalyzer, CSharpAnalyzerTest<TAnalyzer, TVerifier>, TVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TVerifier : IVerifier, new()
{
}
