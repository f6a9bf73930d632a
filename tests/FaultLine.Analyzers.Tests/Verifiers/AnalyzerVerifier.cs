using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace FaultLine.Analyzers.Tests.Verifiers;

/// <summary>
/// The analyzer verifier every FaultLine analyzer test uses: net10.0 reference assemblies and FaultLine.Runtime
/// as an additional reference, so test code can say <c>using FaultLine;</c> and call <c>Gup.GetUserPages</c>.
/// </summary>
/// <typeparam name="TAnalyzer">The analyzer under test.</typeparam>
public static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpAnalyzerVerifier<TAnalyzer, DefaultVerifier>.Diagnostic(id);

    /// <summary>Verifies <paramref name="source"/> compiled against the runtime.</summary>
    public static Task VerifyAnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>Verifies <paramref name="source"/> compiled without the runtime (nothing may be reported).</summary>
    public static Task VerifyWithoutRuntimeAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test(referenceRuntime: false) { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test()
            : this(referenceRuntime: true)
        {
        }

        public Test(bool referenceRuntime)
        {
            ReferenceAssemblies = ReferenceAssemblies.Net.Net100;
            if (referenceRuntime)
            {
                TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
            }
        }
    }
}
