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

/// <summary>Analyzer tests that must fail, each with a message that says what went wrong.</summary>
public class AnalyzerFailureTests
{
    private const string BadField = "class C { int Bad; }";

    [Fact]
    public async Task WrongSpanEnd()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, VerifyCS.Diagnostic().WithSpan(1, 15, 1, 17).WithArguments("Bad")));

        Assert.Contains("Context: Diagnostics of test state", message);
        Assert.Contains("Expected diagnostic to end at column \"17\" was actually at column \"18\"", message);

        // The reported diagnostic is listed in a form that can be pasted into the test.
        Assert.Contains("// /0/Test0.cs(1,15): warning TOY001: Identifier 'Bad' is bad", message);
        Assert.Contains("VerifyCS.Diagnostic(\"TOY001\").WithSpan(1, 15, 1, 18).WithArguments(\"Bad\"),", message);
    }

    [Fact]
    public async Task WrongStartLine()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, VerifyCS.Diagnostic().WithSpan(2, 15, 2, 18).WithArguments("Bad")));

        Assert.Contains("Expected diagnostic to start on line \"2\" was actually on line \"1\"", message);
    }

    [Fact]
    public async Task WrongId()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, new DiagnosticResult("TOY999", DiagnosticSeverity.Warning).WithSpan(1, 15, 1, 18)));

        Assert.Contains("Expected diagnostic id to be \"TOY999\" was \"TOY001\"", message);
    }

    [Fact]
    public async Task WrongSeverity()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, VerifyCS.Diagnostic().WithSpan(1, 15, 1, 18).WithArguments("Bad").WithSeverity(DiagnosticSeverity.Error)));

        Assert.Contains("Expected diagnostic severity to be \"Error\" was \"Warning\"", message);
    }

    [Fact]
    public async Task WrongArgumentsGiveWrongMessage()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, VerifyCS.Diagnostic().WithSpan(1, 15, 1, 18).WithArguments("Worse")));

        Assert.Contains("Expected diagnostic message to be \"Identifier 'Worse' is bad\" was \"Identifier 'Bad' is bad\"", message);
    }

    [Fact]
    public async Task WrongExplicitMessage()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, VerifyCS.Diagnostic().WithSpan(1, 15, 1, 18).WithMessage("Identifier is fine")));

        Assert.Contains("Expected diagnostic message to be \"Identifier is fine\" was \"Identifier 'Bad' is bad\"", message);
    }

    [Fact]
    public async Task WrongArgumentsWithoutMessageFormat()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, new DiagnosticResult("TOY001", DiagnosticSeverity.Warning).WithSpan(1, 15, 1, 18).WithArguments("Other")));

        Assert.Contains("Expected diagnostic message arguments to match: expected [\"Other\"] was [\"Bad\"]", message);
    }

    [Fact]
    public async Task MissingArgumentsAreExplained()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, VerifyCS.Diagnostic().WithSpan(1, 15, 1, 18)));

        Assert.Contains("Expected diagnostic message to be \"Identifier '{0}' is bad\"", message);
        Assert.Contains("add .WithArguments(...)", message);
    }

    [Fact]
    public async Task MissingDiagnostic()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync("class C { int Good; }", VerifyCS.Diagnostic().WithSpan(1, 15, 1, 19).WithArguments("Good")));

        Assert.Contains("Mismatch between number of diagnostics returned, expected \"1\" actual \"0\"", message);
        Assert.Contains("NONE.", message);
        Assert.Contains("Expected but not reported:", message);
        Assert.Contains("/0/Test0.cs(1,15,1,19): warning TOY001", message);
    }

    [Fact]
    public async Task ExtraDiagnostic()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync("class C { int Bad; int [|BadToo|]; }"));

        Assert.Contains("Mismatch between number of diagnostics returned, expected \"1\" actual \"2\"", message);
        Assert.Contains("Reported but not expected:", message);
        Assert.Contains("VerifyCS.Diagnostic(\"TOY001\").WithSpan(1, 15, 1, 18).WithArguments(\"Bad\"),", message);
    }

    [Fact]
    public async Task AnalyzerExceptionIsAnErrorThatFailsTheTest()
    {
        var message = await Failure.MessageOf(() => CSharpAnalyzerVerifier<ThrowingAnalyzer, DefaultVerifier>.VerifyAnalyzerAsync("class C { }"));

        Assert.Contains("error AD0001", message);
        Assert.Contains("boom from ThrowingAnalyzer", message);
        Assert.Contains("DiagnosticResult.CompilerError(\"AD0001\")", message);
        Assert.Contains("An analyzer threw an exception (AD0001)", message);
    }

    [Fact]
    public async Task UndeclaredCompilerErrorFailsTheTest()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync("class C { int M() => Undefined; }"));

        Assert.Contains("error CS0103", message);
        Assert.Contains("DiagnosticResult.CompilerError(\"CS0103\").WithSpan(1, 22, 1, 31).WithArguments(\"Undefined\"),", message);
    }

    [Fact]
    public async Task MissingAdditionalReferenceIsACompilerError()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync("class C { int M() => FaultLine.Testing.Tests.Toys.ToyLibrary.Answer(); }"));

        Assert.Contains("error CS0103: The name 'FaultLine' does not exist", message);
    }

    [Fact]
    public async Task AnalyzerReportingInGeneratedCodeFailsTheGeneratedCodeRerun()
    {
        var message = await Failure.MessageOf(() => CSharpAnalyzerVerifier<GeneratedCodeIgnorantAnalyzer, DefaultVerifier>.VerifyAnalyzerAsync("class [|BadClass|] { }"));

        Assert.Contains("Context: Verifying exclusions in <auto-generated> code", message);
        Assert.Contains("Reported but not expected:", message);
        Assert.Contains("TOY005", message);
    }

    [Fact]
    public async Task DollarDollarIsAPositionUnlessToldOtherwise()
    {
        // Without TreatPositionIndicatorsAsCode the "$$" of the raw string becomes an expected diagnostic.
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync("class C { string [|Bad|] = $$\"\"\"{{1}}\"\"\"; }"));

        Assert.Contains("Mismatch between number of diagnostics returned, expected \"2\" actual \"1\"", message);
    }

    [Fact]
    public async Task UnknownMarkupLocationIsReported()
    {
        var message = await Failure.MessageOf(() => VerifyCS.VerifyAnalyzerAsync(BadField, VerifyCS.Diagnostic().WithLocation(3).WithArguments("Bad")));

        Assert.Contains("The markup location '#3' was not found in the input.", message);
    }

    [Fact]
    public async Task UnnamedMarkupNeedsASingleDescriptor()
    {
        var message = await Failure.MessageOf(() => CSharpAnalyzerVerifier<OverlapAnalyzer, DefaultVerifier>.VerifyAnalyzerAsync("class C { [|int x = 1|]; }"));

        Assert.Contains("Markup syntax can only omit the diagnostic ID", message);
    }
}
