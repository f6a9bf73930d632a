using System.IO.Compression;
using System.Xml.Linq;
using Xunit;

namespace FaultLine.Package.Tests;

/// <summary>What is inside the FaultLine.Runtime package, and what its manifest promises.</summary>
[Collection(PackedConsumerCollection.Name)]
public class PackageContentsTests
{
    private readonly PackedConsumer consumer;

    public PackageContentsTests(PackedConsumer consumer)
    {
        this.consumer = consumer;
    }

    [Fact]
    public void The_analyzers_and_code_fixes_are_under_analyzers_dotnet_cs_beside_the_runtime()
    {
        var entries = Entries();

        Assert.Contains("analyzers/dotnet/cs/FaultLine.Analyzers.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/FaultLine.CodeFixes.dll", entries);
        Assert.Contains("lib/net10.0/FaultLine.Runtime.dll", entries);
        Assert.Contains("lib/net10.0/FaultLine.Runtime.xml", entries);
        Assert.Contains("README.md", entries);
        // Roslyn is the compiler's own; a copy in the package would be loaded beside it.
        Assert.DoesNotContain(entries, e => Path.GetFileName(e).StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("FaultLine.Analyzers", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("FaultLine.CodeFixes", StringComparison.Ordinal));
    }

    [Fact]
    public void The_msbuild_files_and_both_presets_ship_as_they_are_in_the_repository()
    {
        var shipped = new[]
        {
            "build/FaultLine.Runtime.props",
            "build/FaultLine.Runtime.targets",
            "buildTransitive/FaultLine.Runtime.props",
            "buildTransitive/FaultLine.Runtime.targets",
            "buildTransitive/FaultLine.default.globalconfig",
            "buildTransitive/FaultLine.strict.globalconfig",
        };

        consumer.RequirePacked();
        using var package = ZipFile.OpenRead(consumer.PackagePath);
        foreach (var path in shipped)
        {
            var entry = package.GetEntry(path);
            Assert.True(entry is not null, $"{path} is not in the package; it has: {string.Join(", ", Entries())}");
            using var reader = new StreamReader(entry!.Open());
            Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.Root, "Runtime", path)), reader.ReadToEnd());
        }
    }

    [Fact]
    public void The_manifest_has_the_metadata_and_no_dependency_at_all()
    {
        var nuspec = Manifest();
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string? Value(string name) => metadata.Element(ns + name)?.Value;

        Assert.Equal("FaultLine.Runtime", Value("id"));
        Assert.Equal(consumer.Version, Value("version"));
        Assert.Contains("get_user_pages", Value("description"));
        Assert.Equal("README.md", Value("readme"));
        var license = metadata.Element(ns + "license");
        Assert.NotNull(license);
        Assert.Equal("expression", license!.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        var tags = (Value("tags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("roslyn", tags);
        Assert.Contains("analyzers", tags);
        Assert.Contains("gup", tags);
        Assert.Equal("https://github.com/faultline/faultline", metadata.Element(ns + "repository")?.Attribute("url")?.Value);
        Assert.Equal("https://github.com/faultline/faultline", Value("projectUrl"));

        // Microsoft.CodeAnalysis and the analyzer projects stay private: a consumer restores nothing but this package.
        Assert.Empty(nuspec.Descendants(ns + "dependency"));
        Assert.DoesNotContain("exclude=", nuspec.ToString(), StringComparison.Ordinal);
    }

    private List<string> Entries()
    {
        consumer.RequirePacked();
        using var package = ZipFile.OpenRead(consumer.PackagePath);
        return package.Entries.Select(e => e.FullName).ToList();
    }

    private XDocument Manifest()
    {
        consumer.RequirePacked();
        using var package = ZipFile.OpenRead(consumer.PackagePath);
        var entry = package.GetEntry("FaultLine.Runtime.nuspec");
        Assert.NotNull(entry);
        using var stream = entry!.Open();
        return XDocument.Load(stream);
    }
}
