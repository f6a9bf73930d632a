using System;
using System.Collections.Generic;
using System.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// A line diff (longest common subsequence) for failure messages. Test files are small, so the quadratic
/// table is cheap, and an exact LCS gives the smallest, most readable diff.
/// </summary>
internal static class LineDiff
{
    /// <summary>
    /// Renders the diff of two texts: " " common line, "-" only in <paramref name="expected"/>, "+" only in
    /// <paramref name="actual"/>. When the texts differ only in line endings, the endings are made visible,
    /// because otherwise the diff would show identical-looking lines.
    /// </summary>
    public static string Render(string expected, string actual)
    {
        var expectedLines = SplitKeepingEndings(expected);
        var actualLines = SplitKeepingEndings(actual);
        var onlyLineEndingsDiffer = Normalize(expected) == Normalize(actual);

        var builder = new StringBuilder();
        if (onlyLineEndingsDiffer)
        {
            builder.AppendLine("(the texts differ only in line endings; endings are shown as \\r and \\n)");
        }

        // lcs[i, j] = length of the longest common subsequence of expectedLines[i..] and actualLines[j..].
        var lcs = new int[expectedLines.Count + 1, actualLines.Count + 1];
        for (var i = expectedLines.Count - 1; i >= 0; i--)
        {
            for (var j = actualLines.Count - 1; j >= 0; j--)
            {
                lcs[i, j] = expectedLines[i] == actualLines[j]
                    ? lcs[i + 1, j + 1] + 1
                    : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        int e = 0, a = 0;
        while (e < expectedLines.Count && a < actualLines.Count)
        {
            if (expectedLines[e] == actualLines[a])
            {
                AppendLine(builder, ' ', expectedLines[e], onlyLineEndingsDiffer);
                e++;
                a++;
            }
            else if (lcs[e + 1, a] >= lcs[e, a + 1])
            {
                // On a tie print the removal first, as unified diffs do.
                AppendLine(builder, '-', expectedLines[e++], onlyLineEndingsDiffer);
            }
            else
            {
                AppendLine(builder, '+', actualLines[a++], onlyLineEndingsDiffer);
            }
        }

        while (e < expectedLines.Count)
        {
            AppendLine(builder, '-', expectedLines[e++], onlyLineEndingsDiffer);
        }

        while (a < actualLines.Count)
        {
            AppendLine(builder, '+', actualLines[a++], onlyLineEndingsDiffer);
        }

        return builder.ToString();
    }

    private static void AppendLine(StringBuilder builder, char prefix, string line, bool showEndings)
    {
        var content = showEndings
            ? line.Replace("\r", "\\r").Replace("\n", "\\n")
            : line.TrimEnd('\r', '\n');
        builder.Append(prefix).AppendLine(content);
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n").Replace('\r', '\n');

    /// <summary>Splits after each "\n" (so "\r\n" stays with its line) and keeps a final unterminated line.</summary>
    private static List<string> SplitKeepingEndings(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                lines.Add(text.Substring(start, i - start + 1));
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add(text.Substring(start));
        }

        return lines;
    }
}
