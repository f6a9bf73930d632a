namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// The result of one fixing run: the fixed project, and the iteration-count failure if any. A runaway run (still
/// changing code past the limit) is reported before the output is compared, since its output is arbitrary.
/// </summary>
internal sealed record FixOutcome(Project Project, string? IterationFailure, bool IsRunaway);
