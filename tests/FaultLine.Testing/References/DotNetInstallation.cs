using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Finds reference assemblies that are already on this machine: targeting packs of the dotnet installation running
/// the tests, the NuGet global packages folder, and the running framework itself. Nothing is ever downloaded.
/// </summary>
internal static class DotNetInstallation
{
    private static readonly Lazy<ImmutableArray<string>> DotNetRoots = new(FindDotNetRoots);
    private static readonly Lazy<ImmutableArray<string>> FrameworkAssemblies = new(FindRunningFrameworkAssemblies);

    /// <summary>Gets the global packages folder (NUGET_PACKAGES, else ~/.nuget/packages), whether or not it exists.</summary>
    public static string GlobalPackagesFolder
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Gets the dotnet installation roots to search, most specific first.</summary>
    public static ImmutableArray<string> Roots => DotNetRoots.Value;

    /// <summary>
    /// Gets the managed assemblies of the framework the tests run on (from TRUSTED_PLATFORM_ASSEMBLIES, limited to the
    /// framework's own directory so that test and Roslyn assemblies are not mistaken for framework ones).
    /// </summary>
    public static ImmutableArray<string> RunningFrameworkAssemblies => FrameworkAssemblies.Value;

    /// <summary>
    /// Finds the directory <c>{root}/packs/{packageId}/{version}/{relativePath}</c> for the newest installed version in
    /// the same major.minor band as <paramref name="version"/> (a 10.0.0 request is served by 10.0.12).
    /// </summary>
    public static string? FindInPacks(string packageId, string version, string relativePath)
    {
        foreach (var root in Roots)
        {
            var found = FindInVersionedFolder(Path.Combine(root, "packs", packageId), version, relativePath);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>Finds <c>{globalPackages}/{id}/{version}/{relativePath}</c>, allowing a newer patch in the same band.</summary>
    public static string? FindInGlobalPackages(string packageId, string version, string relativePath)
    {
        var exact = Path.Combine(GlobalPackagesFolder, packageId.ToLowerInvariant(), version.ToLowerInvariant(), relativePath);
        return Directory.Exists(exact)
            ? exact
            : FindInVersionedFolder(Path.Combine(GlobalPackagesFolder, packageId.ToLowerInvariant()), version, relativePath);
    }

    /// <summary>Finds the newest installed <c>Microsoft.NETCore.App.Ref</c> targeting pack as (major, minor), if any.</summary>
    public static (int Major, int Minor)? FindNewestNetCoreTargetingPack()
    {
        var best = Roots
            .Select(root => Path.Combine(root, "packs", "Microsoft.NETCore.App.Ref"))
            .Where(Directory.Exists)
            .SelectMany(Directory.GetDirectories)
            .Select(directory => (Directory: directory, Version: ParseVersion(Path.GetFileName(directory))))
            .Where(candidate => candidate.Version is not null)
            .Where(candidate => Directory.Exists(Path.Combine(candidate.Directory, "ref", $"net{candidate.Version!.Major}.{candidate.Version.Minor}")))
            .OrderByDescending(candidate => candidate.Version)
            .FirstOrDefault();
        return best.Version is null ? null : (best.Version.Major, best.Version.Minor);
    }

    private static string? FindInVersionedFolder(string packageFolder, string version, string relativePath)
    {
        if (!Directory.Exists(packageFolder))
        {
            return null;
        }

        var requested = ParseVersion(version);
        return Directory.GetDirectories(packageFolder)
            .Select(directory => (Directory: directory, Version: ParseVersion(Path.GetFileName(directory))))
            .Where(candidate => candidate.Version is not null
                && (requested is null
                    ? Path.GetFileName(candidate.Directory).Equals(version, StringComparison.OrdinalIgnoreCase)
                    : candidate.Version.Major == requested.Major && candidate.Version.Minor == requested.Minor && candidate.Version >= requested))
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Directory, relativePath))
            .FirstOrDefault(Directory.Exists);
    }

    /// <summary>Parses "10.0.12" or "10.0.0-preview.1" (prerelease labels are ignored for ordering).</summary>
    private static Version? ParseVersion(string text)
    {
        var dash = text.IndexOf('-');
        return Version.TryParse(dash >= 0 ? text[..dash] : text, out var version) ? version : null;
    }

    private static ImmutableArray<string> FindDotNetRoots()
    {
        var candidates = new List<string?>
        {
            Environment.GetEnvironmentVariable("DOTNET_ROOT"),
            Environment.GetEnvironmentVariable("DOTNET_ROOT_X64"),
        };

        // System.Private.CoreLib lives in {root}/shared/Microsoft.NETCore.App/{version}/.
        var coreLibDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        if (coreLibDirectory is not null)
        {
            candidates.Add(Path.GetFullPath(Path.Combine(coreLibDirectory, "..", "..", "..")));
        }

        // The host ("dotnet test" runs testhost via the dotnet executable in the root).
        if (Environment.ProcessPath is { } processPath && Path.GetFileNameWithoutExtension(processPath) == "dotnet")
        {
            candidates.Add(Path.GetDirectoryName(processPath));
        }

        candidates.Add("/usr/share/dotnet");
        candidates.Add("/usr/lib/dotnet");
        candidates.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet"));

        return candidates
            .Where(candidate => !string.IsNullOrEmpty(candidate) && Directory.Exists(Path.Combine(candidate, "packs")))
            .Select(candidate => Path.GetFullPath(candidate!))
            .Distinct(StringComparer.Ordinal)
            .ToImmutableArray();
    }

    private static ImmutableArray<string> FindRunningFrameworkAssemblies()
    {
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var trusted = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string;
        if (string.IsNullOrEmpty(trusted) && frameworkDirectory is not null)
        {
            // A host that does not publish the list: take the framework directory's managed assemblies by name
            // (the directory also holds native libraries, which are not metadata).
            return Directory.GetFiles(frameworkDirectory, "*.dll")
                .Where(path => Path.GetFileName(path) is var name
                    && (name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
                        || name is "System.dll" or "mscorlib.dll" or "netstandard.dll"))
                .OrderBy(path => path, StringComparer.Ordinal)
                .ToImmutableArray();
        }

        return trusted!
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => string.Equals(Path.GetDirectoryName(path), frameworkDirectory, StringComparison.Ordinal))
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .OrderBy(path => path, StringComparer.Ordinal)
            .ToImmutableArray();
    }
}
