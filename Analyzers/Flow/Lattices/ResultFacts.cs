namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// What one path knows about the result of one GUP call: the values still possible after the tests it went
/// through, and how the result has been used so far. Joins keep the union of possibilities and the "or" of the
/// flags, so at a merge the facts err toward "handled" and "escaped": rules report only what holds on every path.
/// </summary>
internal sealed class ResultFacts
{
    public ResultFacts(ResultClasses possible, bool tested, bool handled, bool escaped, ResultClasses accounted)
    {
        Possible = possible;
        Tested = tested;
        Handled = handled;
        Escaped = escaped;
        Accounted = accounted;
    }

    /// <summary>The result values this path still allows.</summary>
    public ResultClasses Possible { get; }

    /// <summary>The result took part in a comparison or a pattern test.</summary>
    public bool Tested { get; }

    /// <summary>
    /// Compared with the requested count or another bound (<c>ret != n</c>, <c>i &lt; ret</c>), or used as the count
    /// of a release: whoever reads the pages knows how many there are (FL1003 stays silent).
    /// </summary>
    public bool Handled { get; }

    /// <summary>Returned, stored, used in arithmetic or passed where we cannot see: every rule stays silent.</summary>
    public bool Escaped { get; }

    /// <summary>Classes a helper the result was passed to singles out (its branch is not known here).</summary>
    public ResultClasses Accounted { get; }

    public ResultFacts WithPossible(ResultClasses possible) => new(possible, Tested, Handled, Escaped, Accounted);

    public ResultFacts AsTested() => Tested ? this : new(Possible, true, Handled, Escaped, Accounted);

    public ResultFacts AsHandled() => Handled && Tested ? this : new(Possible, true, true, Escaped, Accounted);

    public ResultFacts AsEscaped() => Escaped ? this : new(Possible, true, true, true, ResultClasses.All);

    public ResultFacts WithAccounted(ResultClasses accounted) => new(Possible, Tested, Handled, Escaped, Accounted | accounted);

    public ResultFacts Join(ResultFacts other) => new(
        Possible | other.Possible,
        Tested || other.Tested,
        Handled || other.Handled,
        Escaped || other.Escaped,
        Accounted | other.Accounted);

    public bool IsSame(ResultFacts other) =>
        Possible == other.Possible && Tested == other.Tested && Handled == other.Handled
        && Escaped == other.Escaped && Accounted == other.Accounted;
}
