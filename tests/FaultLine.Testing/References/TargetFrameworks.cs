using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Just enough target-framework knowledge to pick a package's compile assets offline: which folder names a
/// project targeting a given framework may consume, best match first.
/// </summary>
internal static class TargetFrameworks
{
    private static readonly string[] NetStandardVersions = { "2.1", "2.0", "1.6", "1.5", "1.4", "1.3", "1.2", "1.1", "1.0" };
    private static readonly string[] NetFrameworkVersions = { "481", "48", "472", "471", "47", "462", "461", "46", "452", "451", "45", "403", "40", "35", "20" };

    public static bool IsNetFramework(string moniker)
        => moniker.StartsWith("net", StringComparison.OrdinalIgnoreCase) && !moniker.Contains('.') && moniker.Length > 3 && char.IsDigit(moniker[3]);

    /// <summary>Lists asset folder names compatible with <paramref name="moniker"/>, most specific first.</summary>
    public static IEnumerable<string> CompatibleFrameworks(string moniker)
    {
        moniker = moniker.ToLowerInvariant();
        if (moniker.StartsWith("netstandard", StringComparison.Ordinal))
        {
            return NetStandardVersions.Select(version => "netstandard" + version).SkipWhile(candidate => candidate != moniker).DefaultIfEmpty(moniker);
        }

        if (IsNetFramework(moniker))
        {
            var frameworks = NetFrameworkVersions.Select(version => "net" + version).SkipWhile(candidate => candidate != moniker).ToList();
            frameworks.AddRange(NetStandardVersions.Skip(1).Select(version => "netstandard" + version));
            return frameworks.DefaultIfEmpty(moniker);
        }

        // net5.0 and later, and netcoreappX.Y.
        var numeric = moniker.StartsWith("netcoreapp", StringComparison.Ordinal) ? moniker["netcoreapp".Length..] : moniker["net".Length..];
        if (!Version.TryParse(numeric, out var version))
        {
            return new[] { moniker };
        }

        var result = new List<string>();
        for (var major = version.Major; major >= 5; major--)
        {
            result.Add(string.Format(CultureInfo.InvariantCulture, "net{0}.0", major));
        }

        result.AddRange(new[] { "netcoreapp3.1", "netcoreapp3.0", "netcoreapp2.2", "netcoreapp2.1", "netcoreapp2.0" }.Where(candidate => version.Major >= 5 || string.CompareOrdinal(candidate, moniker) <= 0));
        result.AddRange(NetStandardVersions.Select(standard => "netstandard" + standard));
        if (!result.Contains(moniker))
        {
            result.Insert(0, moniker);
        }

        return result;
    }
}
