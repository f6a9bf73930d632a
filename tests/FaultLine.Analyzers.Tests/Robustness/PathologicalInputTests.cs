using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Xunit.Abstractions;

namespace FaultLine.Analyzers.Tests.Robustness;

/// <summary>
/// Issue 9 item 2: generated pathological inputs analysed with every FaultLine analyzer. Each input uses the
/// runtime API (GUP calls, wait loops around Sched.Schedule, a VmOperations.Fault handler, KSpinLock) inside the
/// pathological shape, so the analyzers get past their pre-filters and run their flow analyses on it.
/// The tests assert: the input compiles (so the compiler, not a size limit of Roslyn, is out of the picture),
/// no analyzer throws (no AD0001, nothing reported to onAnalyzerException), and the analysis finishes within a
/// generous time bound (presence only; linearity ratios belong in the benchmark project).
/// </summary>
public class PathologicalInputTests
{
    /// <summary>A bound far above the measured times; it only catches a hang or an exponential blow-up.</summary>
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(30);

    private readonly ITestOutputHelper output;

    public PathologicalInputTests(ITestOutputHelper output) => this.output = output;

    /// <summary>
    /// 2,000 rather than the 5,000: Roslyn itself overflows first. Analyzers that ask for operations make the
    /// driver build the method's IOperation tree, and CSharpOperationFactory recurses once per nested <c>if</c>
    /// (measured: stack overflow at about 2,800 levels on a 1.5 MB thread-pool stack, before any FaultLine code
    /// runs). 2,000 keeps a margin; our walkers hold no per-level stack frames (explicit stacks).
    /// </summary>
    [Fact]
    public Task Two_thousand_nested_ifs() => RunAsync(nameof(Two_thousand_nested_ifs), Generators.NestedIfs(2000));

    /// <summary>
    /// 5,000 cases rather than 10,000: the compiler's own binding time grows faster than linearly with the number of
    /// switch sections (measured for a plain 10,000-case switch: 16-20 s in the compiler alone, 3 s for 3,000), which
    /// would use most of the CI budget on Roslyn; the analyzers' share at 10,000 cases was 2-4 s each.
    /// </summary>
    [Fact]
    public Task Five_thousand_case_switch() => RunAsync(nameof(Five_thousand_case_switch), Generators.BigSwitch(5000));

    [Fact]
    public Task Twenty_thousand_statement_method() => RunAsync(nameof(Twenty_thousand_statement_method), Generators.LongMethod(20000));

    /// <summary>
    /// Found a quadratic cost in our code (fixed): every nested graph's FlowContext walked all of its descendants in
    /// LocalWrites.CapturedAndWritten (26 s at this depth before, about 5 s with the per-graph cache).
    /// </summary>
    [Fact]
    public Task Thousand_nested_lambdas() => RunAsync(nameof(Thousand_nested_lambdas), Generators.NestedLambdas(1000));

    [Fact]
    public Task Two_hundred_helpers_calling_each_other_in_a_cycle() => RunAsync(nameof(Two_hundred_helpers_calling_each_other_in_a_cycle), Generators.HelperCycle(200));

    [Fact]
    public Task One_megabyte_file() => RunAsync(nameof(One_megabyte_file), Generators.BigFile(1024 * 1024));

    /// <summary>
    /// Not in the list: the input that found recursion proportional to expression depth in our code
    /// (the operation walk now in EvaluationOrder, GraphIndex, ConstantFolding; fixed). It passed at 60,000 terms in a throwaway process.
    /// </summary>
    [Fact]
    public Task Twenty_thousand_term_expression() => RunAsync(nameof(Twenty_thousand_term_expression), Generators.DeepExpression(20000));

    private async Task RunAsync(string name, string source)
    {
        var result = await PathologicalAnalysis.AnalyzeAsync(source, CancellationToken.None);
        output.WriteLine($"{name}: {source.Length} chars, {result.AnalyzerCount} analyzers, {result.Diagnostics.Length} diagnostics, {result.Elapsed.TotalMilliseconds:F0} ms");

        var compilerErrors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("FL", StringComparison.Ordinal)).ToList();
        Assert.True(compilerErrors.Count == 0, "generated input does not compile: " + string.Join("; ", compilerErrors.Take(5)));

        Assert.True(result.Exceptions.IsEmpty, "analyzer exceptions: " + string.Join("\n", result.Exceptions.Take(5)));
        var ad0001 = result.Diagnostics.Where(d => d.Id == "AD0001").ToList();
        Assert.True(ad0001.Count == 0, "AD0001: " + string.Join("\n", ad0001.Take(5)));

        Assert.True(result.Elapsed < TimeBound, $"{name} took {result.Elapsed.TotalSeconds:F1} s");
    }
}

