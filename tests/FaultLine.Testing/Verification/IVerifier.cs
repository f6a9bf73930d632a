using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// The assertions the test harness makes. Implementations report a failure by throwing; the harness never
/// catches those exceptions, so the first failed assertion ends the test.
/// </summary>
/// <remarks>
/// Same shape as roslyn-sdk's <c>IVerifier</c>, so a verifier written for one works with the other.
/// </remarks>
public interface IVerifier
{
    /// <summary>Asserts that <paramref name="collection"/> is empty.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="collectionName">The name used in the failure message.</param>
    /// <param name="collection">The collection to test.</param>
    void Empty<T>(string collectionName, IEnumerable<T> collection);

    /// <summary>Asserts that two values are equal according to <see cref="EqualityComparer{T}.Default"/>.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="expected">The expected value.</param>
    /// <param name="actual">The actual value.</param>
    /// <param name="message">The failure message, or <see langword="null"/> for a generic one.</param>
    void Equal<T>(T expected, T actual, string? message = null);

    /// <summary>Fails unconditionally.</summary>
    /// <param name="message">The failure message.</param>
    [DoesNotReturn]
    void Fail(string? message = null);

    /// <summary>Asserts that <paramref name="assert"/> is <see langword="false"/>.</summary>
    /// <param name="assert">The condition.</param>
    /// <param name="message">The failure message.</param>
    void False([DoesNotReturnIf(true)] bool assert, string? message = null);

    /// <summary>Asserts that the verifier can test code in <paramref name="language"/>.</summary>
    /// <param name="language">A value from <see cref="LanguageNames"/>.</param>
    void LanguageIsSupported(string language);

    /// <summary>Asserts that <paramref name="collection"/> has at least one element.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="collectionName">The name used in the failure message.</param>
    /// <param name="collection">The collection to test.</param>
    void NotEmpty<T>(string collectionName, IEnumerable<T> collection);

    /// <summary>Asserts that two sequences have equal elements in the same order.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="expected">The expected sequence.</param>
    /// <param name="actual">The actual sequence.</param>
    /// <param name="equalityComparer">The element comparer, or <see langword="null"/> for the default.</param>
    /// <param name="message">The failure message.</param>
    void SequenceEqual<T>(IEnumerable<T> expected, IEnumerable<T> actual, IEqualityComparer<T>? equalityComparer = null, string? message = null);

    /// <summary>Asserts that <paramref name="assert"/> is <see langword="true"/>.</summary>
    /// <param name="assert">The condition.</param>
    /// <param name="message">The failure message.</param>
    void True([DoesNotReturnIf(false)] bool assert, string? message = null);

    /// <summary>
    /// Returns a verifier whose failure messages start with <paramref name="context"/> (and the contexts already
    /// pushed), e.g. "Context: Diagnostics of test state", so a failure says which phase of the test it came from.
    /// </summary>
    /// <param name="context">A short description of the phase.</param>
    /// <returns>A verifier with the extra context.</returns>
    IVerifier PushContext(string context);
}
