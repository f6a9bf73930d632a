using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

/// <summary>
/// A helper PROPERTY as the RetryNowait guard: a C# 14 extension property of VmFault (<c>vmf.IsNowait</c>) counts like
/// the extension method. The tests compile with the preview language version because the test compiler (Roslyn 4.14)
/// has extension members only there; the SDK's compiler accepts them with LangVersion latest.
/// </summary>
public class FL2001HelperPropertyTests
{
    private const string Extensions = """
        static class FaultExtensions
        {
            extension(VmFault f)
            {
                public bool IsNowait => (f.Flags & FaultFlags.RetryNowait) != 0;

                public bool MayWait
                {
                    get { return !f.Flags.HasFlag(FaultFlags.RetryNowait); }
                }

                public bool CanRetry => (f.Flags & FaultFlags.AllowRetry) != 0;

                public bool Odd => (f.Address & 1) != 0;
            }
        }
        """;

    [Theory]
    [InlineData("if (vmf.IsNowait) return VmFaultResult.Retry;")]
    [InlineData("if (!vmf.MayWait) return VmFaultResult.Retry;")]
    [InlineData("if (vmf.IsNowait || (vmf.Flags & FaultFlags.Killable) == 0) return VmFaultResult.Sigbus;")]
    [InlineData("bool nowait = vmf.IsNowait; if (nowait) return VmFaultResult.Retry;")]
    [InlineData("KernelDebug.WarnOnOnce(vmf.IsNowait);")]
    public async Task An_extension_property_guard_silences_the_rule_like_the_method_form(string guard)
    {
        await RunAsync($$"""
            using FaultLine;

            {{Extensions}}

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    {{guard}}
                    if (mutex.LockKillable() != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task The_guard_covers_only_the_paths_it_guards()
    {
        await RunAsync($$"""
            using FaultLine;

            {{Extensions}}

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ({|#0:mutex.LockKillable()|} != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    if (vmf.IsNowait)
                        return VmFaultResult.Retry;
                    if (mutex.LockKillable() != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls KMutex.LockKillable"));
    }

    [Fact]
    public async Task Properties_that_test_another_flag_or_another_fault_do_not_silence()
    {
        await RunAsync($$"""
            using FaultLine;

            {{Extensions}}

            sealed class FaultArgs(VmFault fault)
            {
                public bool Nowait => (fault.Flags & FaultFlags.RetryNowait) != 0;
            }

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();
                private VmFault? last;

                // Tests the handler state's fault, which need not be the one this call was given.
                private bool Nowait => (last!.Flags & FaultFlags.RetryNowait) != 0;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (!vmf.CanRetry)
                        return VmFaultResult.Sigbus;
                    if (vmf.Odd)
                        return VmFaultResult.Sigbus;
                    if (Nowait)
                        return VmFaultResult.Sigbus;
                    if ({|#0:mutex.LockKillable()|} != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }

                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    var other = new FaultArgs(last!);
                    if (other.Nowait)
                        return VmFaultResult.Sigbus;
                    if ({|#1:mutex.LockKillable()|} != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls KMutex.LockKillable"),
            Verify.Diagnostic("FL2001").WithLocation(1).WithArguments("Ops.PageMkwrite", "calls KMutex.LockKillable"));
    }

    private static Task RunAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Verify.Test { TestCode = source };
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var options = (CSharpParseOptions)solution.GetProject(projectId)!.ParseOptions!;
            return solution.WithProjectParseOptions(projectId, options.WithLanguageVersion(LanguageVersion.Preview));
        });
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}
