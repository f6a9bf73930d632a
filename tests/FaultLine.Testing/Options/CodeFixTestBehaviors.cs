using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Checks a code fix test makes, which a test may switch off or narrow.</summary>
[Flags]
public enum CodeFixTestBehaviors
{
    /// <summary>Run every check.</summary>
    None = 0,

    /// <summary>Apply one fix (to the first fixable diagnostic) instead of fixing until nothing is left.</summary>
    FixOne = 1,

    /// <summary>Skip Fix All in document.</summary>
    SkipFixAllInDocumentCheck = 2,

    /// <summary>Skip Fix All in project.</summary>
    SkipFixAllInProjectCheck = 4,

    /// <summary>Skip Fix All in solution.</summary>
    SkipFixAllInSolutionCheck = 8,

    /// <summary>Skip every Fix All scope.</summary>
    SkipFixAllCheck = SkipFixAllInDocumentCheck | SkipFixAllInProjectCheck | SkipFixAllInSolutionCheck,

    /// <summary>
    /// Allow fixing diagnostics reported by compilation(-end) actions. Roslyn treats those as non-local: the IDE
    /// cannot find them when analysing one document, so by default a fix offered for one fails the test.
    /// </summary>
    SkipLocalDiagnosticCheck = 16,
}