/// <summary>Runs every DiagnosticAnalyzer of FaultLine.Analyzers over one source with CompilationWithAnalyzers.</summary>
public static class PathologicalAnalysis
{
    public sealed record Result(ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<string> Exceptions, TimeSpan Elapsed, int AnalyzerCount);

    private static readonly Lazy<Task<ImmutableArray<MetadataReference>>> References = new(async () =>
    {
        var framework = await ReferenceAssemblies.Net.Net100.ResolveAsync(LanguageNames.CSharp, CancellationToken.None);
        return framework.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location));
    });

    /// <summary>Every concrete analyzer type in the analyzer assembly, so a new family is covered without edits here.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> AllAnalyzers() =>
        typeof(FaultLine.Analyzers.GupCallers.GupCallersAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    public static async Task<Result> AnalyzeAsync(string source, CancellationToken cancellationToken)
    {
        var references = await References.Value;
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Pathological.cs", cancellationToken: cancellationToken);
        var compilation = CSharpCompilation.Create(
            "Pathological",
            new[] { tree },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var analyzers = AllAnalyzers();
        Assert.NotEmpty(analyzers);

        var exceptions = new ConcurrentQueue<string>();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, analyzer, _) => exceptions.Enqueue($"{analyzer.GetType().Name}: {exception}"),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);

        var stopwatch = Stopwatch.StartNew();
        var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
        var diagnostics = await withAnalyzers.GetAllDiagnosticsAsync(cancellationToken);
        stopwatch.Stop();
        return new Result(diagnostics, exceptions.ToImmutableArray(), stopwatch.Elapsed, analyzers.Length);
    }
}

/// <summary>
/// The generators. Every shape carries the runtime API that each family pre-filters on, inside the pathological part.
/// </summary>
public static class Generators
{
    private const string Prologue = """
        using System;
        using FaultLine;

        #pragma warning disable CS0162, CS0219, CS8321

        """;

    /// <summary>Fields shared by the generated classes: a spin lock, a wait condition, a page array.</summary>
    private const string Fields = """
            private readonly KSpinLock lk = new("patho");
            private readonly MmStruct mm = new();
            private readonly Page[] pages = new Page[1];
            private volatile bool done;
            private long counter;

        """;

    /// <summary>A GUP call with its result used and its pins released.</summary>
    private static string Gup(string address) => $$"""
        { long got = Gup.PinUserPagesFast({{address}}, 1, FollFlags.Write, pages); if (got > 0) Gup.UnpinUserPages(pages, got); }
        """;

    /// <summary>A spin-locked critical section.</summary>
    private const string Locked = "lk.Lock(); counter++; lk.Unlock();";

    /// <summary>A correct interruptible wait loop.</summary>
    private const string WaitLoop = """
        for (;;) { Sched.SetCurrentState(TaskState.Interruptible); if (done) break; if (KernelTask.Current.SignalPending) break; Sched.Schedule(); } Sched.SetCurrentState(TaskState.Running);
        """;

    private static string Payload(string address) => Gup(address) + " " + Locked + " " + WaitLoop;

    private static StringBuilder HandlerClassStart(string name) =>
        new StringBuilder(Prologue)
            .Append("public sealed class ").Append(name).Append(" : VmOperations\n{\n").Append(Fields);

