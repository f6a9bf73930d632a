using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Assertions built on top of <see cref="IVerifier"/>.</summary>
public static class IVerifierExtensions
{
    /// <summary>
    /// Asserts that two texts are equal; on failure the message shows a line diff with
    /// <paramref name="expected"/> as the baseline ("-" lines only in expected, "+" lines only in actual).
    /// </summary>
    /// <param name="verifier">The verifier that reports the failure.</param>
    /// <param name="expected">The expected text.</param>
    /// <param name="actual">The actual text.</param>
    /// <param name="message">What was compared; the diff follows it.</param>
    public static void EqualOrDiff(this IVerifier verifier, string expected, string actual, string? message = null)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal))
        {
            return;
        }

        var header = message ?? "Actual and expected values differ. Expected shown in baseline of diff:";
        verifier.Fail(header + Environment.NewLine + LineDiff.Render(expected, actual));
    }
}
