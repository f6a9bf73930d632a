using FaultLine.Samples.Postcopy;
using BuggyVcpu = FaultLine.Samples.Postcopy.Buggy.Vcpu;
using FixedVcpu = FaultLine.Samples.Postcopy.Fixed.Vcpu;

namespace FaultLine.Demo;

/// <summary>
/// The sample's vCPU as the demo drives it. Buggy.Vcpu and Fixed.Vcpu are two complete ports with the
/// same members but no common base type (the samples keep each variant self-contained), so the demo
/// reaches them through delegates.
/// </summary>
internal sealed record SampleVcpu(
    Func<ulong, bool, int> PageFault,
    Func<KvmExitReason> ExitReason,
    Func<long> SignalExits,
    Func<int> MappedPages);

/// <summary>One of the two postcopy vCPUs: what it is called, where its source is, how to make one.</summary>
internal sealed record VcpuVariant(string Name, string TypeName, string SourceFile, Func<GuestRam, SampleVcpu> Create)
{
    /// <summary>FOLL_INTERRUPTIBLE on get_user_pages, which has no `locked` (FL1001): the kick cannot work.</summary>
    public static readonly VcpuVariant Buggy = new(
        "buggy vCPU",
        "Postcopy.Buggy.Vcpu",
        "Postcopy/Buggy.cs",
        ram =>
        {
            var vcpu = new BuggyVcpu(0, ram);
            return new SampleVcpu(vcpu.PageFault, () => vcpu.ExitReason, () => vcpu.SignalExits, () => vcpu.Stage2.Count);
        });

    /// <summary>FOLL_INTERRUPTIBLE on get_user_pages_unlocked, as KVM does since v6.2.</summary>
    public static readonly VcpuVariant Fixed = new(
        "fixed vCPU",
        "Postcopy.Fixed.Vcpu",
        "Postcopy/Fixed.cs",
        ram =>
        {
            var vcpu = new FixedVcpu(0, ram);
            return new SampleVcpu(vcpu.PageFault, () => vcpu.ExitReason, () => vcpu.SignalExits, () => vcpu.Stage2.Count);
        });
}
