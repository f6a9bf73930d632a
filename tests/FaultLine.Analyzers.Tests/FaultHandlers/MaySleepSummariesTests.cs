using System;
using System.IO;
using System.Linq;
using System.Threading;
using FaultLine.Analyzers.Flow.Summaries;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

/// <summary>The reusable summary on its own (FL3006 reads it too): chains, cycles, what is not assumed.</summary>
public class MaySleepSummariesTests
{
    private static (Compilation Compilation, MaySleepSummaries Summaries) Compile(string source)
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll" or "mscorlib.dll")
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "Probe",
            new[] { CSharpSyntaxTree.ParseText(source) },
            platform.Append(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location)),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        return (compilation, new MaySleepSummaries(compilation));
    }

    private static IMethodSymbol Method(Compilation compilation, string type, string name) =>
        compilation.GetTypeByMetadataName(type)!.GetMembers(name).OfType<IMethodSymbol>().Single();

    [Fact]
    public void Chains_are_shortest_cycles_terminate_and_unknown_calls_do_not_sleep()
    {
        var (compilation, summaries) = Compile("""
            using FaultLine;
            public interface IThing { void Run(); }
            public static class H
            {
                public static void Loop1(int n) { if (n > 0) Loop2(n - 1); }
                public static void Loop2(int n) { if (n > 0) Loop1(n - 1); }
                public static void Long() { Mid(); }
                public static void Mid() { Deep(); }
                public static void Deep() { Short(); }
                public static void Short() => Sched.Schedule();
                public static void Both() { Long(); Short(); }
                public static void Unknown(IThing thing, System.Action action) { thing.Run(); action(); }
                public static void Locks(object o) { lock (o) { } }
                public static void Try(KMutex m) { if (m.TryLock()) m.Unlock(); }
            }
            """);

        Assert.False(summaries.TryGetSleepChain(Method(compilation, "H", "Loop1"), CancellationToken.None, out _));
        Assert.False(summaries.TryGetSleepChain(Method(compilation, "H", "Unknown"), CancellationToken.None, out _));
        Assert.False(summaries.TryGetSleepChain(Method(compilation, "H", "Try"), CancellationToken.None, out _));

        Assert.True(summaries.TryGetSleepChain(Method(compilation, "H", "Both"), CancellationToken.None, out var chain));
        Assert.Equal(new[] { "Both", "Short", "Schedule" }, chain.Select(m => m.Name));

        Assert.True(summaries.TryGetSleepChain(Method(compilation, "H", "Long"), CancellationToken.None, out chain));
        Assert.Equal(new[] { "Long", "Mid", "Deep", "Short", "Schedule" }, chain.Select(m => m.Name));

        Assert.True(summaries.TryGetSleepChain(Method(compilation, "H", "Locks"), CancellationToken.None, out chain));
        Assert.Equal(new[] { "Locks", "Enter" }, chain.Select(m => m.Name));
    }
}
