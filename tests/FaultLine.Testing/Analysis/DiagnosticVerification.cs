using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Checks reported diagnostics against expectations and, on failure, says what went wrong: a missing or extra
/// diagnostic (with both lists), or the first difference between the closest pair, followed by the reported
/// diagnostics in pasteable form.
/// </summary>
internal static class DiagnosticVerification
{
    public static void Verify(
        IReadOnlyList<Diagnostic> actual,
        IReadOnlyList<DiagnosticResult> expected,
        ImmutableArray<DiagnosticAnalyzer> analyzers,
        string defaultPath,
        IVerifier verifier,
        Action<Diagnostic, DiagnosticResult, IVerifier>? diagnosticVerifier)
    {
        var match = DiagnosticMatcher.Match(actual, expected);
        if (match.UnmatchedActual.Count == 0 && match.UnmatchedExpected.Count == 0)
        {
            if (diagnosticVerifier is not null)
            {
                foreach (var (a, e) in match.Matched)
                {
                    diagnosticVerifier(actual[a], expected[e], verifier);
                }
            }

            return;
        }

        var reported = actual.Count == 0 ? "    NONE." + Environment.NewLine : DiagnosticFormatter.FormatActual(actual, analyzers, defaultPath);
        var message = new StringBuilder();
        if (actual.Count != expected.Count)
        {
            message.AppendLine($"Mismatch between number of diagnostics returned, expected \"{expected.Count}\" actual \"{actual.Count}\"");
            message.AppendLine();
            message.AppendLine("Diagnostics:");
            message.Append(reported);
            AppendLeftovers(message, actual, expected, match);
        }
        else
        {
            var (a, e) = DiagnosticMatcher.PairBySimilarity(actual, expected, match.UnmatchedActual, match.UnmatchedExpected)[0];
            message.AppendLine(DiagnosticComparison.DescribeFirstDifference(actual[a], expected[e]));
            message.AppendLine();
            message.AppendLine("Expected diagnostic:");
            message.Append(DiagnosticFormatter.FormatExpected(new[] { expected[e] }));
            message.AppendLine("Actual diagnostic:");
            message.Append(DiagnosticFormatter.FormatActual(new[] { actual[a] }, analyzers, defaultPath));
            message.AppendLine();
            message.AppendLine("All reported diagnostics:");
            message.Append(reported);
        }

        if (match.UnmatchedActual.Any(index => actual[index].Id == "AD0001"))
        {
            message.AppendLine();
            message.AppendLine("An analyzer threw an exception (AD0001); the exception and its stack are in the message above.");
        }

        verifier.Fail(message.ToString());
    }

    private static void AppendLeftovers(StringBuilder message, IReadOnlyList<Diagnostic> actual, IReadOnlyList<DiagnosticResult> expected, DiagnosticMatcher.Result match)
    {
        message.AppendLine();
        message.AppendLine("Expected but not reported:");
        message.Append(match.UnmatchedExpected.Count == 0
            ? "    NONE." + Environment.NewLine
            : DiagnosticFormatter.FormatExpected(match.UnmatchedExpected.Select(index => expected[index])));
        message.AppendLine("Reported but not expected:");
        message.Append(match.UnmatchedActual.Count == 0
            ? "    NONE." + Environment.NewLine
            : DiagnosticFormatter.FormatSummary(match.UnmatchedActual.Select(index => actual[index])));
    }
}
