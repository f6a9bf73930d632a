using System.Threading.Tasks;
using FaultLine.Analyzers.GupCallers;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1009FlagRejectedByFastFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1009FlagRejectedByFastFixTests
{
    [Fact]
    public async Task Fast_call_with_Interruptible_moves_to_Unlocked_on_the_current_mm()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesFast(start, 1, {|FL1009:FollFlags.Write | FollFlags.Interruptible|}, pages);
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(KernelTask.Current.Mm!, start, 1, FollFlags.Write | FollFlags.Interruptible, pages);
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Pin_form_with_Nowait_and_no_using_is_fully_qualified()
    {
        await Verify.VerifyCodeFixAsync("""
            class Driver
            {
                long Grab(ulong start, FaultLine.Page[] pages)
                {
                    return FaultLine.Gup.PinUserPagesFast(start, 1, {|FL1009:FaultLine.FollFlags.Nowait|}, pages);
                }
            }
            """, """
            class Driver
            {
                long Grab(ulong start, FaultLine.Page[] pages)
                {
                    return FaultLine.Gup.PinUserPagesUnlocked(global::FaultLine.KernelTask.Current.Mm!, start, 1, FaultLine.FollFlags.Nowait, pages);
                }
            }
            """);
    }

    [Fact]
    public async Task Both_flags_get_no_fix()
    {
        // The ...Unlocked form would take the call but still ignore Interruptible because of Nowait (FL1007).
        const string Source = """
            using FaultLine;

            class Driver
            {
                long Grab(ulong start, Page[] pages) => Gup.GetUserPagesFast(start, 1, {|FL1009:FollFlags.Interruptible | FollFlags.Nowait|}, pages);
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, Source);
    }

    [Fact]
    public async Task Fix_all_moves_every_call_in_one_document_and_across_two()
    {
        const string First = """
            using FaultLine;

            class First
            {
                long A(ulong start, Page[] pages) => Gup.GetUserPagesFast(start, 1, {|FL1009:FollFlags.Interruptible|}, pages);

                long B(ulong start, Page[] pages) => Gup.PinUserPagesFast(start, 1, {|FL1009:FollFlags.Write | FollFlags.Nowait|}, pages);
            }
            """;
        const string Second = """
            using FaultLine;

            class Second
            {
                long C(ulong start, Page[] pages) => Gup.GetUserPagesFast(start, 1, {|FL1009:FollFlags.Nowait|}, pages);
            }
            """;
        var test = new Verify.Test
        {
            TestState = { Sources = { First, Second } },
            FixedState =
            {
                Sources =
                {
                    """
                    using FaultLine;

                    class First
                    {
                        long A(ulong start, Page[] pages) => Gup.GetUserPagesUnlocked(KernelTask.Current.Mm!, start, 1, FollFlags.Interruptible, pages);

                        long B(ulong start, Page[] pages) => Gup.PinUserPagesUnlocked(KernelTask.Current.Mm!, start, 1, FollFlags.Write | FollFlags.Nowait, pages);
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(ulong start, Page[] pages) => Gup.GetUserPagesUnlocked(KernelTask.Current.Mm!, start, 1, FollFlags.Nowait, pages);
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1009FlagRejectedByFastFix.MoveToUnlocked,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Half_typed_call_gets_no_fix()
    {
        // Flags from a parameter: not reported, so nothing to fix; and a call with a missing argument does not bind.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(ulong start, FollFlags flags, Page[] pages) => Gup.GetUserPagesFast(start, 1, flags, pages);
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(ulong start, FollFlags flags, Page[] pages) => Gup.GetUserPagesFast(start, 1, flags, pages);
            }
            """);
    }
}
