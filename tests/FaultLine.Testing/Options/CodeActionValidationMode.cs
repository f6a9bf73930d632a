namespace Microsoft.CodeAnalysis.Testing;

/// <summary>How the syntax tree a code action produces is checked against a fresh parse of its own text.</summary>
public enum CodeActionValidationMode
{
    /// <summary>Compare text only.</summary>
    None = 0,

    /// <summary>
    /// The tree must have the same nodes and tokens as the tree parsed from its text, trivia aside. This catches
    /// fixes that build trees which print correctly but mean something else when read back (missing parentheses
    /// or separators).
    /// </summary>
    SemanticStructure = 1,

    /// <summary>Like <see cref="SemanticStructure"/>, and trivia must match too.</summary>
    Full = 2,
}
