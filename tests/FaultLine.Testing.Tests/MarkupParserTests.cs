using System;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace FaultLine.Testing.Tests;

/// <summary>The markup parser on its own: each form, nesting, overlap, and malformed input.</summary>
public class MarkupParserTests
{
    [Fact]
    public void UnnamedSpanIsRemovedAndRecorded()
    {
        TestFileMarkupParser.GetPositionsAndSpans("a [|b|] c", out var output, out var positions, out var spans);

        Assert.Equal("a b c", output);
        Assert.Empty(positions);
        Assert.Equal(new[] { new TextSpan(2, 1) }, spans[string.Empty]);
    }

    [Fact]
    public void NamedSpanIsRecordedUnderItsName()
    {
        TestFileMarkupParser.GetPositionsAndSpans("x{|TOY001:ab|}y", out var output, out _, out var spans);

        Assert.Equal("xaby", output);
        Assert.Equal(new[] { new TextSpan(1, 2) }, spans["TOY001"]);
    }

    [Fact]
    public void PositionIsRecorded()
    {
        TestFileMarkupParser.GetPositionsAndSpans("ab$$cd", out var output, out var positions, out _);

        Assert.Equal("abcd", output);
        Assert.Equal(new[] { 2 }, positions);
    }

    [Fact]
    public void SpansNest()
    {
        TestFileMarkupParser.GetPositionsAndSpans("[|a{|X:b|}c|]", out var output, out _, out var spans);

        Assert.Equal("abc", output);
        Assert.Equal(new[] { new TextSpan(0, 3) }, spans[string.Empty]);
        Assert.Equal(new[] { new TextSpan(1, 1) }, spans["X"]);
    }

    [Fact]
    public void KeyedEndAllowsOverlappingSpans()
    {
        // #0 covers "ab" and is closed by its key while #1 (opened inside it) is still open; #1 covers "bc".
        TestFileMarkupParser.GetPositionsAndSpans("{|#0:a{|#1:b|#0}c|}", out var output, out _, out var spans);

        Assert.Equal("abc", output);
        Assert.Equal(new[] { TextSpan.FromBounds(0, 2) }, spans["#0"]);
        Assert.Equal(new[] { TextSpan.FromBounds(1, 3) }, spans["#1"]);
    }

    [Theory]
    [InlineData("a|]", "Mismatched end tag")]
    [InlineData("[|a", "without an end tag")]
    [InlineData("{|#0:a|}{|#0:b|}", "more than one start tag for span '#0'")]
    [InlineData("a|#0}", "did not contain a start tag for span '#0'")]
    public void MalformedMarkupIsRejected(string input, string expectedMessage)
    {
        var exception = Assert.Throws<ArgumentException>(() => TestFileMarkupParser.GetPositionsAndSpans(input, out _, out _, out _));

        Assert.Contains(expectedMessage, exception.Message);
    }
}
