using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Parses test markup out of a text:
/// <list type="bullet">
/// <item><description><c>$$</c> — a position;</description></item>
/// <item><description><c>[|text|]</c> — an unnamed span;</description></item>
/// <item><description><c>{|Name:text|}</c> — a named span (a diagnostic ID, or <c>#n</c> for a location);</description></item>
/// <item><description><c>|#n}</c> — ends the span opened by <c>{|#n:</c> even if other spans opened after it
/// are still open, which allows overlapping spans.</description></item>
/// </list>
/// Plain ends (<c>|]</c>, <c>|}</c>) close the innermost open span, so spans nest.
/// </summary>
public static class TestFileMarkupParser
{
    // Same name rule as roslyn-sdk: anything up to ':' that is not markup punctuation.
    private static readonly Regex NamedSpanStart = new(@"\G\{\|([^:|\[\]{}]+):", RegexOptions.CultureInvariant);
    private static readonly Regex KeyedSpanEnd = new(@"\G\|(#\d+)\}", RegexOptions.CultureInvariant);

    /// <summary>Removes markup from <paramref name="input"/> and returns the positions and spans it marked.</summary>
    /// <param name="input">The text with markup.</param>
    /// <param name="output">The text without markup.</param>
    /// <param name="positions">The <c>$$</c> positions in <paramref name="output"/>.</param>
    /// <param name="spans">The spans in <paramref name="output"/> by name; unnamed spans have the name "".</param>
    /// <exception cref="ArgumentException">The markup is malformed (unmatched or duplicate tags).</exception>
    public static void GetPositionsAndSpans(string input, out string output, out ImmutableArray<int> positions, out ImmutableDictionary<string, ImmutableArray<TextSpan>> spans)
        => Parse(input, treatPositionIndicatorsAsCode: false, out output, out positions, out spans);

    /// <summary>Removes markup from <paramref name="input"/> and returns the unnamed spans it marked.</summary>
    /// <param name="input">The text with markup.</param>
    /// <param name="output">The text without markup.</param>
    /// <param name="spans">The <c>[|...|]</c> spans in <paramref name="output"/>.</param>
    public static void GetSpans(string input, out string output, out ImmutableArray<TextSpan> spans)
    {
        Parse(input, treatPositionIndicatorsAsCode: false, out output, out _, out var namedSpans);
        spans = namedSpans.TryGetValue(string.Empty, out var unnamed) ? unnamed : ImmutableArray<TextSpan>.Empty;
    }

    /// <summary>Parses markup; with <paramref name="treatPositionIndicatorsAsCode"/>, <c>$$</c> is plain text.</summary>
    internal static void Parse(string input, bool treatPositionIndicatorsAsCode, out string output, out ImmutableArray<int> positions, out ImmutableDictionary<string, ImmutableArray<TextSpan>> spans)
    {
        var tags = Tokenize(input, treatPositionIndicatorsAsCode, out output, out positions);
        spans = MatchTags(tags);
    }

    private enum TagKind
    {
        Start,
        End,
    }

    /// <summary>A start or end tag: where it was in the input, where it lands in the output, and its name or key.</summary>
    private sealed record Tag(TagKind Kind, int InputPosition, int OutputPosition, string Name);

