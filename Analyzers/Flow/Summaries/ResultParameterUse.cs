using FaultLine.Analyzers.Flow.Lattices;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>
/// What a helper does with a parameter that receives a GUP result: whether it tests it, compares it with a count,
/// which signal errnos it looks for, or lets it escape (returns it, stores it, passes it where we cannot see).
/// </summary>
internal sealed class ResultParameterUse
{
    /// <summary>The helper cannot be read or lets the value escape: callers know nothing afterwards.</summary>
    public static readonly ResultParameterUse Escapes = new(tested: true, comparedWithCount: true, accounted: ResultClasses.All, escapes: true);

    public static readonly ResultParameterUse Unused = new(tested: false, comparedWithCount: false, accounted: ResultClasses.None, escapes: false);

    public ResultParameterUse(bool tested, bool comparedWithCount, ResultClasses accounted, bool escapes)
    {
        Tested = tested;
        ComparedWithCount = comparedWithCount;
        Accounted = accounted;
        Escaped = escapes;
    }

    public bool Tested { get; }

    public bool ComparedWithCount { get; }

    /// <summary>The result classes the helper singles out (e.g. Eintr for <c>r == -Errno.EINTR</c>).</summary>
    public ResultClasses Accounted { get; }

    public bool Escaped { get; }

    public ResultParameterUse Merge(ResultParameterUse other) => new(
        Tested || other.Tested,
        ComparedWithCount || other.ComparedWithCount,
        Accounted | other.Accounted,
        Escaped || other.Escaped);
}
