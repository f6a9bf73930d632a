using System;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace FaultLine.Testing.Tests;

/// <summary>The framework-independent verifier: context prefixes and the line diff.</summary>
public class VerifierTests
{
    [Fact]
    public void FailureMessageStartsWithPushedContextsOutermostFirst()
    {
        var verifier = new DefaultVerifier().PushContext("Outer").PushContext("Inner");

        var exception = Assert.Throws<InvalidOperationException>(() => verifier.Fail("what went wrong"));

        Assert.Equal($"Context: Outer{Environment.NewLine}Context: Inner{Environment.NewLine}what went wrong", exception.Message);
    }

    [Fact]
    public void EqualOrDiffShowsChangedLinesAgainstExpected()
    {
        var exception = Assert.Throws<InvalidOperationException>(
            () => new DefaultVerifier().EqualOrDiff("a\nb\nc\n", "a\nx\nc\n", "texts differ:"));

        Assert.Contains("texts differ:", exception.Message);
        Assert.Contains($" a{Environment.NewLine}-b{Environment.NewLine}+x{Environment.NewLine} c", exception.Message);
    }

    [Fact]
    public void EqualOrDiffMakesLineEndingDifferencesVisible()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => new DefaultVerifier().EqualOrDiff("a\r\nb\r\n", "a\nb\n"));

        Assert.Contains("differ only in line endings", exception.Message);
        Assert.Contains("-a\\r\\n", exception.Message);
        Assert.Contains("+a\\n", exception.Message);
    }

    [Fact]
    public void EqualOrDiffPassesOnEqualTexts()
    {
        new DefaultVerifier().EqualOrDiff("same\n", "same\n");
    }
}