    /// <summary>N nested ifs inside a fault handler, the runtime calls at the innermost level and every 500 levels.</summary>
    public static string NestedIfs(int depth)
    {
        var sb = HandlerClassStart("NestedIfs");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n");
        for (int i = 0; i < depth; i++)
        {
            sb.Append("if (a != ").Append(i).Append("UL) {\n");
            if (i % 500 == 0)
            {
                sb.Append(Payload("a")).Append('\n');
            }
        }

        sb.Append(Payload("a")).Append('\n');
        sb.Append(new string('}', depth)).Append('\n');
        sb.Append("        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>A switch with N cases in a fault handler; every tenth case pins pages, locks, or waits.</summary>
    public static string BigSwitch(int cases)
    {
        var sb = HandlerClassStart("BigSwitch");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n        switch ((long)vmf.Pgoff)\n        {\n");
        for (int i = 0; i < cases; i++)
        {
            sb.Append("case ").Append(i).Append(": ");
            // One case in ten calls the runtime; the rest are plain, which keeps the compiler's share of the time
            // (binding and flow-checking 10k sections) within the CI budget.
            switch (i % 10)
            {
                case 0: sb.Append(Gup("a")); break;
                case 3: sb.Append(Locked); break;
                case 6: sb.Append(WaitLoop); break;
                default: sb.Append("counter += ").Append(i).Append(';'); break;
            }

            sb.Append(" break;\n");
        }

        sb.Append("default: return VmFaultResult.Sigbus;\n        }\n        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>A fault handler of N straight-line statements, the runtime calls every 50 statements.</summary>
    public static string LongMethod(int statements)
    {
        var sb = HandlerClassStart("LongMethod");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n        long x = 0;\n");
        for (int i = 0; i < statements; i++)
        {
            if (i % 50 == 0)
            {
                sb.Append(Payload("a")).Append('\n');
            }
            else
            {
                sb.Append("x += ").Append(i).Append(";\n");
            }
        }

        sb.Append("        counter = x;\n        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>
    /// N lambdas each nested in the body of the previous one, each body with runtime calls, in a fault handler.
    /// Block-bodied lambdas are statements, not one nested expression, so the compiler binds this depth without
    /// CS8078 ("expression too complex").
    /// </summary>
    public static string NestedLambdas(int depth)
    {
        var sb = HandlerClassStart("NestedLambdas");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n");
        for (int i = 0; i < depth; i++)
        {
            sb.Append("Action f").Append(i).Append(" = () => {\n");
            if (i % 100 == 0)
            {
                sb.Append(Payload("a")).Append('\n');
            }
            else
            {
                sb.Append(Locked).Append('\n');
            }
        }

        sb.Append(Payload("a")).Append('\n');
        for (int i = depth - 1; i >= 0; i--)
        {
            sb.Append("};\nf").Append(i).Append("();\n");
        }

        sb.Append("        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>N helpers each calling the next (the last calls the first), each sleeping or pinning, called from a fault handler under a spin lock.</summary>
    public static string HelperCycle(int helpers)
    {
        var sb = HandlerClassStart("HelperCycle");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        lk.Lock();\n        long r = Helper0(vmf.Address, 0);\n        lk.Unlock();\n        return r < 0 ? VmFaultResult.Sigbus : VmFaultResult.None;\n    }\n");
        for (int i = 0; i < helpers; i++)
        {
            int next = (i + 1) % helpers;
            sb.Append("    private long Helper").Append(i).Append("(ulong a, int n)\n    {\n");
            sb.Append("        if (n > 1000) return 0;\n");
            switch (i % 3)
            {
                case 0: sb.Append("        ").Append(Gup("a")).Append('\n'); break;
                case 1: sb.Append("        ").Append(WaitLoop).Append('\n'); break;
                default: sb.Append("        ").Append(Locked).Append('\n'); break;
            }

            sb.Append("        return Helper").Append(next).Append("(a, n + 1) + Gup.GetUserPages(mm, a, 1, FollFlags.None, null);\n    }\n");
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>
    /// One statement whose expression is a left-nested chain of N additions with GUP calls in it: the operation tree
    /// of a single basic-block root is N deep, so any recursive walk over an operation's children overflows. The
    /// compiler binds, lowers and builds graphs for such chains without recursion (it special-cases them).
    /// </summary>
    public static string DeepExpression(int terms)
    {
        var sb = HandlerClassStart("DeepExpression");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n        ").Append(Locked).Append("\n        long x = 0");
        for (int i = 0; i < terms; i++)
        {
            if (i % 1000 == 0)
            {
                sb.Append("\n + Gup.GetUserPagesFast(a, 1, FollFlags.None, pages)");
            }
            else
            {
                sb.Append(" + ").Append(i % 7);
            }
        }

        sb.Append(";\n        counter = x;\n        ").Append(WaitLoop).Append("\n        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>Ordinary-looking driver classes with fault handlers, GUP callers and wait loops, repeated up to the size.</summary>
    public static string BigFile(int bytes)
    {
        var sb = new StringBuilder(Prologue);
        for (int c = 0; sb.Length < bytes; c++)
        {
            sb.Append("public sealed class Driver").Append(c).Append(" : VmOperations\n{\n").Append(Fields);
            sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n");
            sb.Append("        if ((vmf.Flags & FaultFlags.AllowRetry) != 0 && done) return VmFaultResult.Retry;\n");
            sb.Append("        ").Append(Gup("a")).Append('\n');
            sb.Append("        return VmFaultResult.None;\n    }\n");
            for (int m = 0; m < 4; m++)
            {
                sb.Append("    public long Work").Append(m).Append("(ulong a)\n    {\n");
                sb.Append("        ").Append(Payload("a")).Append('\n');
                sb.Append("        for (int i = 0; i < 4; i++) { if (i == ").Append(m).Append(") continue; counter += i; }\n");
                sb.Append("        return Leaf").Append(m).Append("(a);\n    }\n");
                sb.Append("    private long Leaf").Append(m).Append("(ulong a) => (long)a;\n");
            }

            sb.Append("}\n");
        }

        return sb.ToString();
    }
}
