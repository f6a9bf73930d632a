using System;
using System.Globalization;
using System.Linq;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Compares one reported diagnostic with one expectation: <see cref="IsMatch"/> for the matcher, and
/// <see cref="DescribeFirstDifference"/> for a failure message that names the first thing that differs.
/// </summary>
internal static class DiagnosticComparison
{
    public static bool IsMatch(Diagnostic actual, DiagnosticResult expected)
        => DescribeFirstDifference(actual, expected) is null;

    /// <summary>
    /// Returns what differs first (location, then ID, severity, message, suppression), or <see langword="null"/>
    /// when the diagnostic meets the expectation.
    /// </summary>
    public static string? DescribeFirstDifference(Diagnostic actual, DiagnosticResult expected)
    {
        return DescribeLocationDifference(actual, expected)
            ?? DescribeIdDifference(actual, expected)
            ?? DescribeSeverityDifference(actual, expected)
            ?? DescribeMessageDifference(actual, expected)
            ?? DescribeSuppressionDifference(actual, expected);
    }

    /// <summary>Gets how many of start, end and ID agree; used to pair up diagnostics that do not match.</summary>
    public static int Similarity(Diagnostic actual, DiagnosticResult expected)
    {
        var score = actual.Id == expected.Id ? 1 : 0;
        if (expected.HasLocation && actual.Location != Location.None)
        {
            var span = actual.Location.GetLineSpan();
            var location = expected.Spans[0];
            score += span.StartLinePosition == location.Span.StartLinePosition ? 1 : 0;
            score += location.Options.HasFlag(DiagnosticLocationOptions.IgnoreLength) || span.EndLinePosition == location.Span.EndLinePosition ? 1 : 0;
        }

        return score;
    }

    private static string? DescribeLocationDifference(Diagnostic actual, DiagnosticResult expected)
    {
        if (!expected.HasLocation)
        {
            return actual.Location == Location.None
                ? null
                : $"Expected a project diagnostic with no location, but it was reported at {FormatLineSpan(actual.Location.GetLineSpan())}";
        }

        if (actual.Location == Location.None)
        {
            return $"Expected diagnostic at {FormatExpectedLocation(expected.Spans[0])} was reported with no location";
        }

        var difference = DescribeLocationDifference(actual, actual.Location, expected.Spans[0], string.Empty);
        if (difference is not null || expected.Options.HasFlag(DiagnosticOptions.IgnoreAdditionalLocations))
        {
            return difference;
        }

        var additional = actual.AdditionalLocations;
        if (additional.Count != expected.Spans.Length - 1)
        {
            return $"Expected {expected.Spans.Length - 1} additional locations but got {additional.Count} for Diagnostic";
        }

        for (var i = 0; i < additional.Count; i++)
        {
            difference = DescribeLocationDifference(actual, additional[i], expected.Spans[i + 1], $"additional location {i + 1}: ");
            if (difference is not null)
            {
                return difference;
            }
        }

        return null;
    }

    private static string? DescribeLocationDifference(Diagnostic diagnostic, Location actual, DiagnosticLocation expected, string prefix)
    {
        var span = actual.GetLineSpan();
        if (!string.Equals(span.Path, expected.Span.Path, StringComparison.Ordinal))
        {
            return $"{prefix}Expected diagnostic to be in file \"{expected.Span.Path}\" was actually in file \"{span.Path}\"";
        }

        var difference = DescribePositionDifference(span.StartLinePosition, expected.Span.StartLinePosition, "start", prefix);
        if (difference is null && !expected.Options.HasFlag(DiagnosticLocationOptions.IgnoreLength))
        {
            difference = DescribePositionDifference(span.EndLinePosition, expected.Span.EndLinePosition, "end", prefix);
        }

        if (difference is null
            && expected.Options.HasFlag(DiagnosticLocationOptions.UnnecessaryCode)
            && !diagnostic.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.Unnecessary))
        {
            difference = $"{prefix}Expected the location to be marked as unnecessary code, but the descriptor of {diagnostic.Id} has no '{WellKnownDiagnosticTags.Unnecessary}' tag";
        }

        return difference;
    }

    private static string? DescribePositionDifference(Text.LinePosition actual, Text.LinePosition expected, string which, string prefix)
    {
        if (actual.Line != expected.Line)
        {
            return $"{prefix}Expected diagnostic to {which} on line \"{expected.Line + 1}\" was actually on line \"{actual.Line + 1}\"";
        }

        if (actual.Character != expected.Character)
        {
            return $"{prefix}Expected diagnostic to {which} at column \"{expected.Character + 1}\" was actually at column \"{actual.Character + 1}\"";
        }

        return null;
    }

    private static string? DescribeIdDifference(Diagnostic actual, DiagnosticResult expected)
        => actual.Id == expected.Id ? null : $"Expected diagnostic id to be \"{expected.Id}\" was \"{actual.Id}\"";

    private static string? DescribeSeverityDifference(Diagnostic actual, DiagnosticResult expected)
        => expected.Options.HasFlag(DiagnosticOptions.IgnoreSeverity) || actual.Severity == expected.Severity
            ? null
            : $"Expected diagnostic severity to be \"{expected.Severity}\" was \"{actual.Severity}\"";

    private static string? DescribeMessageDifference(Diagnostic actual, DiagnosticResult expected)
    {
        var expectedMessage = expected.Message;
        if (expectedMessage is not null)
        {
            var actualMessage = actual.GetMessage(CultureInfo.InvariantCulture);
            if (string.Equals(expectedMessage, actualMessage, StringComparison.Ordinal))
            {
                return null;
            }

            // A descriptor-based expectation without WithArguments keeps its "{0}" placeholders; say so.
            var hint = expected.MessageFormat is not null && expected.MessageArguments is null && expectedMessage.Contains('{')
                ? " (the expected message still has format placeholders: add .WithArguments(...))"
                : string.Empty;
            return $"Expected diagnostic message to be \"{expectedMessage}\" was \"{actualMessage}\"{hint}";
        }

        if (expected.MessageArguments is { Length: > 0 } arguments)
        {
            var expectedArguments = arguments.Select(DiagnosticArguments.ToComparable).ToList();
            var actualArguments = DiagnosticArguments.Get(actual);
            if (!expectedArguments.SequenceEqual(actualArguments, StringComparer.Ordinal))
            {
                return $"Expected diagnostic message arguments to match: expected [{FormatList(expectedArguments)}] was [{FormatList(actualArguments)}]";
            }
        }

        return null;
    }

    private static string? DescribeSuppressionDifference(Diagnostic actual, DiagnosticResult expected)
        => expected.IsSuppressed is not { } isSuppressed || actual.IsSuppressed == isSuppressed
            ? null
            : $"Expected diagnostic to be {(isSuppressed ? "suppressed" : "not suppressed")} but it was {(actual.IsSuppressed ? "suppressed" : "not suppressed")}";

    private static string FormatList(System.Collections.Generic.IEnumerable<string> values)
        => string.Join(", ", values.Select(value => "\"" + value + "\""));

    private static string FormatLineSpan(FileLinePositionSpan span)
        => $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1},{span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1})";

    private static string FormatExpectedLocation(DiagnosticLocation location)
        => $"{location.Span.Path}({location.Span.StartLinePosition.Line + 1},{location.Span.StartLinePosition.Character + 1})";
}