    private static List<Tag> Tokenize(string input, bool treatPositionIndicatorsAsCode, out string output, out ImmutableArray<int> positions)
    {
        var tags = new List<Tag>();
        var positionsBuilder = ImmutableArray.CreateBuilder<int>();
        var text = new StringBuilder(input.Length);

        // Open starts as the plain stack sees them; only used to resolve "[|]" and "[|}" below.
        var openStarts = new List<string>();

        var i = 0;
        while (i < input.Length)
        {
            if (!treatPositionIndicatorsAsCode && At(input, i, "$$"))
            {
                positionsBuilder.Add(text.Length);
                i += 2;
                continue;
            }

            if (At(input, i, "[|"))
            {
                // "a[|]" can be '[' followed by the end "|]", or a start followed by ']'. Like roslyn-sdk, read it
                // as an end when a span of the matching kind is open (e.g. "new int[|]" inside a span).
                var closesOpenSpan = openStarts.Count > 0
                    && ((At(input, i + 1, "|]") && openStarts[^1].Length == 0) || (At(input, i + 1, "|}") && openStarts[^1].Length != 0));
                if (!closesOpenSpan)
                {
                    tags.Add(new Tag(TagKind.Start, i, text.Length, string.Empty));
                    openStarts.Add(string.Empty);
                    i += 2;
                    continue;
                }
            }

            var namedStart = NamedSpanStart.Match(input, i);
            if (namedStart.Success)
            {
                var name = namedStart.Groups[1].Value;
                tags.Add(new Tag(TagKind.Start, i, text.Length, name));
                openStarts.Add(name);
                i += namedStart.Length;
                continue;
            }

            if (At(input, i, "|]") || At(input, i, "|}"))
            {
                tags.Add(new Tag(TagKind.End, i, text.Length, string.Empty));
                if (openStarts.Count > 0)
                {
                    openStarts.RemoveAt(openStarts.Count - 1);
                }

                i += 2;
                continue;
            }

            var keyedEnd = KeyedSpanEnd.Match(input, i);
            if (keyedEnd.Success)
            {
                var key = keyedEnd.Groups[1].Value;
                tags.Add(new Tag(TagKind.End, i, text.Length, key));
                var index = openStarts.LastIndexOf(key);
                if (index >= 0)
                {
                    openStarts.RemoveAt(index);
                }

                i += keyedEnd.Length;
                continue;
            }

            text.Append(input[i]);
            i++;
        }

        output = text.ToString();
        positions = positionsBuilder.ToImmutable();
        return tags;
    }

    private static ImmutableDictionary<string, ImmutableArray<TextSpan>> MatchTags(List<Tag> tags)
    {
        var spans = new Dictionary<string, List<TextSpan>>();
        var matchedStarts = new HashSet<Tag>();

        // Keyed ends first: "|#n}" closes "{|#n:" wherever it is, so the spans may overlap.
        foreach (var end in tags.Where(tag => tag.Kind == TagKind.End && tag.Name.Length != 0))
        {
            if (spans.ContainsKey(end.Name))
            {
                throw new ArgumentException($"The input contained more than one ending tag for span '{end.Name}'.", "input");
            }

            var start = tags.FirstOrDefault(tag => tag.Kind == TagKind.Start && tag.Name == end.Name && tag.InputPosition < end.InputPosition && !matchedStarts.Contains(tag))
                ?? throw new ArgumentException($"The input did not contain a start tag for span '{end.Name}' before its end tag at position {end.InputPosition}.", "input");
            matchedStarts.Add(start);
            AddSpan(spans, start, end);
        }

        // The remaining tags nest: a plain end closes the innermost open start.
        var open = new Stack<Tag>();
        foreach (var tag in tags)
        {
            if (tag.Kind == TagKind.Start)
            {
                if (!matchedStarts.Contains(tag))
                {
                    open.Push(tag);
                }
            }
            else if (tag.Name.Length == 0)
            {
                if (open.Count == 0)
                {
                    throw new ArgumentException($"Mismatched end tag found at position {tag.InputPosition}.", "input");
                }

                AddSpan(spans, open.Pop(), tag);
            }
        }

        if (open.Count > 0)
        {
            var unclosed = open.Peek();
            throw new ArgumentException($"The input contained {open.Count} start tag(s) without an end tag; the last one is at position {unclosed.InputPosition}.", "input");
        }

        return spans.ToImmutableDictionary(pair => pair.Key, pair => pair.Value.OrderBy(span => span.Start).ThenBy(span => span.End).ToImmutableArray());
    }

    private static void AddSpan(Dictionary<string, List<TextSpan>> spans, Tag start, Tag end)
    {
        if (!spans.TryGetValue(start.Name, out var list))
        {
            list = new List<TextSpan>();
            spans.Add(start.Name, list);
        }
        else if (start.Name.StartsWith("#", StringComparison.Ordinal))
        {
            // A location key names one span; two would make WithLocation(n) ambiguous.
            throw new ArgumentException($"The input contained more than one start tag for span '{start.Name}'.", "input");
        }

        list.Add(TextSpan.FromBounds(start.OutputPosition, end.OutputPosition));
    }

    private static bool At(string input, int index, string value)
        => index >= 0 && index + value.Length <= input.Length && string.CompareOrdinal(input, index, value, 0, value.Length) == 0;
}
