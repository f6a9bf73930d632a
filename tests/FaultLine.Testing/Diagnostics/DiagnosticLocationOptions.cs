using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>How one expected location is compared.</summary>
[Flags]
public enum DiagnosticLocationOptions
{
    /// <summary>Compare path, start and end.</summary>
    None = 0,

    /// <summary>Compare path and start only; <c>WithLocation(line, column)</c> sets this.</summary>
    IgnoreLength = 1,

    /// <summary>
    /// The location is a markup key (<c>{|#n:...|}</c>) to be replaced by the span marked in the source;
    /// <c>WithLocation(int markupKey)</c> sets this.
    /// </summary>
    InterpretAsMarkupKey = 2,

    /// <summary>
    /// The actual diagnostic must mark this location as unnecessary code (its descriptor carries
    /// <see cref="WellKnownDiagnosticTags.Unnecessary"/>), i.e. the IDE fades it.
    /// </summary>
    UnnecessaryCode = 4,
}
