using FaultLine.Analyzers.Flow.Lattices;
using Xunit;

namespace FaultLine.Analyzers.Tests.Flow;

/// <summary>The value lattice behind every flag rule: exact sets, known bits of unknown values, and Unknown.</summary>
public class ConstantSetTests
{
    private const long Write = 1;
    private const long Nowait = 1 << 4;
    private const long Interruptible = 1 << 11;

    [Fact]
    public void Or_of_known_sets_is_exact()
    {
        var flags = ConstantSet.Of(new[] { Write, 0L }).Or(ConstantSet.Of(Interruptible));

        Assert.True(flags.IsKnown);
        Assert.Equal(new[] { Interruptible, Interruptible | Write }, flags.Values);
        Assert.True(flags.AllHave(Interruptible));
        Assert.False(flags.AllHave(Write));
    }

    [Fact]
    public void Unknown_satisfies_no_test()
    {
        var unknown = ConstantSet.Unknown;

        Assert.False(unknown.AllHave(Interruptible));
        Assert.False(unknown.AllHaveAnyOf(Interruptible | Nowait));
        Assert.False(unknown.NoneHaveAnyOf(Interruptible));
        Assert.False(unknown.AllWithin(Write));
        Assert.False(unknown.SomeValueHasAnyOf(Nowait));
    }

    [Fact]
    public void A_bit_set_on_an_unknown_value_is_known_and_the_rest_stays_unknown()
    {
        var flags = ConstantSet.Unknown.Or(ConstantSet.Of(Interruptible));

        Assert.True(flags.AllHave(Interruptible));
        Assert.False(flags.AllHave(Nowait));
        Assert.False(flags.NoneHaveAnyOf(Nowait));
    }

    [Fact]
    public void And_with_a_complement_clears_the_bit_of_an_unknown_value()
    {
        var flags = ConstantSet.Unknown.Or(ConstantSet.Of(Nowait)).And(ConstantSet.Of(Nowait).Complement());

        Assert.True(flags.NoneHaveAnyOf(Nowait));
        Assert.False(flags.AllHave(Nowait));
    }

    [Fact]
    public void Join_keeps_only_the_bits_both_sides_agree_on()
    {
        var joined = ConstantSet.Unknown.Or(ConstantSet.Of(Interruptible | Write)).Join(ConstantSet.Of(Interruptible));

        Assert.True(joined.AllHave(Interruptible));
        Assert.False(joined.AllHave(Write));
        Assert.Equal(ConstantSet.Of(Write), ConstantSet.Of(Write).Join(ConstantSet.Bottom));
    }

    [Fact]
    public void Too_many_values_widen_to_their_known_bits()
    {
        var values = new long[ConstantSet.MaxValues + 1];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Interruptible | ((long)i << 20);
        }

        var widened = ConstantSet.Of(values);

        Assert.False(widened.IsKnown);
        Assert.True(widened.AllHave(Interruptible));
    }

    [Fact]
    public void Arithmetic_on_an_unknown_value_knows_nothing()
    {
        var sum = ConstantSet.Unknown.Or(ConstantSet.Of(Interruptible)).Combine(ConstantSet.Of(1), (a, b) => a + b);

        Assert.True(sum.IsTop);
    }
}
