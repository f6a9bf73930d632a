using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// Which result classes can make a test of a GUP result true, and which can make it false. Each class is an
/// interval of values (-EINTR, -EAGAIN, other errors below zero, 0, 1..n-1, n), so a comparison with a constant
/// keeps the classes with a value on the matching side; a comparison with the requested count separates
/// Full from the rest.
/// </summary>
internal static class ResultNarrowing
{
    public static (ResultClasses WhenTrue, ResultClasses WhenFalse) ForComparison(
        BinaryOperatorKind kind, IOperation other, GupCallSite site, KnownSymbols symbols, GraphIndex? index)
    {
        if (Comparisons.ConstantOf(other) is { } constant)
        {
            return ForConstant(kind, constant, site, symbols);
        }

        var origin = index is null ? Comparisons.StripConversions(other) : index.Origin(other);
        if (site.Count is not null && (Comparisons.SameValueSource(site.Count, origin)
            || Microsoft.CodeAnalysis.CSharp.SyntaxFactory.AreEquivalent(site.Count.Syntax, origin.Syntax)))
        {
            return ForCount(kind);
        }

        return (ResultClasses.All, ResultClasses.All);
    }

    public static (ResultClasses WhenTrue, ResultClasses WhenFalse) ForPattern(IPatternOperation pattern, GupCallSite site, KnownSymbols symbols)
    {
        switch (pattern)
        {
            case IConstantPatternOperation constant when Comparisons.ConstantOf(constant.Value) is { } value:
                return ForConstant(BinaryOperatorKind.Equals, value, site, symbols);
            case IRelationalPatternOperation relational when Comparisons.ConstantOf(relational.Value) is { } value:
                return ForConstant(relational.OperatorKind, value, site, symbols);
            case INegatedPatternOperation negated:
                var (whenTrue, whenFalse) = ForPattern(negated.Pattern, site, symbols);
                return (whenFalse, whenTrue);
            case IBinaryPatternOperation binary:
                var left = ForPattern(binary.LeftPattern, site, symbols);
                var right = ForPattern(binary.RightPattern, site, symbols);
                return binary.OperatorKind == BinaryOperatorKind.Or
                    ? (left.WhenTrue | right.WhenTrue, left.WhenFalse & right.WhenFalse)
                    : (left.WhenTrue & right.WhenTrue, left.WhenFalse | right.WhenFalse);
            default:
                return (ResultClasses.All, ResultClasses.All);
        }
    }

    /// <summary>Tests with the requested count n: a GUP call never returns more than n.</summary>
    private static (ResultClasses, ResultClasses) ForCount(BinaryOperatorKind kind) => kind switch
    {
        BinaryOperatorKind.Equals => (ResultClasses.Full, ResultClasses.All & ~ResultClasses.Full),
        BinaryOperatorKind.NotEquals => (ResultClasses.All & ~ResultClasses.Full, ResultClasses.Full),
        BinaryOperatorKind.LessThan => (ResultClasses.All & ~ResultClasses.Full, ResultClasses.Full),
        BinaryOperatorKind.GreaterThanOrEqual => (ResultClasses.Full, ResultClasses.All & ~ResultClasses.Full),
        _ => (ResultClasses.All, ResultClasses.All),
    };

    private static (ResultClasses, ResultClasses) ForConstant(BinaryOperatorKind kind, long constant, GupCallSite site, KnownSymbols symbols)
    {
        var whenTrue = ResultClasses.None;
        var whenFalse = ResultClasses.None;
        var negated = Comparisons.Negate(kind);
        foreach (var cls in new[] { ResultClasses.Eintr, ResultClasses.Eagain, ResultClasses.OtherError, ResultClasses.Zero, ResultClasses.Partial, ResultClasses.Full })
        {
            var range = RangeOf(cls, site, symbols);
            if (range.MayHold(kind, constant))
            {
                whenTrue |= cls;
            }

            if (range.MayHold(negated, constant))
            {
                whenFalse |= cls;
            }
        }

        return (whenTrue, whenFalse);
    }

    private static ClassRange RangeOf(ResultClasses cls, GupCallSite site, KnownSymbols symbols)
    {
        var eintr = -(symbols.EINTR ?? 4);
        var eagain = -(symbols.EAGAIN ?? 11);
        var count = site.CountConstant is > 0 ? site.CountConstant.Value : (long?)null;
        return cls switch
        {
            ResultClasses.Eintr => new ClassRange(eintr, eintr),
            ResultClasses.Eagain => new ClassRange(eagain, eagain),
            ResultClasses.OtherError => new ClassRange(long.MinValue, -1, eintr, eagain),
            ResultClasses.Zero => new ClassRange(0, 0),
            ResultClasses.Partial => count is { } n ? new ClassRange(1, n - 1) : new ClassRange(1, long.MaxValue),
            _ => count is { } m ? new ClassRange(m, m) : new ClassRange(1, long.MaxValue),
        };
    }

    /// <summary>An interval of values, minus up to two excluded points.</summary>
    private readonly struct ClassRange
    {
        private readonly long low;
        private readonly long high;
        private readonly long? excluded1;
        private readonly long? excluded2;

        public ClassRange(long low, long high, long? excluded1 = null, long? excluded2 = null)
        {
            this.low = low;
            this.high = high;
            this.excluded1 = excluded1;
            this.excluded2 = excluded2;
        }

        /// <summary>Whether some value of the range satisfies <c>value OP constant</c>.</summary>
        public bool MayHold(BinaryOperatorKind kind, long constant)
        {
            if (low > high)
            {
                return false;
            }

            return kind switch
            {
                BinaryOperatorKind.Equals => constant >= low && constant <= high && constant != excluded1 && constant != excluded2,
                BinaryOperatorKind.NotEquals => !(low == high && low == constant),
                BinaryOperatorKind.LessThan => low < constant,
                BinaryOperatorKind.LessThanOrEqual => low <= constant,
                BinaryOperatorKind.GreaterThan => high > constant,
                BinaryOperatorKind.GreaterThanOrEqual => high >= constant,
                _ => true,
            };
        }
    }
}
