using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>What a helper does with one of its <c>Page[]</c> parameters.</summary>
internal enum PageArrayUse : byte
{
    /// <summary>Reads the pages and keeps nothing: the caller still owes their release.</summary>
    JustUses,

    /// <summary>Releases the first <c>count</c> pages (<see cref="PageArraySummary.CountOrdinal"/>).</summary>
    Releases,

    /// <summary>Stores, returns or passes the array on, or does something not followed: Unknown.</summary>
    Unknown,
}

/// <summary>The summary of one helper parameter.</summary>
internal readonly struct PageArraySummary
{
    public PageArraySummary(PageArrayUse use, int countOrdinal, bool unpins)
    {
        Use = use;
        CountOrdinal = countOrdinal;
        Unpins = unpins;
    }

    public PageArrayUse Use { get; }

    /// <summary>For <see cref="PageArrayUse.Releases"/>: the parameter that gives the count.</summary>
    public int CountOrdinal { get; }

    /// <summary>For <see cref="PageArrayUse.Releases"/>: true if it unpins (UnpinUserPage(s)), false if it puts (PutPage).</summary>
    public bool Unpins { get; }

    public static PageArraySummary Unknown => new(PageArrayUse.Unknown, -1, false);
}

/// <summary>
/// Per compilation, what each helper does with a page array it is handed (FL4005, FL4006): release its first
/// <c>count</c> pages (<c>Gup.UnpinUserPages(pages, count)</c>, or a <c>for (i = 0; i &lt; count; i++)</c> loop of
/// UnpinUserPage/PutPage), merely read it, or anything else (Unknown). A helper that passes the array to another
/// helper is Unknown, so there is no recursion and no cycle to guard.
/// </summary>
internal sealed class PageReleaseSummaries
{
    private readonly KnownSymbols symbols;
    private readonly ConcurrentDictionary<(IMethodSymbol, int), PageArraySummary> cache = new(new KeyComparer());

    public PageReleaseSummaries(KnownSymbols symbols)
    {
        this.symbols = symbols;
    }

    public PageArraySummary Of(IMethodSymbol method, int ordinal, MethodSummaries summaries, SummaryScope scope)
    {
        method = method.OriginalDefinition;
        if (cache.TryGetValue((method, ordinal), out var cached))
        {
            return cached;
        }

        var value = Compute(method, ordinal, summaries, scope);
        cache.TryAdd((method, ordinal), value);
        return value;
    }

    private PageArraySummary Compute(IMethodSymbol method, int ordinal, MethodSummaries summaries, SummaryScope scope)
    {
        if (ordinal < 0 || ordinal >= method.Parameters.Length || method.Parameters[ordinal].RefKind != RefKind.None
            || summaries.BodyOf(method, scope) is not { } body)
        {
            return PageArraySummary.Unknown;
        }

        var parameter = method.Parameters[ordinal];
        var result = new PageArraySummary(PageArrayUse.JustUses, -1, false);
        foreach (var operation in body.DescendantsAndSelf())
        {
            scope.CancellationToken.ThrowIfCancellationRequested();
            if (operation is not IParameterReferenceOperation reference || !SymbolEqualityComparer.Default.Equals(reference.Parameter, parameter))
            {
                continue;
            }

            var use = Classify(reference, out var countOrdinal, out var unpins);
            if (use == PageArrayUse.Unknown)
            {
                return PageArraySummary.Unknown;
            }

            if (use == PageArrayUse.Releases)
            {
                if (result.Use == PageArrayUse.Releases && (result.CountOrdinal != countOrdinal || result.Unpins != unpins))
                {
                    return PageArraySummary.Unknown;
                }

                result = new PageArraySummary(PageArrayUse.Releases, countOrdinal, unpins);
            }
        }

        return result;
    }

