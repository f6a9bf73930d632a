using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Writes reported diagnostics the way a test would expect them, so a failure message can be pasted into the test:
/// <code>
/// // /0/Test0.cs(3,9,3,12): warning FL1001: ...
/// VerifyCS.Diagnostic("FL1001").WithSpan(3, 9, 3, 12).WithArguments("Bad"),
/// </code>
/// </summary>
internal static class DiagnosticFormatter
{
    public static string FormatActual(IEnumerable<Diagnostic> diagnostics, ImmutableArray<DiagnosticAnalyzer> analyzers, string defaultPath)
    {
        var builder = new StringBuilder();
        foreach (var diagnostic in diagnostics)
        {
            // AD0001 messages span several lines (exception, stack); keep every line a comment.
            foreach (var line in diagnostic.ToString().Split('\n'))
            {
                builder.Append("// ").AppendLine(line.TrimEnd('\r'));
            }

            builder.Append(FormatExpectation(diagnostic, analyzers, defaultPath)).AppendLine(",");
        }

        return builder.ToString();
    }

    /// <summary>One line per diagnostic (the first line of its message), for lists that repeat diagnostics shown in full above.</summary>
    public static string FormatSummary(IEnumerable<Diagnostic> diagnostics)
    {
        var builder = new StringBuilder();
        foreach (var diagnostic in diagnostics)
        {
            builder.Append("    ").AppendLine(diagnostic.ToString().Split('\n')[0].TrimEnd('\r'));
        }

        return builder.ToString();
    }

    public static string FormatExpected(IEnumerable<DiagnosticResult> expectations)
    {
        var builder = new StringBuilder();
        foreach (var expected in expectations)
        {
            builder.Append("    ").AppendLine(expected.ToString());
        }

        return builder.ToString();
    }

    private static string FormatExpectation(Diagnostic diagnostic, ImmutableArray<DiagnosticAnalyzer> analyzers, string defaultPath)
    {
        var builder = new StringBuilder();
        var descriptor = analyzers.SelectMany(analyzer => analyzer.SupportedDiagnostics).FirstOrDefault(candidate => candidate.Id == diagnostic.Id);
        if (descriptor is not null)
        {
            builder.Append("VerifyCS.Diagnostic(").Append(Literal(diagnostic.Id)).Append(')');
            if (diagnostic.Severity != descriptor.DefaultSeverity)
            {
                builder.Append(".WithSeverity(DiagnosticSeverity.").Append(diagnostic.Severity).Append(')');
            }
        }
        else
        {
            builder.Append(diagnostic.Severity switch
            {
                DiagnosticSeverity.Error => $"DiagnosticResult.CompilerError({Literal(diagnostic.Id)})",
                DiagnosticSeverity.Warning => $"DiagnosticResult.CompilerWarning({Literal(diagnostic.Id)})",
                var severity => $"new DiagnosticResult({Literal(diagnostic.Id)}, DiagnosticSeverity.{severity})",
            });
        }

        if (diagnostic.Location != Location.None)
        {
            AppendSpan(builder, diagnostic.Location, defaultPath);
            foreach (var additional in diagnostic.AdditionalLocations)
            {
                AppendSpan(builder, additional, defaultPath);
            }
        }

        // AD0001's arguments are the exception text and stack, which change with every edit; never paste them.
        var arguments = diagnostic.Id == "AD0001" ? Array.Empty<string>() : DiagnosticArguments.Get(diagnostic);
        if (arguments.Count > 0)
        {
            builder.Append(".WithArguments(").Append(string.Join(", ", arguments.Select(Literal))).Append(')');
        }

        if (diagnostic.IsSuppressed)
        {
            builder.Append(".WithIsSuppressed(true)");
        }

        return builder.ToString();
    }

    private static void AppendSpan(StringBuilder builder, Location location, string defaultPath)
    {
        var span = location.GetLineSpan();
        var path = span.Path == defaultPath ? string.Empty : Literal(span.Path ?? string.Empty) + ", ";
        builder.Append(".WithSpan(").Append(path)
            .Append(span.StartLinePosition.Line + 1).Append(", ").Append(span.StartLinePosition.Character + 1).Append(", ")
            .Append(span.EndLinePosition.Line + 1).Append(", ").Append(span.EndLinePosition.Character + 1).Append(')');
    }

    private static string Literal(string value) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(value, quote: true);
}
