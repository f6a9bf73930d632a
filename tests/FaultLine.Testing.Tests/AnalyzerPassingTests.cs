using System.Threading.Tasks;
using FaultLine.Testing.Tests.Toys;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using VerifyCS = Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerVerifier<
    FaultLine.Testing.Tests.Toys.BadIdentifierAnalyzer,
    Microsoft.CodeAnalysis.Testing.DefaultVerifier>;

namespace FaultLine.Testing.Tests;

/// <summary>Analyzer tests that must pass: every markup form, explicit expectations, and the test-state options.</summary>
public class AnalyzerPassingTests
{
    [Fact]
    public Task UnnamedSpanMarkup()
        => VerifyCS.VerifyAnalyzerAsync("class C { int [|Bad|]; }");

    [Fact]
    public Task NamedSpanMarkup()
        => VerifyCS.VerifyAnalyzerAsync("class C { int {|TOY001:Bad|}; }");

    [Fact]
    public Task LocationMarkupWithExplicitExpectation()
        => VerifyCS.VerifyAnalyzerAsync("class C { int {|#0:Bad|}; }", VerifyCS.Diagnostic().WithLocation(0).WithArguments("Bad"));

    [Fact]
    public Task PositionMarkup()
        => VerifyCS.VerifyAnalyzerAsync("class C { int $$Bad; }");

    [Fact]
    public Task ExplicitSpanAndArguments()
        => VerifyCS.VerifyAnalyzerAsync("class C { int Bad; }", VerifyCS.Diagnostic().WithSpan(1, 15, 1, 18).WithArguments("Bad"));

    [Fact]
    public Task ExplicitMessage()
        => VerifyCS.VerifyAnalyzerAsync("class C { int Bad; }", VerifyCS.Diagnostic(BadIdentifierAnalyzer.Id).WithSpan(1, 15, 1, 18).WithMessage("Identifier 'Bad' is bad"));

    [Fact]
    public Task MultiLineSourceWithStartOnlyLocation()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            class C
            {
                int Bad;
            }
            """,
            VerifyCS.Diagnostic().WithLocation(3, 9).WithArguments("Bad"));

    [Fact]
    public Task SecondSourceFileIsNamedTest1()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestState =
            {
                Sources = { "class C { }", "class D { int Bad; }" },
                ExpectedDiagnostics = { VerifyCS.Diagnostic().WithSpan("/0/Test1.cs", 1, 15, 1, 18).WithArguments("Bad") },
            },
        }.RunAsync();

    [Fact]
    public Task NestedMarkupOfTwoAnalyzers()
        => new BadAndEmptyClassTest { TestCode = "{|TOY004:class {|TOY001:Bad|} { }|}" }.RunAsync();

    [Fact]
    public Task OverlappingSpansWithKeyedEnd()
        => CSharpAnalyzerVerifier<OverlapAnalyzer, DefaultVerifier>.VerifyAnalyzerAsync(
            "class C { {|#0:int {|#1:x|#0} = 1|}; }",
            CSharpAnalyzerVerifier<OverlapAnalyzer, DefaultVerifier>.Diagnostic("TOY008").WithLocation(0),
            CSharpAnalyzerVerifier<OverlapAnalyzer, DefaultVerifier>.Diagnostic("TOY009").WithLocation(1));

    [Fact]
    public Task DollarDollarAsCodeInRawInterpolatedString()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestCode = "class C { string [|Bad|] = $$\"\"\"{{1}}\"\"\"; }",
            MarkupOptions = MarkupOptions.TreatPositionIndicatorsAsCode,
        }.RunAsync();

    [Fact]
    public Task DisabledByDefaultDescriptorIsEnabled()
        => CSharpAnalyzerVerifier<DisabledByDefaultAnalyzer, DefaultVerifier>.VerifyAnalyzerAsync("class C { void [|M|]() { } }");

    [Fact]
    public Task DisabledDiagnosticsAreNotReported()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestCode = "class C { int Bad; }",
            DisabledDiagnostics = { BadIdentifierAnalyzer.Id },
        }.RunAsync();

    [Fact]
    public Task EditorConfigChangesSeverity()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestState =
            {
                Sources = { "class C { int Bad; }" },
                AnalyzerConfigFiles = { ("/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.TOY001.severity = error\n") },
                ExpectedDiagnostics = { VerifyCS.Diagnostic().WithSpan(1, 15, 1, 18).WithArguments("Bad").WithSeverity(DiagnosticSeverity.Error) },
            },
        }.RunAsync();

    [Fact]
    public Task MarkupInAdditionalFile()
        => new CSharpAnalyzerTest<AdditionalFileAnalyzer, DefaultVerifier>
        {
            TestState =
            {
                Sources = { "class C { }" },
                AdditionalFiles = { ("/0/notes.txt", "some [|Bad|] words") },
            },
        }.RunAsync();

    [Fact]
    public Task DeclaredCompilerErrorInMarkup()
        => VerifyCS.VerifyAnalyzerAsync("class C { int M() => {|CS0103:Undefined|}; }");

    [Fact]
    public Task DeclaredCompilerErrorExplicitly()
        => VerifyCS.VerifyAnalyzerAsync("class C { int M() => Undefined; }", DiagnosticResult.CompilerError("CS0103").WithSpan(1, 22, 1, 31).WithArguments("Undefined"));

    [Fact]
    public Task CompilerDiagnosticsNoneIgnoresCompilerErrors()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestCode = "class C { int M() => Undefined; }",
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync();

    [Fact]
    public Task AdditionalReferenceMakesLibraryVisible()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestState =
            {
                Sources = { "class C { int M() => FaultLine.Testing.Tests.Toys.ToyLibrary.Answer(); }" },
                AdditionalReferences = { MetadataReference.CreateFromFile(typeof(ToyLibrary).Assembly.Location) },
            },
        }.RunAsync();

    [Fact]
    public Task AdditionalProjectWithProjectReference()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestState =
            {
                Sources = { "class C { int M() => new Lib().Field; }" },
                AdditionalProjects = { ["Lib"] = { Sources = { "public class Lib { public int Field; private int [|Bad|]; }" } } },
                AdditionalProjectReferences = { "Lib" },
            },
        }.RunAsync();

    [Fact]
    public Task PragmaInTestCodeIsReportedAsSuppressed()
        => VerifyCS.VerifyAnalyzerAsync(
            """
            #pragma warning disable TOY001
            class C { int Bad; }
            """,
            VerifyCS.Diagnostic().WithSpan(2, 15, 2, 18).WithArguments("Bad").WithIsSuppressed(true));

    [Fact]
    public Task AnalyzerThatReportsInGeneratedCodeOnPurposeIsExempt()
        => CSharpAnalyzerVerifier<GeneratedCodeReportingAnalyzer, DefaultVerifier>.VerifyAnalyzerAsync("class [|BadClass|] { }");

    [Fact]
    public Task SkipGeneratedCodeCheckSkipsIt()
        => new CSharpAnalyzerTest<GeneratedCodeIgnorantAnalyzer, DefaultVerifier>
        {
            TestCode = "class [|BadClass|] { }",
            TestBehaviors = TestBehaviors.SkipGeneratedCodeCheck,
        }.RunAsync();

    [Fact]
    public Task ExplicitReferenceAssemblies()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestCode = "class C { System.Collections.Generic.List<int> [|Bad|] = new(); }",
            ReferenceAssemblies = ReferenceAssemblies.Net.Net100,
        }.RunAsync();
}
