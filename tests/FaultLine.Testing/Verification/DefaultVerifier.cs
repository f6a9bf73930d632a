using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Linq;
using System.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// An <see cref="IVerifier"/> that does not depend on any test framework: every failed assertion throws
/// <see cref="InvalidOperationException"/>, whose message starts with the pushed context lines
/// ("Context: ...", outermost first) followed by what went wrong. Every test framework reports such an
/// exception as a failure, which is why the harness needs no xunit reference.
/// </summary>
public class DefaultVerifier : IVerifier
{
    /// <summary>Initializes a verifier with no context.</summary>
    public DefaultVerifier()
        : this(ImmutableStack<string>.Empty)
    {
    }

    /// <summary>Initializes a verifier with the given context stack.</summary>
    /// <param name="context">The context stack; the top is the innermost context.</param>
    public DefaultVerifier(ImmutableStack<string> context)
    {
        Context = context ?? throw new ArgumentNullException(nameof(context));
    }

    /// <summary>Gets the context stack; the top is the innermost (most recently pushed) context.</summary>
    protected ImmutableStack<string> Context { get; }

    /// <inheritdoc/>
    public virtual void Empty<T>(string collectionName, IEnumerable<T> collection)
    {
        var items = collection.ToList();
        if (items.Count != 0)
        {
            Fail($"'{collectionName}' is not empty; it contains {items.Count} item(s): {string.Join(", ", items)}");
        }
    }

    /// <inheritdoc/>
    public virtual void Equal<T>(T expected, T actual, string? message = null)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
        {
            Fail(message ?? $"Items not equal. Expected: '{expected}'. Actual: '{actual}'.");
        }
    }

    /// <inheritdoc/>
    [DoesNotReturn]
    public virtual void Fail(string? message = null)
    {
        throw new InvalidOperationException(CreateMessage(message ?? "Verification failed."));
    }

    /// <inheritdoc/>
    public virtual void False([DoesNotReturnIf(true)] bool assert, string? message = null)
    {
        if (assert)
        {
            Fail(message ?? "Expected false, but was true.");
        }
    }

    /// <inheritdoc/>
    public virtual void LanguageIsSupported(string language)
    {
        // Only C# is wired up (parse options, tree validation); say so instead of failing obscurely later.
        if (language != LanguageNames.CSharp)
        {
            Fail($"Unsupported language: '{language}'. This verifier supports only {LanguageNames.CSharp}.");
        }
    }

    /// <inheritdoc/>
    public virtual void NotEmpty<T>(string collectionName, IEnumerable<T> collection)
    {
        if (!collection.Any())
        {
            Fail($"'{collectionName}' is empty");
        }
    }

    /// <inheritdoc/>
    public virtual void SequenceEqual<T>(IEnumerable<T> expected, IEnumerable<T> actual, IEqualityComparer<T>? equalityComparer = null, string? message = null)
    {
        var expectedList = expected.ToList();
        var actualList = actual.ToList();
        if (!expectedList.SequenceEqual(actualList, equalityComparer ?? EqualityComparer<T>.Default))
        {
            var details = $"Expected: [{string.Join(", ", expectedList)}]{Environment.NewLine}Actual:   [{string.Join(", ", actualList)}]";
            Fail(message is null ? "Sequences are not equal." + Environment.NewLine + details : message + Environment.NewLine + details);
        }
    }

    /// <inheritdoc/>
    public virtual void True([DoesNotReturnIf(false)] bool assert, string? message = null)
    {
        if (!assert)
        {
            Fail(message ?? "Expected true, but was false.");
        }
    }

    /// <inheritdoc/>
    public virtual IVerifier PushContext(string context)
    {
        // A subclass that kept state of its own would lose it here, so make it say how to push context.
        if (GetType() != typeof(DefaultVerifier))
        {
            throw new InvalidOperationException($"'{GetType()}' must override '{nameof(PushContext)}'.");
        }

        return new DefaultVerifier(Context.Push(context));
    }

    /// <summary>Prefixes <paramref name="message"/> with the context lines, outermost first.</summary>
    /// <param name="message">The failure message.</param>
    /// <returns>The full message.</returns>
    protected virtual string CreateMessage(string message)
    {
        var builder = new StringBuilder();
        foreach (var frame in Context.Reverse())
        {
            builder.Append("Context: ").AppendLine(frame);
        }

        return builder.Append(message).ToString();
    }
}
