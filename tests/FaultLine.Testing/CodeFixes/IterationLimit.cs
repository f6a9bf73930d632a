using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// An iteration setting (<c>NumberOfIncrementalIterations</c> and friends): positive = exactly that many, negative =
/// at most that many, 0 = no fix offered. -1 is read as "exactly 1", as roslyn-sdk does, because "at most one" for a
/// test that expects a change can only mean one.
/// </summary>
internal readonly record struct IterationLimit(int Count, bool IsExact)
{
    public static IterationLimit From(int setting)
        => setting == -1 ? new IterationLimit(1, IsExact: true)
            : setting >= 0 ? new IterationLimit(setting, IsExact: true)
            : new IterationLimit(-setting, IsExact: false);

    /// <summary>
    /// Gets the most iterations a run may take before it is stopped as runaway. One more than the limit is allowed,
    /// as in roslyn-sdk, so a run that overshoots by one and then ends reports the exact count it took.
    /// </summary>
    public int Maximum => Count + 1;

    /// <summary>Returns the failure for a run that finished after <paramref name="iterations"/> iterations, if any.</summary>
    public string? Check(int iterations, string what)
    {
        if (IsExact && iterations != Count)
        {
            return $"Expected '{Count}' iterations but found '{iterations}' iterations.";
        }

        return !IsExact && iterations > Count
            ? $"The upper limit for the number of {what} iterations was exceeded: at most {Count} allowed, {iterations} taken."
            : null;
    }

    /// <summary>Describes a run stopped because it kept offering changes past the limit.</summary>
    public string Runaway(int iterations, string what)
        => $"The upper limit for the number of {what} iterations was exceeded: {(IsExact ? "exactly" : "at most")} {Count} expected, "
            + $"but the fix was still changing the code after {iterations} iterations. A fix whose result is flagged again never reaches a fixed point."
            + Environment.NewLine
            + "If more iterations are intended, set NumberOfIncrementalIterations / NumberOfFixAllIterations.";
}
