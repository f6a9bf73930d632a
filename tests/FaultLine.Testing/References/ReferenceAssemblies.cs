using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// The framework reference assemblies (plus optional packages and named assemblies) a test project compiles
/// against. Same names as roslyn-sdk's type, but resolution is strictly offline:
/// <list type="number">
/// <item><description>the targeting pack of the installed dotnet (<c>{dotnet}/packs/{package}/{version}/{path}</c>,
/// newest patch of the requested major.minor);</description></item>
/// <item><description>the NuGet global packages folder (<c>NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>);</description></item>
/// <item><description>otherwise the assemblies of the framework running the tests (TRUSTED_PLATFORM_ASSEMBLIES).
/// That fallback compiles most code but is only an approximation of an older or non-.NET target.</description></item>
/// </list>
/// Packages added with <see cref="AddPackages"/> must already be in the global packages folder (restore them through
/// a project); a missing package fails the test with a message saying so.
/// </summary>
public sealed partial class ReferenceAssemblies
{
    // Resolution walks directories and reads metadata; do it once per distinct configuration per test run.
    private static readonly ConcurrentDictionary<string, Lazy<ImmutableArray<MetadataReference>>> ResolvedSets = new();

    /// <summary>Initializes reference assemblies for a target framework with no reference package (the running framework is used).</summary>
    /// <param name="targetFramework">The target framework moniker, e.g. "net10.0"; used to pick package assets.</param>
    public ReferenceAssemblies(string targetFramework)
        : this(targetFramework, null, null, ImmutableArray<string>.Empty, ImmutableArray<PackageIdentity>.Empty)
    {
    }

    /// <summary>Initializes reference assemblies taken from a reference package.</summary>
    /// <param name="targetFramework">The target framework moniker, e.g. "net8.0".</param>
    /// <param name="referenceAssemblyPackage">The package holding the reference assemblies, e.g. Microsoft.NETCore.App.Ref 8.0.0.</param>
    /// <param name="referenceAssemblyPath">The folder inside the package, e.g. "ref/net8.0".</param>
    public ReferenceAssemblies(string targetFramework, PackageIdentity referenceAssemblyPackage, string referenceAssemblyPath)
        : this(targetFramework, referenceAssemblyPackage, referenceAssemblyPath, ImmutableArray<string>.Empty, ImmutableArray<PackageIdentity>.Empty)
    {
    }

    private ReferenceAssemblies(string targetFramework, PackageIdentity? referenceAssemblyPackage, string? referenceAssemblyPath, ImmutableArray<string> assemblies, ImmutableArray<PackageIdentity> packages)
    {
        TargetFramework = targetFramework ?? throw new ArgumentNullException(nameof(targetFramework));
        ReferenceAssemblyPackage = referenceAssemblyPackage;
        ReferenceAssemblyPath = referenceAssemblyPath;
        Assemblies = assemblies;
        Packages = packages;
    }

    /// <summary>
    /// Gets the default: the newest .NET targeting pack installed with the dotnet running the tests (net10.0 here),
    /// else the running framework. roslyn-sdk's default differs; tests meant to run on both should name a framework,
    /// e.g. <see cref="Net.Net100"/>.
    /// </summary>
    public static ReferenceAssemblies Default { get; } = CreateDefault();

    /// <summary>Gets the target framework moniker.</summary>
    public string TargetFramework { get; }

    /// <summary>Gets the package holding the framework reference assemblies, if any.</summary>
    public PackageIdentity? ReferenceAssemblyPackage { get; }

    /// <summary>Gets the folder inside <see cref="ReferenceAssemblyPackage"/> that holds them.</summary>
    public string? ReferenceAssemblyPath { get; }

    /// <summary>
    /// Gets extra assemblies to reference, by simple name (looked up next to the framework assemblies) or by full path.
    /// </summary>
    public ImmutableArray<string> Assemblies { get; }

    /// <summary>Gets the packages whose compile assets are referenced too.</summary>
    public ImmutableArray<PackageIdentity> Packages { get; }

    /// <summary>Gets the comparer for assembly identities (desktop unification rules for .NET Framework).</summary>
    public AssemblyIdentityComparer AssemblyIdentityComparer
        => TargetFrameworks.IsNetFramework(TargetFramework) ? DesktopAssemblyIdentityComparer.Default : AssemblyIdentityComparer.Default;

    /// <summary>Returns a copy that references exactly the given extra assemblies.</summary>
    /// <param name="assemblies">Simple names or full paths.</param>
    /// <returns>The changed copy.</returns>
    public ReferenceAssemblies WithAssemblies(ImmutableArray<string> assemblies)
        => new(TargetFramework, ReferenceAssemblyPackage, ReferenceAssemblyPath, assemblies, Packages);

    /// <summary>Returns a copy that references the given extra assemblies too.</summary>
    /// <param name="assemblies">Simple names (e.g. "System.Xml.Linq") or full paths.</param>
    /// <returns>The changed copy.</returns>
    public ReferenceAssemblies AddAssemblies(ImmutableArray<string> assemblies)
        => WithAssemblies(Assemblies.AddRange(assemblies));

    /// <summary>Returns a copy that references exactly the given packages.</summary>
    /// <param name="packages">The packages.</param>
    /// <returns>The changed copy.</returns>
    public ReferenceAssemblies WithPackages(ImmutableArray<PackageIdentity> packages)
        => new(TargetFramework, ReferenceAssemblyPackage, ReferenceAssemblyPath, Assemblies, packages);

