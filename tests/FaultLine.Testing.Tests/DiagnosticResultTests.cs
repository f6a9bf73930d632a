using FaultLine.Testing.Tests.Toys;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace FaultLine.Testing.Tests;

/// <summary>The fluent, immutable expectation type and its readable form.</summary>
public class DiagnosticResultTests
{
    [Fact]
    public void ToStringReadsLikeACompilerMessage()
    {
        var result = new DiagnosticResult(BadIdentifierAnalyzer.Rule).WithSpan("/0/Test0.cs", 3, 9, 3, 12).WithArguments("Bad");

        Assert.Equal("/0/Test0.cs(3,9,3,12): warning TOY001: Identifier 'Bad' is bad", result.ToString());
    }

    [Fact]
    public void WithLocationComparesStartOnly()
    {
        var result = DiagnosticResult.CompilerError("CS0103").WithLocation(2, 5);

        Assert.Equal("?(2,5): error CS0103", result.ToString());
        Assert.True(result.Spans[0].Options.HasFlag(DiagnosticLocationOptions.IgnoreLength));
    }

    [Fact]
    public void WithMethodsReturnChangedCopies()
    {
        var original = new DiagnosticResult("TOY001", DiagnosticSeverity.Warning);
        var located = original.WithSpan(1, 2, 1, 3).WithSeverity(DiagnosticSeverity.Error).WithIsSuppressed(true);

        Assert.False(original.HasLocation);
        Assert.Equal(DiagnosticSeverity.Warning, original.Severity);
        Assert.Null(original.IsSuppressed);
        Assert.True(located.HasLocation);
        Assert.Equal(DiagnosticSeverity.Error, located.Severity);
        Assert.True(located.IsSuppressed);
    }

    [Fact]
    public void MessageComesFromTheDescriptorFormatAndArguments()
    {
        var result = new DiagnosticResult(BadIdentifierAnalyzer.Rule).WithArguments("BadName");

        Assert.Equal("Identifier 'BadName' is bad", result.Message);
        Assert.Null(result.WithMessage(null).Message);
        Assert.Equal("exact", result.WithMessage("exact").Message);
    }

    [Fact]
    public void MarkupKeyLocationPrintsAsKeyUntilResolved()
    {
        var result = new DiagnosticResult("TOY001", DiagnosticSeverity.Warning).WithLocation(0);

        Assert.True(result.Spans[0].Options.HasFlag(DiagnosticLocationOptions.InterpretAsMarkupKey));
        Assert.Equal("{|#0|}: warning TOY001", result.ToString());
    }

    [Fact]
    public void LineOffsetMovesEveryLocation()
    {
        var result = new DiagnosticResult("TOY001", DiagnosticSeverity.Warning).WithSpan(1, 2, 1, 5).WithSpan(3, 1, 3, 2).WithLineOffset(2);

        Assert.Equal(2, result.Spans[0].Span.StartLinePosition.Line);
        Assert.Equal(4, result.Spans[1].Span.StartLinePosition.Line);
    }

    [Fact]
    public void DefaultPathFillsOnlyMissingPaths()
    {
        var result = new DiagnosticResult("TOY001", DiagnosticSeverity.Warning)
            .WithSpan(1, 1, 1, 2)
            .WithSpan("/0/Test1.cs", 1, 1, 1, 2)
            .WithDefaultPath("/0/Test0.cs");

        Assert.Equal("/0/Test0.cs", result.Spans[0].Span.Path);
        Assert.Equal("/0/Test1.cs", result.Spans[1].Span.Path);
    }
}
