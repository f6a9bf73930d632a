using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>What the FL1xxx analyzer does outside its rules: when it is off, and what it survives.</summary>
public class GupCallersGeneralTests
{
    [Fact]
    public async Task Nothing_is_reported_when_the_runtime_is_not_referenced()
    {
        // Same names in another namespace: without FaultLine.Runtime the analyzer registers nothing.
        await Verify.VerifyWithoutRuntimeAsync("""
            namespace Other
            {
                [System.Flags]
                enum FollFlags { None = 0, Write = 1, Nowait = 16, Interruptible = 2048 }

                static class Gup
                {
                    public static long GetUserPages(object mm, ulong start, long nrPages, FollFlags gupFlags, object[] pages) => 0;
                    public static long GetUserPagesFast(ulong start, long nrPages, FollFlags gupFlags, object[] pages) => 0;
                }

                class Driver
                {
                    void Run(object[] pages)
                    {
                        Gup.GetUserPages(null, 0, 1, FollFlags.Interruptible, pages);
                        Gup.GetUserPagesFast(0, 1, FollFlags.Nowait, pages);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task A_source_copy_of_the_FaultLine_namespace_is_not_the_runtime()
    {
        await Verify.VerifyWithoutRuntimeAsync("""
            namespace FaultLine
            {
                [System.Flags]
                public enum FollFlags { None = 0, Write = 1, Interruptible = 2048 }

                public static class Gup
                {
                    public static long GetUserPages(object mm, ulong start, long nrPages, FollFlags gupFlags, object[] pages) => 0;
                }

                class Driver
                {
                    void Run(object[] pages) => Gup.GetUserPages(null, 0, 1, FollFlags.Interruptible, pages);
                }
            }
            """);
    }

    [Fact]
    public async Task Same_named_type_in_another_namespace_does_not_trigger_with_the_runtime_referenced()
    {
        await Verify.VerifyAnalyzerAsync("""
            namespace Other
            {
                static class Gup
                {
                    public static long GetUserPages(FaultLine.MmStruct mm, ulong start, long nrPages, FaultLine.FollFlags gupFlags, FaultLine.Page[] pages) => 0;
                }

                class Driver
                {
                    void Run(FaultLine.MmStruct mm, FaultLine.Page[] pages)
                    {
                        Gup.GetUserPages(mm, 0, 1, FaultLine.FollFlags.Interruptible, pages);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Half_typed_code_does_not_throw()
    {
        // While typing: unbound names, a missing argument, an unfinished statement. No AD0001, no guesses.
        var test = new Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>.Test
        {
            TestCode = """
                using FaultLine;

                class Driver
                {
                    long Pin(MmStruct mm, ulong start, Page[] pages)
                    {
                        bool locked = false;
                        long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Interruptible | FollFlags.Nowa, pages, ref locked);
                        if (ret < 0 && ret != -Errno.EIN)
                            return -Errno.EFAULT;
                        Gup.PinUserPagesFast(start, , FollFlags.Interruptible, pages)
                        do { ret = Gup.GetUserPagesUnlocked(mm, start, 1, flags, pages); } while (ret != 1);
                        foreach (var p in pages) Gup.PutPage(p
                        return ret;
                    }

                    long Other(MmStruct mm) => Gup.GetUserPages(mm, 0, 1, FollFlags.Interruptible);
                }
                """,
            CompilerDiagnostics = CompilerDiagnostics.None,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Several_rules_on_one_method_are_reported_together()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Mixed(MmStruct mm, ulong start, Page[] pages)
                {
                    {|FL1002:Gup.GetUserPagesFast(start, 1, {|FL1009:FollFlags.Nowait|}, pages)|};
                    long ret = {|FL1003:Gup.GetUserPagesUnlocked(mm, start, pages.Length, FollFlags.Write, pages)|};
                    if (ret < 0)
                        return ret;
                    foreach (var page in pages)
                        Gup.PutPage(page);
                    return 0;
                }
            }
            """);
    }
}
