using System.Diagnostics;

namespace FaultLine.Benchmarks;

/// <summary>
/// Timing helpers. Speeds are only ever compared as ratios of things measured in the same run, each
/// the median of several repetitions after a warm-up, because the machine is shared and noisy.
/// </summary>
internal static class Measure
{
    /// <summary>The median time of <paramref name="repetitions"/> runs of <paramref name="action"/>, after one warm-up.</summary>
    public static TimeSpan Median(Action action, int repetitions = 7)
    {
        action();
        var samples = new List<TimeSpan>();
        for (var i = 0; i < repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            samples.Add(sw.Elapsed);
        }

        samples.Sort();
        return samples[samples.Count / 2];
    }

    public static string Ns(double nanoseconds) => $"{nanoseconds:0.0} ns";
}

/// <summary>One line of the results table.</summary>
internal sealed record Result(string Name, string Value, string Target, bool? Met)
{
    public override string ToString() =>
        $"| {Name} | {Value} | {Target} | {(Met is null ? "" : Met.Value ? "met" : "MISSED")} |";
}
