namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// A public type in this test assembly, which test code can only use when the assembly is added to
/// <c>TestState.AdditionalReferences</c> — the way FaultLine's analyzer tests make test code see FaultLine.Runtime.
/// </summary>
public static class ToyLibrary
{
    public static int Answer() => 42;
}
