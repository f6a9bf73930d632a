using System.Threading.Tasks;
using FaultLine.Testing.Tests.Toys;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using VerifyCS = Microsoft.CodeAnalysis.CSharp.Testing.CSharpCodeFixVerifier<
    FaultLine.Testing.Tests.Toys.BadIdentifierAnalyzer,
    FaultLine.Testing.Tests.Toys.RenameToGoodFixer,
    Microsoft.CodeAnalysis.Testing.DefaultVerifier>;

namespace FaultLine.Testing.Tests;

/// <summary>Code fix tests that must pass: single and iterative fixes, Fix All in every scope, action selection.</summary>
public class CodeFixPassingTests
{
    [Fact]
    public Task SingleFix()
        => VerifyCS.VerifyCodeFixAsync("class C { int [|Bad|]; }", "class C { int Good; }");

    [Fact]
    public Task SingleFixWithExplicitExpectation()
        => VerifyCS.VerifyCodeFixAsync("class C { int Bad; }", VerifyCS.Diagnostic().WithSpan(1, 15, 1, 18).WithArguments("Bad"), "class C { int Good; }");

    [Fact]
    public Task IterativeFixesAndFixAllInOneDocument()
        => VerifyCS.VerifyCodeFixAsync(
            """
            class C
            {
                int [|BadA|];
                int [|BadB|];
            }
            """,
            """
            class C
            {
                int GoodA;
                int GoodB;
            }
            """);

    [Fact]
    public Task FixAllAcrossTwoDocuments()
        => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestState = { Sources = { "class C { int [|BadA|]; }", "class D { int [|BadB|]; }" } },
            FixedState = { Sources = { "class C { int GoodA; }", "class D { int GoodB; }" } },
        }.RunAsync();

    [Fact]
    public Task ActionSelectedByEquivalenceKey()
        => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|BadA|]; int [|BadB|]; }",
            FixedCode = "class C { int FineA; int FineB; }",
            CodeActionEquivalenceKey = RenameToGoodFixer.FineKey,
        }.RunAsync();

    [Fact]
    public Task ActionSelectedByIndexAndKeyTogether()
        => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|Bad|]; }",
            FixedCode = "class C { int Fine; }",
            CodeActionIndex = 1,
            CodeActionEquivalenceKey = RenameToGoodFixer.FineKey,
        }.RunAsync();

    [Fact]
    public Task FixOneFixesOnlyTheFirstDiagnostic()
        => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|BadA|]; int [|BadB|]; }",

            // The remaining diagnostic is expected in the output, so markup there must count.
            FixedState = { Sources = { "class C { int GoodA; int [|BadB|]; }" }, MarkupHandling = MarkupMode.Allow },
            BatchFixedCode = "class C { int GoodA; int GoodB; }",
            CodeFixTestBehaviors = CodeFixTestBehaviors.FixOne,
            NumberOfIncrementalIterations = 1,
        }.RunAsync();

    [Fact]
    public Task NonFixableMarkupInFixedCodeStaysExpected()
        => VerifyCS.VerifyCodeFixAsync(
            "class C { int [|Bad|]; int M() => {|CS0103:Undefined|}; }",
            "class C { int Good; int M() => {|CS0103:Undefined|}; }");

    [Fact]
    public Task FixableMarkupInFixedCodeIsIgnored()
        => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            // Fixed code defaults to MarkupMode.IgnoreFixable: markup for a fixable ID is stripped and expects nothing
            // (under MarkupMode.Allow this would expect TOY001 on "Good" and fail).
            TestCode = "class C { int [|Bad|]; }",
            FixedCode = "class C { int [|Good|]; }",
        }.RunAsync();

    [Fact]
    public Task ValidationModeNoneAcceptsTreesThatDoNotRoundTrip()
        => new CSharpCodeFixTest<BadIdentifierAnalyzer, DroppedParenthesesFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|Bad|] = 3 * 4; }",
            FixedCode = "class C { int Good = 1 + 2 * 4; }",
            CodeActionValidationMode = CodeActionValidationMode.None,
        }.RunAsync();

    [Fact]
    public Task NonLocalDiagnosticIsFixableWhenTheCheckIsSkipped()
        => new CSharpCodeFixTest<CompilationEndAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = "class [|BadType|] { }",
            FixedCode = "class GoodType { }",
            CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck,
        }.RunAsync();

    [Fact]
    public Task InputWithoutDiagnosticsStaysUnchanged()
        => VerifyCS.VerifyCodeFixAsync("class C { int Good; }", "class C { int Good; }");
}
