using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Checks an analyzer test makes besides comparing diagnostics, which a test may switch off.</summary>
[Flags]
public enum TestBehaviors
{
    /// <summary>Run every check.</summary>
    None = 0,

    /// <summary>
    /// Skip the re-run with <c>// &lt;auto-generated&gt;</c> prepended to every source, which expects every
    /// located analyzer diagnostic to disappear.
    /// </summary>
    SkipGeneratedCodeCheck = 1,

    /// <summary>
    /// Skip the re-run with <c>#pragma warning disable</c> for the expected IDs prepended to every source, which
    /// expects those diagnostics to be suppressed.
    /// </summary>
    SkipSuppressionCheck = 2,

    /// <summary>Accepted for compatibility; this verifier does not run source generators.</summary>
    SkipGeneratedSourcesCheck = 4,
}
