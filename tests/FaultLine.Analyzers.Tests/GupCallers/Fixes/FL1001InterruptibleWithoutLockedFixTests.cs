using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer, FaultLine.CodeFixes.GupCallers.FL1001InterruptibleWithoutLockedFix>;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

public class FL1001InterruptibleWithoutLockedFixTests
{
    private const string Buggy = """
        using FaultLine;

        class Driver
        {
            long Grab(MmStruct mm, ulong start, Page[] pages)
            {
                mm.MmapReadLock();
                long ret = Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Write | FollFlags.Interruptible|}, pages);
                mm.MmapReadUnlock();
                return ret;
            }
        }
        """;

    [Fact]
    public async Task Locked_form_with_a_locked_local_and_a_conditional_unlock()
    {
        await Verify.VerifyCodeFixAsync(Buggy, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    mm.MmapReadLock();
                    bool locked = true;
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret;
                }
            }
            """, FL1001InterruptibleWithoutLockedFix.UseLocked);
    }

    [Fact]
    public async Task Unlocked_form_without_the_lock_around_it()
    {
        await Verify.VerifyCodeFixAsync(Buggy, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages);
                    return ret;
                }
            }
            """, FL1001InterruptibleWithoutLockedFix.UseUnlocked);
    }

    [Fact]
    public async Task Drop_the_flag_from_an_or_chain()
    {
        // The lock is the caller's: only dropping the flag is offered.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                /// <summary>Called with the mmap read lock held.</summary>
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    return Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Write | FollFlags.Interruptible | FollFlags.Force|}, pages);
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                /// <summary>Called with the mmap read lock held.</summary>
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    return Gup.GetUserPages(mm, start, 1, FollFlags.Write | FollFlags.Force, pages);
                }
            }
            """, FL1001InterruptibleWithoutLockedFix.DropFlag);
    }

    [Fact]
    public async Task In_the_lock_shape_dropping_the_flag_is_not_offered()
    {
        await Verify.VerifyCodeFixAsync(Buggy, Buggy, FL1001InterruptibleWithoutLockedFix.DropFlag);
    }

    [Fact]
    public async Task Drop_the_flag_alone_and_through_a_local()
    {
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long A(MmStruct mm, ulong start, Page[] pages) => Gup.PinUserPages(mm, start, 1, {|FL1001:FollFlags.Interruptible|}, pages);

                long B(MmStruct mm, ulong start, Page[] pages)
                {
                    var flags = FollFlags.Write | FollFlags.Interruptible;
                    return Gup.GetUserPages(mm, start, 1, {|FL1001:flags|}, pages);
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long A(MmStruct mm, ulong start, Page[] pages) => Gup.PinUserPages(mm, start, 1, FollFlags.None, pages);

                long B(MmStruct mm, ulong start, Page[] pages)
                {
                    var flags = FollFlags.Write | FollFlags.Interruptible;
                    return Gup.GetUserPages(mm, start, 1, flags & ~FollFlags.Interruptible, pages);
                }
            }
            """, FL1001InterruptibleWithoutLockedFix.DropFlag);
    }

    [Fact]
    public async Task Without_the_lock_shape_only_dropping_the_flag_is_offered()
    {
        // The caller holds the lock: switching form here would change who releases it.
        const string Source = """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages) => Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Interruptible|}, pages);
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, Source, FL1001InterruptibleWithoutLockedFix.UseLocked);
        await Verify.VerifyCodeFixAsync(Source, Source, FL1001InterruptibleWithoutLockedFix.UseUnlocked);
    }

    [Fact]
    public async Task With_Nowait_no_form_change_is_offered()
    {
        // Interruptible with Nowait does nothing in the ...Locked or ...Unlocked forms either (FL1007).
        const string Source = """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages)
                {
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Nowait | FollFlags.Interruptible|}, pages);
                    mm.MmapReadUnlock();
                    return ret;
                }
            }
            """;
        await Verify.VerifyCodeFixAsync(Source, Source, FL1001InterruptibleWithoutLockedFix.UseLocked);
        await Verify.VerifyCodeFixAsync(Source, Source, FL1001InterruptibleWithoutLockedFix.UseUnlocked);
    }

    [Fact]
    public async Task Fix_all_in_one_document_and_across_two()
    {
        var test = new Verify.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using FaultLine;

                    class First
                    {
                        long A(MmStruct mm, ulong start, Page[] pages)
                        {
                            mm.MmapReadLock();
                            long ret = Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Interruptible|}, pages);
                            mm.MmapReadUnlock();
                            if (ret < 0)
                                return ret;
                            mm.MmapReadLock();
                            ret = Gup.PinUserPages(mm, start + 4096, 1, {|FL1001:FollFlags.Write | FollFlags.Interruptible|}, pages);
                            mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start, Page[] pages)
                        {
                            mm.MmapReadLock();
                            long ret = Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Interruptible|}, pages);
                            mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                },
            },
            FixedState =
            {
                Sources =
                {
                    """
                    using FaultLine;

                    class First
                    {
                        long A(MmStruct mm, ulong start, Page[] pages)
                        {
                            mm.MmapReadLock();
                            bool locked = true;
                            long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Interruptible, pages, ref locked);
                            if (locked)
                                mm.MmapReadUnlock();
                            if (ret < 0)
                                return ret;
                            mm.MmapReadLock();
                            bool locked2 = true;
                            ret = Gup.PinUserPagesLocked(mm, start + 4096, 1, FollFlags.Write | FollFlags.Interruptible, pages, ref locked2);
                            if (locked2)
                                mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long B(MmStruct mm, ulong start, Page[] pages)
                        {
                            mm.MmapReadLock();
                            bool locked = true;
                            long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Interruptible, pages, ref locked);
                            if (locked)
                                mm.MmapReadUnlock();
                            return ret;
                        }
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1001InterruptibleWithoutLockedFix.UseLocked,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Fix_all_dropping_the_flag_across_two_documents()
    {
        var test = new Verify.Test
        {
            TestState =
            {
                Sources =
                {
                    """
                    using FaultLine;

                    class First
                    {
                        long A(MmStruct mm, ulong start, Page[] pages) => Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Interruptible | FollFlags.Write|}, pages);

                        long B(MmStruct mm, ulong start, Page[] pages) => Gup.PinUserPages(mm, start, 1, {|FL1001:FollFlags.Write | FollFlags.Interruptible | FollFlags.Longterm|}, pages);
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, Page[] pages) => Gup.GetUserPages(mm, start, 1, {|FL1001:FollFlags.Interruptible|}, pages);
                    }
                    """,
                },
            },
            FixedState =
            {
                Sources =
                {
                    """
                    using FaultLine;

                    class First
                    {
                        long A(MmStruct mm, ulong start, Page[] pages) => Gup.GetUserPages(mm, start, 1, FollFlags.Write, pages);

                        long B(MmStruct mm, ulong start, Page[] pages) => Gup.PinUserPages(mm, start, 1, FollFlags.Write | FollFlags.Longterm, pages);
                    }
                    """,
                    """
                    using FaultLine;

                    class Second
                    {
                        long C(MmStruct mm, ulong start, Page[] pages) => Gup.GetUserPages(mm, start, 1, FollFlags.None, pages);
                    }
                    """,
                },
            },
            CodeActionEquivalenceKey = FL1001InterruptibleWithoutLockedFix.DropFlag,
        };
        await test.RunAsync();
    }

    [Fact]
    public async Task Flags_built_in_a_local_without_Nowait_still_get_the_form_change()
    {
        // The Postcopy sample's shape: the flags come from a local the analyzer can compute, not written at the call.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages, bool write)
                {
                    var foll = write ? FollFlags.Write : FollFlags.None;
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPages(mm, start, 1, {|FL1001:foll | FollFlags.Interruptible|}, pages);
                    mm.MmapReadUnlock();
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages, bool write)
                {
                    var foll = write ? FollFlags.Write : FollFlags.None;
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, foll | FollFlags.Interruptible, pages);
                    return ret;
                }
            }
            """, FL1001InterruptibleWithoutLockedFix.UseUnlocked);
    }

    [Fact]
    public async Task Flags_from_a_parameter_get_the_form_change()
    {
        // The parameter may carry Nowait; then the Unlocked form behaves as lock / call / unlock did (RetryNowait
        // keeps the lock, neither waits), and without it Interruptible takes effect: the change never hurts.
        // The Postcopy sample's hva_to_pfn has this shape.
        await Verify.VerifyCodeFixAsync("""
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages, FollFlags foll)
                {
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPages(mm, start, 1, {|FL1001:foll | FollFlags.Interruptible|}, pages);
                    mm.MmapReadUnlock();
                    return ret;
                }
            }
            """, """
            using FaultLine;

            class Driver
            {
                long Grab(MmStruct mm, ulong start, Page[] pages, FollFlags foll)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, foll | FollFlags.Interruptible, pages);
                    return ret;
                }
            }
            """, FL1001InterruptibleWithoutLockedFix.UseUnlocked);
    }
}
