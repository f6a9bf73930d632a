using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Testing;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// A <see cref="DefaultVerifier"/> that records every context pushed, so a test can see which phases ran
/// (e.g. the generated-code and pragma re-runs).
/// </summary>
public sealed class RecordingVerifier : DefaultVerifier
{
    public RecordingVerifier()
    {
    }

    private RecordingVerifier(ImmutableStack<string> context)
        : base(context)
    {
    }

    /// <summary>Gets the contexts pushed so far. Only the tests of one class use this, and xunit runs them one at a time.</summary>
    public static ConcurrentQueue<string> Contexts { get; } = new();

    public override IVerifier PushContext(string context)
    {
        Contexts.Enqueue(context);
        return new RecordingVerifier(Context.Push(context));
    }
}
