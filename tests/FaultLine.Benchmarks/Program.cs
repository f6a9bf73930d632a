using Microsoft.CodeAnalysis.Diagnostics;
using System.Runtime.InteropServices;

namespace FaultLine.Benchmarks;

/// <summary>
/// FaultLine's benchmarks: `dotnet run -c Release --project tests/FaultLine.Benchmarks -- [all|analyzers|runtime]`.
/// Prints the machine, the date and a Markdown table for docs/performance.md. Never run in CI as a
/// timed test: targets are ratios within one run, reported here. Tuning aids, not part of the table:
/// <c>analyzers-profile</c> (where analyzer time goes), <c>analyzers-n</c> (CPU and allocations of one
/// analyzer pass, for A/B runs), <c>analyzers-hot [rounds]</c> (a loop for a sampling profiler).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var which = args.Length > 0 ? args[0] : "all";
        if (which == "analyzers-n")
        {
            // The N-line project only, for quick A/B comparisons while tuning: CPU time and allocations of the
            // analyzer pass are far less disturbed by other processes than wall time.
            var files = Analyzers.CodeCorpus.Generate(50_000, useRuntime: true);
            var references = Analyzers.References.ForCorpus(withRuntime: true);
            var analyzers = Analyzers.AnalyzerBenchmarks.LoadAnalyzers();
            for (var i = 0; i < 4; i++)
            {
                var compilation = Analyzers.AnalyzerBenchmarks.Compile(files, references, concurrent: false);
                compilation.GetDiagnostics();
                var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                compilation.WithAnalyzers(analyzers, new Microsoft.CodeAnalysis.Diagnostics.CompilationWithAnalyzersOptions(
                    new Microsoft.CodeAnalysis.Diagnostics.AnalyzerOptions(System.Collections.Immutable.ImmutableArray<Microsoft.CodeAnalysis.AdditionalText>.Empty),
                    null, concurrentAnalysis: false, logAnalyzerExecutionTime: false)).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
                cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu;
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                Console.WriteLine($"analyzer pass: {cpu.TotalMilliseconds:0} ms CPU, {allocated / 1e6:0.0} MB allocated");
            }

            return 0;
        }

        if (which == "analyzers-hot")
        {
            Analyzers.AnalyzerProfile.Hot(args.Length > 1 ? int.Parse(args[1]) : 10);
            return 0;
        }

        if (which == "analyzers-profile")
        {
            Analyzers.AnalyzerProfile.Run();
            return 0;
        }

        if (which is not ("all" or "runtime" or "analyzers"))
        {
            Console.Error.WriteLine($"unknown benchmark set '{which}'; use: all | runtime | analyzers");
            return 2;
        }

        Console.WriteLine($"FaultLine benchmarks, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
        Console.WriteLine();
        Console.WriteLine("| measurement | result | target | |");
        Console.WriteLine("|---|---|---|---|");
        var missed = 0;
        var results = which switch
        {
            "runtime" => RuntimeBenchmarks.Run(),
            "analyzers" => Analyzers.AnalyzerBenchmarks.Run(),
            _ => Analyzers.AnalyzerBenchmarks.Run().Concat(RuntimeBenchmarks.Run()),
        };
        foreach (var result in results)
        {
            Console.WriteLine(result);
            if (result.Met == false)
            {
                missed++;
            }
        }

        Console.WriteLine();
        Console.WriteLine(missed == 0 ? "all targets met" : $"{missed} target(s) missed");
        return 0;
    }
}
