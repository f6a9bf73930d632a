using System.Text.RegularExpressions;
using Xunit;

namespace FaultLine.Package.Tests;

/// <summary>
/// One pack of FaultLine.Runtime into a local folder and one fresh console project that references it, shared by
/// every test of the <see cref="PackedConsumerCollection"/> (they run one after another and each starts with
/// <see cref="Reset"/>). Everything lives in one temporary directory outside the repository, so that the
/// repository's Directory.Build.props, .editorconfig and NuGet settings cannot reach the consumer; it has its own
/// nuget.config (the local folder added to the machine's sources) and its own global packages folder, and the
/// package gets a version of its own, so no copy cached by an earlier run can stand in for this build's package.
/// </summary>
public sealed class PackedConsumer : IDisposable
{
    public const string ProjectName = "Consumer";
    public const string SourceName = "Driver.cs";

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    private static readonly Regex DiagnosticLine = new(
        @"^\s*(?<file>[^\s(][^(]*)\((?<line>\d+),(?<column>\d+)(?:,\d+,\d+)?\): (?<severity>error|warning|info) (?<id>[A-Za-z][A-Za-z0-9]*)\s*:",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    public PackedConsumer()
    {
        Root = Path.Combine(Path.GetTempPath(), "faultline-package-" + Guid.NewGuid().ToString("N")[..12]);
        if (Root.StartsWith(RepoPaths.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The temporary directory {Root} is inside the repository: the consumer would see its Directory.Build.props.");
        }

        Version = "0.1.0-pkgtest." + Guid.NewGuid().ToString("N")[..16];
        Feed = Path.Combine(Root, "feed");
        GlobalPackages = Path.Combine(Root, "packages");
        ProjectDirectory = Path.Combine(Root, ProjectName);
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(GlobalPackages);
        Directory.CreateDirectory(ProjectDirectory);

        // The runtime, analyzers and code fixes were built by this test project's own build (its project
        // references), in the configuration these tests run in: pack what is there. The intermediate .nuspec
        // goes to the temporary directory too, not into Runtime/obj, where one per run would pile up.
        Pack = DotnetCli.Run(RepoPaths.Root, PackTimeout, environment: null,
            "pack", RepoPaths.RuntimeProject, "--no-build", "--no-restore", "-c", Configuration, "-o", Feed,
            $"-p:PackageVersion={Version}", $"-p:NuspecOutputPath={Path.Combine(Root, "nuspec")}{Path.DirectorySeparatorChar}",
            "-p:UseSharedCompilation=false", "--disable-build-servers", "-nologo");
        PackagePath = Path.Combine(Feed, $"FaultLine.Runtime.{Version}.nupkg");
        if (!Pack.Succeeded)
        {
            return;
        }

        WriteIsolation();
        Reset(Sources.Buggy);
        Restore = DotnetCli.Run(ProjectDirectory, StepTimeout, Environment(), "restore", ProjectFile, "--disable-build-servers");
    }

    public string Root { get; }

    /// <summary>The package version of this run, unique to it.</summary>
    public string Version { get; }

    public string Feed { get; }

    public string GlobalPackages { get; }

    public string ProjectDirectory { get; }

    public string ProjectFile => Path.Combine(ProjectDirectory, ProjectName + ".csproj");

    public string SourceFile => Path.Combine(ProjectDirectory, SourceName);

    public string PackagePath { get; }

    public CliResult Pack { get; }

    public CliResult? Restore { get; }

    private static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>Fails the calling test with the pack or restore output when either did not succeed.</summary>
    public void RequirePacked() => Assert.True(Pack.Succeeded && File.Exists(PackagePath), $"Packing failed or wrote no {PackagePath}: {Pack}");

    public void RequireRestored()
    {
        RequirePacked();
        Assert.True(Restore is { Succeeded: true }, $"Restoring the consumer failed: {Restore}");
    }

    /// <summary>
    /// Puts the consumer back to a known state: this source, an .editorconfig with these lines under [*.cs],
    /// these extra properties in the project file, and a team.globalconfig only when one is given (it
    /// is then passed to the compiler as a GlobalAnalyzerConfigFiles item, as a shared team config would be).
    /// </summary>
    public void Reset(string source, string editorConfigLines = "", string projectProperties = "", string? globalConfig = null)
    {
        var globalConfigPath = Path.Combine(ProjectDirectory, "team.globalconfig");
        var globalConfigItem = globalConfig is null ? "" : """<GlobalAnalyzerConfigFiles Include="team.globalconfig" />""";
        File.WriteAllText(SourceFile, source);
        File.WriteAllText(Path.Combine(ProjectDirectory, ".editorconfig"), "root = true\n\n[*.cs]\n" + editorConfigLines + "\n");
        File.WriteAllText(ProjectFile, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                {projectProperties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="FaultLine.Runtime" Version="[{Version}]" />
                {globalConfigItem}
              </ItemGroup>
            </Project>
            """);
        if (globalConfig is null)
        {
            File.Delete(globalConfigPath);
        }
        else
        {
            File.WriteAllText(globalConfigPath, globalConfig);
        }

        foreach (var sarif in Directory.GetFiles(ProjectDirectory, "*.sarif"))
        {
            File.Delete(sarif);
        }
    }

    /// <summary>A full (not incremental) build, so that every build compiles and reports its diagnostics.</summary>
    public CliResult Build(params string[] arguments)
    {
        RequireRestored();
        return DotnetCli.Run(ProjectDirectory, StepTimeout, Environment(),
            new[] { "build", ProjectFile, "--no-restore", "--no-incremental", "-p:UseSharedCompilation=false", "--disable-build-servers", "-nologo" }
                .Concat(arguments).ToArray());
    }

    public CliResult Format(params string[] arguments)
    {
        RequireRestored();
        return DotnetCli.Run(ProjectDirectory, StepTimeout, Environment(),
            new[] { "format", "analyzers", ProjectFile, "--no-restore" }.Concat(arguments).ToArray());
    }

    /// <summary>The distinct diagnostics a build printed (MSBuild prints each twice: as it goes and in the summary).</summary>
    public static IReadOnlyList<BuildDiagnostic> Diagnostics(CliResult result) =>
        DiagnosticLine.Matches(result.Output)
            .Select(m => new BuildDiagnostic(
                Path.GetFileName(m.Groups["file"].Value.Trim()),
                int.Parse(m.Groups["line"].Value),
                int.Parse(m.Groups["column"].Value),
                m.Groups["severity"].Value,
                m.Groups["id"].Value))
            .Distinct()
            .ToList();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Nothing may hold the files (no build servers), but a failed clean-up must not hide a test result.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private Dictionary<string, string> Environment() => new() { ["NUGET_PACKAGES"] = GlobalPackages };

    /// <summary>Stops MSBuild, NuGet and .editorconfig look-ups at the temporary directory.</summary>
    private void WriteIsolation()
    {
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Packages.props"), "<Project />\n");
        // No <clear />: the machine's own sources stay, the local folder is added to them.
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="faultline-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
    }
}

/// <summary>One diagnostic line of a build's output.</summary>
public sealed record BuildDiagnostic(string File, int Line, int Column, string Severity, string Id);

[CollectionDefinition(Name)]
public sealed class PackedConsumerCollection : ICollectionFixture<PackedConsumer>
{
    public const string Name = "Packed FaultLine.Runtime";
}
