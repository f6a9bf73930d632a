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

/// <summary>Code fix tests that must fail, each with a message that says what went wrong.</summary>
public class CodeFixFailureTests
{
    // The toy fix renames the declaration but not its use, so the fixed code does not compile.
    private const string FieldWithUse = """
        class C
        {
            int [|Bad|];
            int M() => Bad;
        }
        """;

    private const string FieldWithUseFixed = """
        class C
        {
            int Good;
            int M() => Bad;
        }
        """;

    [Fact]
    public async Task FixWhoseResultDoesNotCompile()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyCodeFixAsync(FieldWithUse, FieldWithUseFixed));

        Assert.Contains("Context: Diagnostics of fixed state", message);
        Assert.Contains("error CS0103: The name 'Bad' does not exist in the current context", message);
    }

    [Fact]
    public async Task FixWhoseResultDoesNotCompileFailsEvenWithoutCompilerDiagnostics()
    {
        var message = await Failure.MessageOf(() => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = FieldWithUse,
            FixedCode = FieldWithUseFixed,
            CompilerDiagnostics = CompilerDiagnostics.None,
        }.RunAsync());

        Assert.Contains("Context: Iterative code fix application", message);
        Assert.Contains("The code fix introduced new compiler errors:", message);
        Assert.Contains("CS0103", message);
    }

    [Fact]
    public async Task FixOutputDiffersFromFixedCode()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyCodeFixAsync(
            """
            class C
            {
                int [|Bad|];
            }
            """,
            """
            class C
            {
                int Fine;
            }
            """));

        Assert.Contains("Context: Iterative code fix application", message);
        Assert.Contains("content of '/0/Test0.cs' did not match. Diff shown with expected as baseline:", message);
        Assert.Contains("-    int Fine;", message);
        Assert.Contains("+    int Good;", message);
    }

    [Fact]
    public async Task FixAllResultDiffersFromFixedCode()
    {
        var message = await Failure.MessageOf(() => CSharpCodeFixVerifier<BadIdentifierAnalyzer, WrongKeyFixAllFixer, DefaultVerifier>.VerifyCodeFixAsync(
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
            """));

        Assert.Contains("Context: Fix all in document", message);
        Assert.Contains("-    int GoodA;", message);
        Assert.Contains("+    int FineA;", message);
    }

    [Fact]
    public async Task FixAllThatNeedsMorePassesThanExpected()
    {
        var message = await Failure.MessageOf(() => CSharpCodeFixVerifier<BadIdentifierAnalyzer, FirstOnlyFixAllFixer, DefaultVerifier>.VerifyCodeFixAsync(
            "class C { int [|BadA|]; int [|BadB|]; }",
            "class C { int GoodA; int GoodB; }"));

        Assert.Contains("Context: Fix all in document", message);
        Assert.Contains("Expected '1' iterations but found '2' iterations.", message);
    }

    [Fact]
    public async Task FixThatNeverReachesAFixedPoint()
    {
        // The author expects one rename that leaves a (declared) diagnostic; the fix keeps renaming forever.
        var message = await Failure.MessageOf(() => new CSharpCodeFixTest<BadIdentifierAnalyzer, AppendSuffixFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|Bad|]; }",
            FixedState = { Sources = { "class C { int [|BadX|]; }" }, MarkupHandling = MarkupMode.Allow },
        }.RunAsync());

        Assert.Contains("Context: Iterative code fix application", message);
        Assert.Contains("The upper limit for the number of code fix iterations was exceeded", message);
        Assert.Contains("never reaches a fixed point", message);
    }

    [Fact]
    public async Task ExplicitIterationCountIsExact()
    {
        var message = await Failure.MessageOf(() => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|Bad|]; }",
            FixedCode = "class C { int Good; }",
            NumberOfIncrementalIterations = 2,
        }.RunAsync());

        Assert.Contains("Expected '2' iterations but found '1' iterations.", message);
    }

    [Fact]
    public async Task FixWhoseTreeDoesNotRoundTrip()
    {
        var message = await Failure.MessageOf(() => CSharpCodeFixVerifier<BadIdentifierAnalyzer, DroppedParenthesesFixer, DefaultVerifier>.VerifyCodeFixAsync(
            "class C { int [|Bad|] = 3 * 4; }",
            "class C { int Good = 1 + 2 * 4; }"));

        Assert.Contains("Context: Iterative code fix application", message);
        Assert.Contains("differs from the tree obtained by re-parsing its text (CodeActionValidationMode.SemanticStructure)", message);
        Assert.Contains("MultiplyExpression", message);
        Assert.Contains("AddExpression", message);
    }

    [Fact]
    public async Task InconsistentIndexAndEquivalenceKey()
    {
        var message = await Failure.MessageOf(() => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|Bad|]; }",
            FixedCode = "class C { int Fine; }",
            CodeActionIndex = 0,
            CodeActionEquivalenceKey = RenameToGoodFixer.FineKey,
        }.RunAsync());

        Assert.Contains("The code action equivalence key and index must be consistent", message);
    }

    [Fact]
    public async Task FixForNonLocalDiagnostic()
    {
        var message = await Failure.MessageOf(() => CSharpCodeFixVerifier<CompilationEndAnalyzer, RenameToGoodFixer, DefaultVerifier>.VerifyCodeFixAsync(
            "class [|BadType|] { }",
            "class GoodType { }"));

        Assert.Contains("Code fix is attempting to provide a fix for a non-local analyzer diagnostic", message);
    }

    [Fact]
    public async Task RemainingDiagnosticInFixedCodeMustBeExpected()
    {
        // FixOne leaves BadB; the fixed state's markup (IgnoreFixable by default) does not declare it.
        var message = await Failure.MessageOf(() => new CSharpCodeFixTest<BadIdentifierAnalyzer, RenameToGoodFixer, DefaultVerifier>
        {
            TestCode = "class C { int [|BadA|]; int [|BadB|]; }",
            FixedCode = "class C { int GoodA; int [|BadB|]; }",
            CodeFixTestBehaviors = CodeFixTestBehaviors.FixOne | CodeFixTestBehaviors.SkipFixAllCheck,
        }.RunAsync());

        Assert.Contains("Context: Diagnostics of fixed state", message);
        Assert.Contains("Reported but not expected:", message);
        Assert.Contains("WithArguments(\"BadB\")", message);
    }
}
