using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// An expected diagnostic: ID, severity, locations, and optionally the message. Immutable; every
/// <c>With...</c> method returns a changed copy, so a result can be shared and refined freely.
/// </summary>
/// <remarks>
/// <para>Lines and columns in the API are 1-based (as an editor shows them); <see cref="Spans"/> stores Roslyn's
/// 0-based positions.</para>
/// <para>The first location is the diagnostic's <see cref="Diagnostic.Location"/>; each further location is one
/// of its <see cref="Diagnostic.AdditionalLocations"/>, in order.</para>
/// </remarks>
public readonly struct DiagnosticResult
{
    /// <summary>An empty array, for "no diagnostics expected".</summary>
    public static readonly DiagnosticResult[] EmptyDiagnosticResults = Array.Empty<DiagnosticResult>();

    private readonly ImmutableArray<DiagnosticLocation> _spans;

    // WithMessage(null) must switch message checking off even when a MessageFormat is known.
    private readonly bool _suppressMessage;
    private readonly string? _message;

    /// <summary>Initializes an expected diagnostic with the given ID and severity and no location.</summary>
    /// <param name="id">The diagnostic ID.</param>
    /// <param name="severity">The severity.</param>
    public DiagnosticResult(string id, DiagnosticSeverity severity)
        : this(default, false, null, severity, DiagnosticOptions.None, id, null, null, null)
    {
    }

    /// <summary>
    /// Initializes an expected diagnostic from a descriptor: its ID, default severity and message format (the
    /// message is then checked, formatted with the arguments from <see cref="WithArguments"/>).
    /// </summary>
    /// <param name="descriptor">The descriptor.</param>
    public DiagnosticResult(DiagnosticDescriptor descriptor)
        : this(default, false, null, descriptor.DefaultSeverity, DiagnosticOptions.None, descriptor.Id, descriptor.MessageFormat, null, null)
    {
    }

    private DiagnosticResult(
        ImmutableArray<DiagnosticLocation> spans,
        bool suppressMessage,
        string? message,
        DiagnosticSeverity severity,
        DiagnosticOptions options,
        string id,
        LocalizableString? messageFormat,
        object?[]? messageArguments,
        bool? isSuppressed)
    {
        _spans = spans;
        _suppressMessage = suppressMessage;
        _message = message;
        Severity = severity;
        Options = options;
        Id = id;
        MessageFormat = messageFormat;
        MessageArguments = messageArguments;
        IsSuppressed = isSuppressed;
    }

    /// <summary>Gets the expected locations; empty for a diagnostic without location.</summary>
    public ImmutableArray<DiagnosticLocation> Spans => _spans.IsDefault ? ImmutableArray<DiagnosticLocation>.Empty : _spans;

    /// <summary>Gets the expected severity.</summary>
    public DiagnosticSeverity Severity { get; }

    /// <summary>Gets what is not compared.</summary>
    public DiagnosticOptions Options { get; }

    /// <summary>Gets the expected ID.</summary>
    public string Id { get; }

    /// <summary>
    /// Gets the expected message, or <see langword="null"/> when the message is not checked. Unless set with
    /// <see cref="WithMessage"/>, it is <see cref="MessageFormat"/> formatted with <see cref="MessageArguments"/>;
    /// when the format needs arguments that were not given, the unformatted format is returned, so the mismatch
    /// shows up in the failure message instead of as a <see cref="FormatException"/>.
    /// </summary>
    public string? Message
    {
        get
        {
            if (_suppressMessage)
            {
                return null;
            }

            if (_message is not null)
            {
                return _message;
            }

            if (MessageFormat is null)
            {
                return null;
            }

            var format = MessageFormat.ToString(CultureInfo.InvariantCulture);
            try
            {
                return string.Format(CultureInfo.InvariantCulture, format, MessageArguments ?? Array.Empty<object?>());
            }
            catch (FormatException)
            {
                return format;
            }
        }
    }

    /// <summary>Gets the message format used to compute <see cref="Message"/>.</summary>
    public LocalizableString? MessageFormat { get; }

    /// <summary>Gets the expected message arguments, or <see langword="null"/> when not given.</summary>
    public object?[]? MessageArguments { get; }

    /// <summary>Gets a value indicating whether the diagnostic is expected to have a location.</summary>
    public bool HasLocation => !Spans.IsEmpty;

    /// <summary>
    /// Gets the expected suppression state: <see langword="true"/> suppressed (e.g. by <c>#pragma</c> or a
    /// suppressor), <see langword="false"/> not suppressed, <see langword="null"/> not checked.
    /// </summary>
    public bool? IsSuppressed { get; }

    /// <summary>Creates an expected compiler error (severity Error) with the given ID, e.g. "CS0103".</summary>
    /// <param name="identifier">The compiler diagnostic ID.</param>
    /// <returns>The expected diagnostic.</returns>
    public static DiagnosticResult CompilerError(string identifier) => new(identifier, DiagnosticSeverity.Error);

    /// <summary>Creates an expected compiler warning (severity Warning) with the given ID, e.g. "CS0168".</summary>
    /// <param name="identifier">The compiler diagnostic ID.</param>
    /// <returns>The expected diagnostic.</returns>
    public static DiagnosticResult CompilerWarning(string identifier) => new(identifier, DiagnosticSeverity.Warning);

    /// <summary>Returns a copy with the given severity.</summary>
    /// <param name="severity">The expected severity.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithSeverity(DiagnosticSeverity severity)
        => new(_spans, _suppressMessage, _message, severity, Options, Id, MessageFormat, MessageArguments, IsSuppressed);

    /// <summary>Returns a copy with the given comparison options.</summary>
    /// <param name="options">What not to compare.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithOptions(DiagnosticOptions options)
        => new(_spans, _suppressMessage, _message, Severity, options, Id, MessageFormat, MessageArguments, IsSuppressed);

    /// <summary>
    /// Returns a copy with the given message arguments. With a <see cref="MessageFormat"/> the formatted message
    /// is compared; without one, the arguments are compared one by one (as strings).
    /// </summary>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithArguments(params object[] arguments)
        => new(_spans, _suppressMessage, _message, Severity, Options, Id, MessageFormat, arguments, IsSuppressed);

    /// <summary>Returns a copy expecting exactly <paramref name="message"/>; <see langword="null"/> stops checking the message.</summary>
    /// <param name="message">The expected message.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithMessage(string? message)
        => new(_spans, message is null, message, Severity, Options, Id, MessageFormat, MessageArguments, IsSuppressed);

    /// <summary>Returns a copy with the given message format.</summary>
    /// <param name="messageFormat">The format, formatted with <see cref="MessageArguments"/>.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithMessageFormat(LocalizableString messageFormat)
        => new(_spans, _suppressMessage, _message, Severity, Options, Id, messageFormat, MessageArguments, IsSuppressed);

    /// <summary>Returns a copy with the given expected suppression state.</summary>
    /// <param name="isSuppressed">See <see cref="IsSuppressed"/>.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithIsSuppressed(bool? isSuppressed)
        => new(_spans, _suppressMessage, _message, Severity, Options, Id, MessageFormat, MessageArguments, isSuppressed);

    /// <summary>Returns a copy expecting no location (a project- or compilation-level diagnostic).</summary>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithNoLocation()
        => new(ImmutableArray<DiagnosticLocation>.Empty, _suppressMessage, _message, Severity, Options, Id, MessageFormat, MessageArguments, IsSuppressed);

    /// <summary>Adds a location in the default file that starts at the given 1-based position (length not compared).</summary>
    /// <param name="line">The 1-based line.</param>
    /// <param name="column">The 1-based column.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLocation(int line, int column)
        => WithLocation(string.Empty, new LinePosition(line - 1, column - 1));

    /// <summary>Adds a location in the default file that starts at the given 0-based position (length not compared).</summary>
    /// <param name="location">The 0-based position.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLocation(LinePosition location)
        => WithLocation(string.Empty, location);

    /// <summary>Adds a location in <paramref name="path"/> that starts at the given 1-based position (length not compared).</summary>
    /// <param name="path">The file path, e.g. "/0/Test1.cs".</param>
    /// <param name="line">The 1-based line.</param>
    /// <param name="column">The 1-based column.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLocation(string path, int line, int column)
        => WithLocation(path, new LinePosition(line - 1, column - 1));

    /// <summary>Adds a location in <paramref name="path"/> that starts at the given 0-based position (length not compared).</summary>
    /// <param name="path">The file path.</param>
    /// <param name="location">The 0-based position.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLocation(string path, LinePosition location)
        => AppendSpan(new FileLinePositionSpan(path, location, location), DiagnosticLocationOptions.IgnoreLength);

    /// <summary>Adds a location in <paramref name="path"/> that starts at the given 0-based position.</summary>
    /// <param name="path">The file path.</param>
    /// <param name="location">The 0-based position.</param>
    /// <param name="options">Further options; <see cref="DiagnosticLocationOptions.IgnoreLength"/> is always added.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLocation(string path, LinePosition location, DiagnosticLocationOptions options)
        => AppendSpan(new FileLinePositionSpan(path, location, location), options | DiagnosticLocationOptions.IgnoreLength);

    /// <summary>Adds the span marked <c>{|#markupKey:...|}</c> in the test source as the next location.</summary>
    /// <param name="markupKey">The number n of the <c>#n</c> markup.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLocation(int markupKey)
        => WithLocation(markupKey, DiagnosticLocationOptions.None);

    /// <summary>Adds the span marked <c>{|#markupKey:...|}</c> in the test source as the next location.</summary>
    /// <param name="markupKey">The number n of the <c>#n</c> markup.</param>
    /// <param name="options">Further options; <see cref="DiagnosticLocationOptions.InterpretAsMarkupKey"/> is always added.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLocation(int markupKey, DiagnosticLocationOptions options)
    {
        // The key travels in the column of an empty-path position until the markup is processed.
        var position = new LinePosition(0, markupKey);
        return AppendSpan(new FileLinePositionSpan(string.Empty, position, position), options | DiagnosticLocationOptions.InterpretAsMarkupKey);
    }

    /// <summary>Adds a location in the default file with the given 1-based start and end (both compared).</summary>
    /// <param name="startLine">The 1-based start line.</param>
    /// <param name="startColumn">The 1-based start column.</param>
    /// <param name="endLine">The 1-based end line.</param>
    /// <param name="endColumn">The 1-based end column (exclusive, as Roslyn spans are).</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithSpan(int startLine, int startColumn, int endLine, int endColumn)
        => WithSpan(string.Empty, startLine, startColumn, endLine, endColumn);

    /// <summary>Adds a location in <paramref name="path"/> with the given 1-based start and end (both compared).</summary>
    /// <param name="path">The file path.</param>
    /// <param name="startLine">The 1-based start line.</param>
    /// <param name="startColumn">The 1-based start column.</param>
    /// <param name="endLine">The 1-based end line.</param>
    /// <param name="endColumn">The 1-based end column (exclusive).</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithSpan(string path, int startLine, int startColumn, int endLine, int endColumn)
        => AppendSpan(
            new FileLinePositionSpan(path, new LinePosition(startLine - 1, startColumn - 1), new LinePosition(endLine - 1, endColumn - 1)),
            DiagnosticLocationOptions.None);

    /// <summary>Adds the given location (0-based positions, both ends compared).</summary>
    /// <param name="span">The location.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithSpan(FileLinePositionSpan span)
        => AppendSpan(span, DiagnosticLocationOptions.None);

    /// <summary>Adds the given location with the given options.</summary>
    /// <param name="span">The location.</param>
    /// <param name="options">How to compare it.</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithSpan(FileLinePositionSpan span, DiagnosticLocationOptions options)
        => AppendSpan(span, options);

    /// <summary>Returns a copy in which every location without a path gets <paramref name="path"/>.</summary>
    /// <param name="path">The default path, e.g. "/0/Test0.cs".</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithDefaultPath(string path)
    {
        if (Spans.IsEmpty)
        {
            return this;
        }

        var spans = Spans.ToBuilder();
        for (var i = 0; i < spans.Count; i++)
        {
            // Markup keys keep their empty path until they are resolved against the markup.
            if (spans[i].Options.HasFlag(DiagnosticLocationOptions.InterpretAsMarkupKey) || spans[i].Span.Path.Length != 0)
            {
                continue;
            }

            spans[i] = new DiagnosticLocation(new FileLinePositionSpan(path, spans[i].Span.Span), spans[i].Options);
        }

        return WithSpans(spans.MoveToImmutable());
    }

    /// <summary>Returns a copy with every location moved down by <paramref name="offset"/> lines.</summary>
    /// <param name="offset">The number of lines (may be negative).</param>
    /// <returns>The changed copy.</returns>
    public DiagnosticResult WithLineOffset(int offset)
    {
        if (Spans.IsEmpty)
        {
            return this;
        }

        var spans = Spans.ToBuilder();
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i].Span;
            var start = new LinePosition(span.StartLinePosition.Line + offset, span.StartLinePosition.Character);
            var end = new LinePosition(span.EndLinePosition.Line + offset, span.EndLinePosition.Character);
            spans[i] = new DiagnosticLocation(new FileLinePositionSpan(span.Path, start, end), spans[i].Options);
        }

        return WithSpans(spans.MoveToImmutable());
    }

    /// <summary>Moves the locations that lie in one of <paramref name="paths"/> down by <paramref name="offset"/> lines.</summary>
    /// <remarks>Used when a line is prepended to some files only (the generated-code and pragma re-runs).</remarks>
    internal DiagnosticResult WithLineOffsetInFiles(int offset, IReadOnlyCollection<string> paths)
    {
        if (Spans.IsEmpty)
        {
            return this;
        }

        var spans = Spans.ToBuilder();
        for (var i = 0; i < spans.Count; i++)
        {
            var span = spans[i].Span;
            if (!System.Linq.Enumerable.Contains(paths, span.Path))
            {
                continue;
            }

            var start = new LinePosition(span.StartLinePosition.Line + offset, span.StartLinePosition.Character);
            var end = new LinePosition(span.EndLinePosition.Line + offset, span.EndLinePosition.Character);
            spans[i] = new DiagnosticLocation(new FileLinePositionSpan(span.Path, start, end), spans[i].Options);
        }

        return WithSpans(spans.MoveToImmutable());
    }

    /// <summary>Replaces markup-key locations with the spans marked in the sources.</summary>
    /// <param name="markupLocations">The marked spans by key ("#0", "#1", ...).</param>
    /// <exception cref="InvalidOperationException">A referenced key is not marked in any source.</exception>
    internal DiagnosticResult WithAppliedMarkupLocations(IReadOnlyDictionary<string, FileLinePositionSpan> markupLocations)
    {
        if (Spans.IsEmpty)
        {
            return this;
        }

        var spans = Spans.ToBuilder();
        for (var i = 0; i < spans.Count; i++)
        {
            if (!spans[i].Options.HasFlag(DiagnosticLocationOptions.InterpretAsMarkupKey))
            {
                continue;
            }

            var key = "#" + spans[i].Span.StartLinePosition.Character.ToString(CultureInfo.InvariantCulture);
            if (!markupLocations.TryGetValue(key, out var location))
            {
                throw new InvalidOperationException($"The markup location '{key}' was not found in the input.");
            }

            spans[i] = new DiagnosticLocation(location, spans[i].Options & ~DiagnosticLocationOptions.InterpretAsMarkupKey);
        }

        return WithSpans(spans.MoveToImmutable());
    }

    /// <summary>
    /// Formats the expectation like a compiler message, e.g. <c>/0/Test0.cs(3,9,3,12): warning TOY001: Identifier 'Bad' is bad</c>.
    /// A start-only location prints as <c>(3,9)</c>, an unresolved markup key as <c>{|#0|}</c>.
    /// </summary>
    /// <returns>The formatted expectation.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder();
        if (HasLocation)
        {
            var location = Spans[0];
            if (location.Options.HasFlag(DiagnosticLocationOptions.InterpretAsMarkupKey))
            {
                builder.Append("{|#").Append(location.Span.StartLinePosition.Character).Append("|}: ");
            }
            else
            {
                builder.Append(location.Span.Path.Length == 0 ? "?" : location.Span.Path);
                builder.Append('(').Append(location.Span.StartLinePosition.Line + 1).Append(',').Append(location.Span.StartLinePosition.Character + 1);
                if (!location.Options.HasFlag(DiagnosticLocationOptions.IgnoreLength))
                {
                    builder.Append(',').Append(location.Span.EndLinePosition.Line + 1).Append(',').Append(location.Span.EndLinePosition.Character + 1);
                }

                builder.Append("): ");
            }
        }

        builder.Append(Severity.ToString().ToLowerInvariant()).Append(' ').Append(Id);
        var message = Message;
        if (message is not null)
        {
            builder.Append(": ").Append(message);
        }

        return builder.ToString();
    }

    private DiagnosticResult AppendSpan(FileLinePositionSpan span, DiagnosticLocationOptions options)
        => WithSpans(Spans.Add(new DiagnosticLocation(span, options)));

    private DiagnosticResult WithSpans(ImmutableArray<DiagnosticLocation> spans)
        => new(spans, _suppressMessage, _message, Severity, Options, Id, MessageFormat, MessageArguments, IsSuppressed);
}
