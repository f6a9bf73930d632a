namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// What a boolean test of <c>vmf.Flags</c> tells on each side: the FaultFlags bits known set and known clear when it
/// is true, and when it is false. <c>(vmf.Flags &amp; FaultFlags.RetryNowait) != 0</c> is true → RetryNowait set, false →
/// RetryNowait clear.
/// </summary>
internal readonly struct FaultFlagTest
{
    public FaultFlagTest(long trueSet, long trueClear, long falseSet, long falseClear)
    {
        TrueSet = trueSet;
        TrueClear = trueClear;
        FalseSet = falseSet;
        FalseClear = falseClear;
    }

    public long TrueSet { get; }

    public long TrueClear { get; }

    public long FalseSet { get; }

    public long FalseClear { get; }

    public FaultFlagTest Negate() => new(FalseSet, FalseClear, TrueSet, TrueClear);

    /// <summary>Tests whether any bit of <paramref name="mask"/> is set (<c>(flags &amp; mask) != 0</c>).</summary>
    public static FaultFlagTest AnySet(long mask) => new(IsSingleBit(mask) ? mask : 0, 0, 0, mask);

    /// <summary>Tests whether every bit of <paramref name="mask"/> is set (<c>(flags &amp; mask) == mask</c>, <c>HasFlag</c>).</summary>
    public static FaultFlagTest AllSet(long mask) => new(mask, 0, 0, IsSingleBit(mask) ? mask : 0);

    public bool IsSameAs(FaultFlagTest other) =>
        TrueSet == other.TrueSet && TrueClear == other.TrueClear && FalseSet == other.FalseSet && FalseClear == other.FalseClear;

    private static bool IsSingleBit(long mask) => mask != 0 && (mask & (mask - 1)) == 0;
}
