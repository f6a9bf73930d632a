using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Testing.Tests.Toys;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace FaultLine.Testing.Tests;

/// <summary>Reference assemblies resolve from this machine only, and a missing package fails clearly instead of downloading.</summary>
public class ReferenceAssembliesTests
{
    [Fact]
    public async Task Net100ResolvesTheInstalledTargetingPack()
    {
        var references = await ReferenceAssemblies.Net.Net100.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);

        var systemRuntime = Assert.Single(references.OfType<PortableExecutableReference>(), reference => reference.FilePath!.EndsWith("System.Runtime.dll", StringComparison.Ordinal));
        Assert.Contains("Microsoft.NETCore.App.Ref", systemRuntime.FilePath);
    }

    [Fact]
    public async Task ResolvedReferencesAreShared()
    {
        var first = await ReferenceAssemblies.Default.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        var second = await ReferenceAssemblies.Default.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);

        Assert.Same(first[0], second[0]);
    }

    [Fact]
    public async Task NetStandard20ResolvesNetstandardDll()
    {
        var references = await ReferenceAssemblies.NetStandard.NetStandard20.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);

        Assert.Contains(references.OfType<PortableExecutableReference>(), reference => reference.FilePath!.EndsWith("netstandard.dll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingFrameworkFallsBackToTheRunningFramework()
    {
        // .NET 8 is not installed here; the running framework stands in rather than a download.
        var references = await ReferenceAssemblies.Net.Net80.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);

        Assert.Contains(references.OfType<PortableExecutableReference>(), reference => reference.FilePath!.EndsWith("System.Runtime.dll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PackageFromTheGlobalPackagesFolder()
    {
        var withPackage = ReferenceAssemblies.Net.Net100.AddPackages(ImmutableArray.Create(new PackageIdentity("Humanizer.Core", "2.14.1")));

        var references = await withPackage.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);

        Assert.Contains(references.OfType<PortableExecutableReference>(), reference => reference.FilePath!.EndsWith("Humanizer.dll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MissingPackageFailsWithoutDownloading()
    {
        var withPackage = ReferenceAssemblies.Net.Net100.AddPackages(ImmutableArray.Create(new PackageIdentity("No.Such.Package", "1.0.0")));

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => withPackage.ResolveAsync(LanguageNames.CSharp, CancellationToken.None));

        Assert.Contains("never downloads", exception.Message);
    }

    [Fact]
    public Task TestCompilesAgainstNetStandard20()
        => new CSharpAnalyzerTest<BadIdentifierAnalyzer, DefaultVerifier>
        {
            TestCode = "class C { string [|Bad|] = string.Empty; }",
            ReferenceAssemblies = ReferenceAssemblies.NetStandard.NetStandard20,
        }.RunAsync();
}
