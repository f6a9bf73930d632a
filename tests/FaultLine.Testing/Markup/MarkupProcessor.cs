using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Turns the markup of a state's files into expected diagnostics and <c>#n</c> locations, and returns the files
/// without markup. One instance processes every file of a state so that <c>#n</c> keys are unique across files.
/// </summary>
internal sealed class MarkupProcessor
{
    private readonly MarkupMode _mode;
    private readonly MarkupOptions _options;
    private readonly DiagnosticDescriptor? _defaultDiagnostic;
    private readonly ImmutableArray<DiagnosticDescriptor> _supportedDiagnostics;
    private readonly ImmutableArray<string> _fixableDiagnostics;
    private readonly Dictionary<string, FileLinePositionSpan> _markupLocations = new(StringComparer.Ordinal);

    public MarkupProcessor(MarkupMode mode, MarkupOptions options, DiagnosticDescriptor? defaultDiagnostic, ImmutableArray<DiagnosticDescriptor> supportedDiagnostics, ImmutableArray<string> fixableDiagnostics)
    {
        _mode = mode;
        _options = options;
        _defaultDiagnostic = defaultDiagnostic;
        _supportedDiagnostics = supportedDiagnostics;
        _fixableDiagnostics = fixableDiagnostics;
    }

    /// <summary>Gets the expectations created by markup so far.</summary>
    public List<DiagnosticResult> MarkupDiagnostics { get; } = new();

    /// <summary>Gets the spans marked <c>{|#n:...|}</c> so far, by key ("#n").</summary>
    public IReadOnlyDictionary<string, FileLinePositionSpan> MarkupLocations => _markupLocations;

    /// <summary>Processes files; returns them without markup (unchanged when the mode is <see cref="MarkupMode.None"/>).</summary>
    public List<(string filename, SourceText content)> Process(IEnumerable<(string filename, SourceText content)> files)
    {
        var result = new List<(string filename, SourceText content)>();
        foreach (var (filename, content) in files)
        {
            if (_mode == MarkupMode.None)
            {
                result.Add((filename, content));
                continue;
            }

            TestFileMarkupParser.Parse(
                content.ToString(),
                _options.HasFlag(MarkupOptions.TreatPositionIndicatorsAsCode),
                out var output,
                out var positions,
                out var spans);

            // Keep the original encoding and checksum so fixed output compares equal to expected output.
            var text = SourceText.From(output, content.Encoding, content.ChecksumAlgorithm);
            result.Add((filename, text));
            RecordLocations(filename, text, spans);
            if (_mode != MarkupMode.Ignore)
            {
                AddExpectations(filename, text, positions, spans);
            }
        }

        return result;
    }

    private void RecordLocations(string filename, SourceText text, ImmutableDictionary<string, ImmutableArray<TextSpan>> spans)
    {
        foreach (var (name, nameSpans) in spans)
        {
            if (!name.StartsWith("#", StringComparison.Ordinal))
            {
                continue;
            }

            if (_markupLocations.ContainsKey(name))
            {
                throw new InvalidOperationException($"The markup location '{name}' is marked in more than one file; '{filename}' marks it again.");
            }

            _markupLocations.Add(name, new FileLinePositionSpan(filename, text.Lines.GetLinePositionSpan(nameSpans[0])));
        }
    }

    private void AddExpectations(string filename, SourceText text, ImmutableArray<int> positions, ImmutableDictionary<string, ImmutableArray<TextSpan>> spans)
    {
        foreach (var position in positions)
        {
            var diagnostic = CreateExpectation(string.Empty);
            if (diagnostic is { } result)
            {
                // A position fixes only the start: the diagnostic may be of any length.
                MarkupDiagnostics.Add(result.WithLocation(filename, text.Lines.GetLinePosition(position)));
            }
        }

        foreach (var (name, nameSpans) in spans)
        {
            if (name.StartsWith("#", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var span in nameSpans)
            {
                var diagnostic = CreateExpectation(name);
                if (diagnostic is { } result)
                {
                    MarkupDiagnostics.Add(result.WithSpan(new FileLinePositionSpan(filename, text.Lines.GetLinePositionSpan(span))));
                }
            }
        }
    }

    /// <summary>Creates the expectation for a span named <paramref name="diagnosticId"/> ("" for the default), or none if ignored.</summary>
    private DiagnosticResult? CreateExpectation(string diagnosticId)
    {
        DiagnosticResult result;
        if (diagnosticId.Length == 0)
        {
            if (_defaultDiagnostic is null)
            {
                throw new InvalidOperationException(
                    "Markup syntax can only omit the diagnostic ID if the first analyzer only supports a single diagnostic. "
                    + $"Use {{|ID:...|}}, override GetDefaultDiagnostic, or specify {nameof(MarkupOptions)}.{nameof(MarkupOptions.UseFirstDescriptor)}.");
            }

            if (IsIgnoredAsFixable(_defaultDiagnostic.Id))
            {
                return null;
            }

            result = new DiagnosticResult(_defaultDiagnostic);
        }
        else
        {
            if (IsIgnoredAsFixable(diagnosticId))
            {
                return null;
            }

            var descriptors = _supportedDiagnostics.Where(descriptor => descriptor.Id == diagnosticId).ToList();
            if (descriptors.Count > 1 && !_options.HasFlag(MarkupOptions.UseFirstDescriptor))
            {
                throw new InvalidOperationException(
                    $"Multiple diagnostic descriptors with ID {diagnosticId} were found. Declare the expectation explicitly or specify {nameof(MarkupOptions)}.{nameof(MarkupOptions.UseFirstDescriptor)}.");
            }

            // An ID no analyzer supports is taken to be a compiler diagnostic (e.g. {|CS0103:x|}).
            result = descriptors.Count > 0 ? new DiagnosticResult(descriptors[0]) : new DiagnosticResult(diagnosticId, DiagnosticSeverity.Error);
        }

        // Markup states where and what, not how it reads: message, severity and extra locations are not compared.
        return result.WithMessage(null).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations | DiagnosticOptions.IgnoreSeverity);
    }

    private bool IsIgnoredAsFixable(string diagnosticId)
        => _mode == MarkupMode.IgnoreFixable && _fixableDiagnostics.Contains(diagnosticId);
}
