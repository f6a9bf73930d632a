using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Microsoft.CodeAnalysis.CSharp.Testing;

/// <summary>
/// Static entry points for C# code fix tests, usually aliased as <c>VerifyCS</c>:
/// <code>
/// using VerifyCS = Microsoft.CodeAnalysis.CSharp.Testing.CSharpCodeFixVerifier&lt;MyAnalyzer, MyFix, DefaultVerifier&gt;;
/// await VerifyCS.VerifyCodeFixAsync("class [|Bad|] { }", "class Good { }");
/// </code>
/// </summary>
/// <typeparam name="TAnalyzer">The analyzer.</typeparam>
/// <typeparam name="TCodeFix">The code fix provider.</typeparam>
/// <typeparam name="TVerifier">The verifier.</typeparam>
public class CSharpCodeFixVerifier<TAnalyzer, TCodeFix, TVerifier> : CodeFixVerifier<TAnalyzer, TCodeFix, CSharpCodeFixTest<TAnalyzer, TCodeFix, TVerifier>, TVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
    where TVerifier : IVerifier, new()
{
}
