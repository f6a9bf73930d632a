namespace Microsoft.CodeAnalysis.Testing;

/// <summary>How a derived state (fixed, batch fixed) takes values its test did not set from its base state.</summary>
public enum StateInheritanceMode
{
    /// <summary>Inherit nothing.</summary>
    Explicit = 0,

    /// <summary>
    /// Inherit each empty collection from the base; expected diagnostics are inherited without the fixable ones
    /// (a fix is expected to remove those).
    /// </summary>
    AutoInherit = 1,

    /// <summary>Inherit each empty collection from the base, expected diagnostics included.</summary>
    AutoInheritAll = 2,
}
