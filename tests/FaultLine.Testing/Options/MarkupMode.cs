namespace Microsoft.CodeAnalysis.Testing;

/// <summary>What markup (<c>[|...|]</c>, <c>{|ID:...|}</c>, <c>{|#n:...|}</c>, <c>$$</c>) in a state's files means.</summary>
public enum MarkupMode
{
    /// <summary>No markup: the text is used as is.</summary>
    None = 0,

    /// <summary>Markup is removed and creates no expected diagnostics (<c>#n</c> locations still resolve).</summary>
    Ignore = 1,

    /// <summary>
    /// Markup is removed; it creates expected diagnostics except for IDs some code fix provider can fix. The default
    /// for fixed code, so a fixed text copied from the input may keep its markup.
    /// </summary>
    IgnoreFixable = 2,

    /// <summary>Markup is removed and creates expected diagnostics. The default for input code.</summary>
    Allow = 3,
}
