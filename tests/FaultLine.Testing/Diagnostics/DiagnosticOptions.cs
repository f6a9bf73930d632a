using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Which parts of an expected diagnostic are not compared with the actual one.</summary>
[Flags]
public enum DiagnosticOptions
{
    /// <summary>Compare everything the expectation states.</summary>
    None = 0,

    /// <summary>Do not compare additional locations (markup-derived expectations use this).</summary>
    IgnoreAdditionalLocations = 1,

    /// <summary>Do not compare the severity (markup-derived expectations use this).</summary>
    IgnoreSeverity = 2,
}
