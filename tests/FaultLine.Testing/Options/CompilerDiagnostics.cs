namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Which compiler diagnostics take part in verification. Those included must be expected like analyzer
/// diagnostics; the default, <see cref="Errors"/>, means test code must compile or declare its errors.
/// </summary>
public enum CompilerDiagnostics
{
    /// <summary>Ignore all compiler diagnostics.</summary>
    None = 0,

    /// <summary>Include compiler errors.</summary>
    Errors = 1,

    /// <summary>Include compiler errors and warnings.</summary>
    Warnings = 2,

    /// <summary>Include compiler errors, warnings and info diagnostics.</summary>
    Suggestions = 3,

    /// <summary>Include every compiler diagnostic, hidden ones too.</summary>
    All = 4,
}
