namespace FaultLine;

/// <summary>
/// Marks a method that may block (the kernel's might_sleep()). The runtime's sleeping methods carry
/// it; put it on your own helpers so that the FL2001 and FL3006 analyzers see through calls they
/// cannot read (interfaces, other assemblies).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property, Inherited = true)]
public sealed class MaySleepAttribute : Attribute
{
}

/// <summary>
/// Marks a method that must never reach a may-sleep call, like code run in atomic context.
/// FL3006 checks it, through helper calls.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, Inherited = true)]
public sealed class MustNotSleepAttribute : Attribute
{
}