    private PageArrayUse Classify(IParameterReferenceOperation reference, out int countOrdinal, out bool unpins)
    {
        countOrdinal = -1;
        unpins = false;
        var parent = reference.Parent;
        while (parent is IConversionOperation or IParenthesizedOperation)
        {
            parent = parent.Parent;
        }

        switch (parent)
        {
            case IPropertyReferenceOperation { Property.Name: "Length" }:
                return PageArrayUse.JustUses;

            case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                if (symbols.IsMethod(invocation.TargetMethod, symbols.UnpinUserPages)
                    && MmapLockCallArgument(invocation, 1) is IParameterReferenceOperation count)
                {
                    countOrdinal = count.Parameter.Ordinal;
                    unpins = true;
                    return PageArrayUse.Releases;
                }

                // Other runtime calls (GUP filling it, page helpers) only use the array.
                return invocation.TargetMethod.ContainingAssembly?.Name == KnownSymbols.RuntimeAssemblyName
                    && argument.Parameter?.RefKind == RefKind.None
                    ? PageArrayUse.JustUses
                    : PageArrayUse.Unknown;

            case IArrayElementReferenceOperation element when element.ArrayReference == reference || element.ArrayReference == reference.Parent:
                return ClassifyElement(element, out countOrdinal, out unpins);

            default:
                return PageArrayUse.Unknown;
        }
    }

    private PageArrayUse ClassifyElement(IArrayElementReferenceOperation element, out int countOrdinal, out bool unpins)
    {
        countOrdinal = -1;
        unpins = false;
        switch (element.Parent)
        {
            case IArgumentOperation { Parent: IInvocationOperation invocation }
                when symbols.IsMethod(invocation.TargetMethod, symbols.UnpinUserPage) || symbols.IsMethod(invocation.TargetMethod, symbols.PutPage):
                unpins = symbols.IsMethod(invocation.TargetMethod, symbols.UnpinUserPage);
                return LoopBound(element, out countOrdinal) ? PageArrayUse.Releases : PageArrayUse.Unknown;

            case IPropertyReferenceOperation or IFieldReferenceOperation or IInvocationOperation:
                // pages[i].Data, pages[i].Pfn: a read.
                return PageArrayUse.JustUses;

            default:
                return PageArrayUse.Unknown;
        }
    }

    /// <summary>Whether the element access sits in <c>for (...; i &lt; count; ...)</c> indexing by i, with count a parameter.</summary>
    private static bool LoopBound(IArrayElementReferenceOperation element, out int countOrdinal)
    {
        countOrdinal = -1;
        if (element.Indices.Length != 1 || Flow.Comparisons.StripConversions(element.Indices[0]) is not ILocalReferenceOperation index)
        {
            return false;
        }

        for (var node = element.Syntax.Parent; node is not null and not MemberDeclarationSyntax; node = node.Parent)
        {
            if (node is ForStatementSyntax { Condition: BinaryExpressionSyntax condition } loop
                && condition.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.LessThanExpression)
                && element.SemanticModel?.GetOperation(condition) is IBinaryOperation binary
                && Flow.Comparisons.StripConversions(binary.LeftOperand) is ILocalReferenceOperation loopIndex
                && SymbolEqualityComparer.Default.Equals(loopIndex.Local, index.Local)
                && Flow.Comparisons.StripConversions(binary.RightOperand) is IParameterReferenceOperation bound)
            {
                countOrdinal = bound.Parameter.Ordinal;
                return loop.Statement.Span.Contains(element.Syntax.Span);
            }
        }

        return false;
    }

    private static IOperation? MmapLockCallArgument(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return Flow.Comparisons.StripConversions(argument.Value);
            }
        }

        return null;
    }

    private sealed class KeyComparer : System.Collections.Generic.IEqualityComparer<(IMethodSymbol Method, int Ordinal)>
    {
        public bool Equals((IMethodSymbol Method, int Ordinal) x, (IMethodSymbol Method, int Ordinal) y) =>
            x.Ordinal == y.Ordinal && SymbolEqualityComparer.Default.Equals(x.Method, y.Method);

        public int GetHashCode((IMethodSymbol Method, int Ordinal) obj) =>
            SymbolEqualityComparer.Default.GetHashCode(obj.Method) ^ obj.Ordinal;
    }
}
