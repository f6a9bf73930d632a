using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Options for markup processing.</summary>
[Flags]
public enum MarkupOptions
{
    /// <summary>No options.</summary>
    None = 0,

    /// <summary>
    /// <c>[|...|]</c> and <c>$$</c> use the first descriptor of the first analyzer that has one (instead of requiring
    /// the first analyzer to have exactly one), and <c>{|ID:...|}</c> takes the first descriptor with that ID.
    /// </summary>
    UseFirstDescriptor = 1,

    /// <summary><c>$$</c> is code, not a position marker (e.g. in <c>$$"""...{{x}}..."""</c> raw strings).</summary>
    TreatPositionIndicatorsAsCode = 2,
}
