using System.Collections.Generic;
using System.Linq;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Pairs reported diagnostics with expectations. An expectation may state less than a diagnostic has (start only,
/// no message), so it can fit several diagnostics while a more precise one fits only one; a greedy pairing could
/// then fail a correct test. This finds a maximum matching of "fits" pairs (augmenting paths, as in bipartite
/// matching), which is exact and, for test-sized inputs, instant — no timeout needed.
/// </summary>
internal static class DiagnosticMatcher
{
    /// <summary>The outcome: fitting pairs, and the indices left over on each side.</summary>
    public sealed record Result(
        IReadOnlyList<(int Actual, int Expected)> Matched,
        IReadOnlyList<int> UnmatchedActual,
        IReadOnlyList<int> UnmatchedExpected);

    public static Result Match(IReadOnlyList<Diagnostic> actual, IReadOnlyList<DiagnosticResult> expected)
    {
        var fits = new List<int>[expected.Count];
        for (var e = 0; e < expected.Count; e++)
        {
            fits[e] = new List<int>();
            for (var a = 0; a < actual.Count; a++)
            {
                if (DiagnosticComparison.IsMatch(actual[a], expected[e]))
                {
                    fits[e].Add(a);
                }
            }
        }

        // actualOwner[a] = the expectation currently paired with actual diagnostic a, or -1.
        var actualOwner = Enumerable.Repeat(-1, actual.Count).ToArray();
        for (var e = 0; e < expected.Count; e++)
        {
            TryAugment(e, fits, actualOwner, new bool[actual.Count]);
        }

        var matched = new List<(int Actual, int Expected)>();
        for (var a = 0; a < actual.Count; a++)
        {
            if (actualOwner[a] >= 0)
            {
                matched.Add((a, actualOwner[a]));
            }
        }

        var matchedExpected = matched.Select(pair => pair.Expected).ToHashSet();
        return new Result(
            matched,
            Enumerable.Range(0, actual.Count).Where(a => actualOwner[a] < 0).ToList(),
            Enumerable.Range(0, expected.Count).Where(e => !matchedExpected.Contains(e)).ToList());
    }

    /// <summary>
    /// Pairs the left-over diagnostics and expectations by how much they agree (start, end, ID), most similar first,
    /// so a failure message compares an expectation with the diagnostic it was most likely meant to describe.
    /// </summary>
    public static IReadOnlyList<(int Actual, int Expected)> PairBySimilarity(
        IReadOnlyList<Diagnostic> actual,
        IReadOnlyList<DiagnosticResult> expected,
        IReadOnlyList<int> unmatchedActual,
        IReadOnlyList<int> unmatchedExpected)
    {
        var candidates =
            from a in unmatchedActual
            from e in unmatchedExpected
            let score = DiagnosticComparison.Similarity(actual[a], expected[e])
            orderby score descending, a, e
            select (Actual: a, Expected: e);

        var pairs = new List<(int Actual, int Expected)>();
        var usedActual = new HashSet<int>();
        var usedExpected = new HashSet<int>();
        foreach (var (a, e) in candidates)
        {
            if (usedActual.Add(a))
            {
                if (usedExpected.Add(e))
                {
                    pairs.Add((a, e));
                }
                else
                {
                    usedActual.Remove(a);
                }
            }
        }

        return pairs;
    }

    private static bool TryAugment(int expectedIndex, List<int>[] fits, int[] actualOwner, bool[] visited)
    {
        foreach (var a in fits[expectedIndex])
        {
            if (visited[a])
            {
                continue;
            }

            visited[a] = true;
            if (actualOwner[a] < 0 || TryAugment(actualOwner[a], fits, actualOwner, visited))
            {
                actualOwner[a] = expectedIndex;
                return true;
            }
        }

        return false;
    }
}