    /// <summary>Returns a copy that references the given packages too (from the global packages folder only).</summary>
    /// <param name="packages">The packages.</param>
    /// <returns>The changed copy.</returns>
    public ReferenceAssemblies AddPackages(ImmutableArray<PackageIdentity> packages)
        => WithPackages(Packages.AddRange(packages));

    /// <summary>Resolves the metadata references. Results are cached for the whole test run.</summary>
    /// <param name="language">The project language (unused: no language-specific assemblies are added).</param>
    /// <param name="cancellationToken">Not observed; resolution only reads local files.</param>
    /// <returns>The references.</returns>
    /// <exception cref="InvalidOperationException">A package or named assembly is not on this machine.</exception>
    public Task<ImmutableArray<MetadataReference>> ResolveAsync(string? language, CancellationToken cancellationToken)
    {
        var lazy = ResolvedSets.GetOrAdd(CacheKey, _ => new Lazy<ImmutableArray<MetadataReference>>(Resolve, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return Task.FromResult(lazy.Value);
        }
        catch (InvalidOperationException exception)
        {
            return Task.FromException<ImmutableArray<MetadataReference>>(exception);
        }
    }

    private string CacheKey
        => string.Join(
            "|",
            TargetFramework,
            ReferenceAssemblyPackage?.ToString() ?? string.Empty,
            ReferenceAssemblyPath ?? string.Empty,
            string.Join(",", Assemblies),
            string.Join(",", Packages));

    private static ReferenceAssemblies CreateDefault()
    {
        if (DotNetInstallation.FindNewestNetCoreTargetingPack() is var (major, minor))
        {
            var moniker = $"net{major}.{minor}";
            return new ReferenceAssemblies(moniker, new PackageIdentity("Microsoft.NETCore.App.Ref", $"{major}.{minor}.0"), Path.Combine("ref", moniker));
        }

        var runtime = Environment.Version;
        return new ReferenceAssemblies($"net{runtime.Major}.{runtime.Minor}");
    }

    private ImmutableArray<MetadataReference> Resolve()
    {
        var files = new List<string>();
        var frameworkFiles = FindFrameworkFiles();
        files.AddRange(frameworkFiles);
        files.AddRange(Assemblies.Select(name => FindNamedAssembly(name, frameworkFiles)));
        foreach (var package in Packages)
        {
            files.AddRange(FindPackageAssemblies(package));
        }

        // The same simple name twice (e.g. a package shipping a framework assembly) would make types ambiguous;
        // like NuGet's conflict resolution, keep the first, i.e. the framework's.
        return files
            .GroupBy(file => Path.GetFileNameWithoutExtension(file), StringComparer.OrdinalIgnoreCase)
            .Select(group => MetadataReferenceCache.FromFile(group.First()))
            .ToImmutableArray();
    }

    private IReadOnlyList<string> FindFrameworkFiles()
    {
        if (ReferenceAssemblyPackage is not null && ReferenceAssemblyPath is not null)
        {
            var directory = DotNetInstallation.FindInPacks(ReferenceAssemblyPackage.Id, ReferenceAssemblyPackage.Version, ReferenceAssemblyPath)
                ?? DotNetInstallation.FindInGlobalPackages(ReferenceAssemblyPackage.Id, ReferenceAssemblyPackage.Version, ReferenceAssemblyPath);
            if (directory is not null)
            {
                var files = Directory.GetFiles(directory, "*.dll").OrderBy(file => file, StringComparer.Ordinal).ToList();

                // .NET Framework reference packages keep facades (System.Runtime, netstandard, ...) one level down.
                var facades = Path.Combine(directory, "Facades");
                if (Directory.Exists(facades))
                {
                    files.AddRange(Directory.GetFiles(facades, "*.dll").OrderBy(file => file, StringComparer.Ordinal));
                }

                return files;
            }
        }

        // Nothing installed for this framework: compile against the framework running the tests.
        return DotNetInstallation.RunningFrameworkAssemblies;
    }

    private static string FindNamedAssembly(string name, IReadOnlyList<string> frameworkFiles)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : throw new InvalidOperationException($"The reference assembly '{name}' does not exist.");
        }

        var simpleName = name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
        return frameworkFiles.Concat(DotNetInstallation.RunningFrameworkAssemblies)
            .FirstOrDefault(file => string.Equals(Path.GetFileNameWithoutExtension(file), simpleName, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"The assembly '{name}' was not found among the reference assemblies or the running framework's assemblies.");
    }

    private IEnumerable<string> FindPackageAssemblies(PackageIdentity package)
    {
        foreach (var assetFolder in new[] { "ref", "lib" })
        {
            foreach (var framework in TargetFrameworks.CompatibleFrameworks(TargetFramework))
            {
                var directory = DotNetInstallation.FindInGlobalPackages(package.Id, package.Version, Path.Combine(assetFolder, framework));
                if (directory is not null)
                {
                    var files = Directory.GetFiles(directory, "*.dll");
                    if (files.Length > 0)
                    {
                        return files.OrderBy(file => file, StringComparer.Ordinal);
                    }
                }
            }
        }

        throw new InvalidOperationException(
            $"The package '{package}' has no compile assets for {TargetFramework} in the global packages folder '{DotNetInstallation.GlobalPackagesFolder}'. "
            + "This verifier never downloads packages: restore the package through a project first, or reference its assembly via TestState.AdditionalReferences.");
    }
}
