namespace Microsoft.CodeAnalysis.Testing;

/// <summary>One expected location of a <see cref="DiagnosticResult"/> and how to compare it.</summary>
public readonly struct DiagnosticLocation
{
    /// <summary>Initializes the location.</summary>
    /// <param name="span">The file and 0-based line/column span.</param>
    /// <param name="options">How to compare it.</param>
    public DiagnosticLocation(FileLinePositionSpan span, DiagnosticLocationOptions options)
    {
        Span = span;
        Options = options;
    }

    /// <summary>Gets the file and 0-based line/column span.</summary>
    public FileLinePositionSpan Span { get; }

    /// <summary>Gets how the location is compared.</summary>
    public DiagnosticLocationOptions Options { get; }
}
