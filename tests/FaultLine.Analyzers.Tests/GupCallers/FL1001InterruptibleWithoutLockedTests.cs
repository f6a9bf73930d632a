using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1001: Interruptible reaches a GUP form with no <c>locked</c> (GetUserPages, PinUserPages).</summary>
public class FL1001InterruptibleWithoutLockedTests
{
    [Fact]
    public async Task GetUserPages_with_Interruptible_literal_is_reported_on_the_flags_argument()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPages(mm, start, pages.Length, {|#0:FollFlags.Write | FollFlags.Interruptible|}, pages);
                    if (ret < 0)
                        return ret;
                    if (ret != pages.Length)
                    {
                        for (long i = 0; i < ret; i++)
                            Gup.PutPage(pages[i]);
                        return -Errno.EFAULT;
                    }
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL1001").WithLocation(0).WithArguments("GetUserPages", "GetUserPagesLocked", "GetUserPagesUnlocked"));
    }

    [Fact]
    public async Task Case6_kvm_first_look_under_mmap_lock_with_Interruptible_is_reported()
    {
        // SEMANTICS.md case 6: FOLL_INTERRUPTIBLE on get_user_pages() with locked == NULL is silently ignored.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Vcpu
            {
                private readonly MmStruct mm = new();

                long HvaToPfn(ulong hva, FollFlags foll, Page[] pages)
                {
                    mm.MmapReadLock();
                    var npages = Gup.GetUserPages(mm, hva, 1, {|FL1001:foll | FollFlags.Interruptible|}, pages);
                    mm.MmapReadUnlock();
                    if (npages == 1)
                        return 1;
                    return npages < 0 ? npages : -Errno.EFAULT;
                }
            }
            """);
    }

    [Fact]
    public async Task PinUserPages_with_flags_built_up_in_a_local_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages, bool write)
                {
                    var flags = FollFlags.Longterm;
                    if (write)
                        flags |= FollFlags.Write;
                    flags |= FollFlags.Interruptible;
                    long ret = Gup.PinUserPages(mm, start, 1, {|FL1001:flags|}, pages);
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Flags_from_a_const_a_static_readonly_field_and_a_helper_are_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                const FollFlags Kick = FollFlags.Write | FollFlags.Interruptible;
                static readonly FollFlags KickToo = FollFlags.Interruptible;

                static FollFlags SlowFlags(bool write)
                {
                    var foll = FollFlags.Interruptible;
                    if (write)
                        foll |= FollFlags.Write;
                    return foll;
                }

                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    long a = Gup.GetUserPages(mm, start, 1, {|FL1001:Kick|}, pages);
                    long b = Gup.GetUserPages(mm, start, 1, {|FL1001:KickToo|}, pages);
                    long c = Gup.GetUserPages(mm, start, 1, {|FL1001:SlowFlags(true)|}, pages);
                    return a + b + c;
                }
            }
            """);
    }

    [Fact]
    public async Task Interruptible_on_both_sides_of_a_conditional_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages, bool write)
                {
                    var flags = write ? FollFlags.Write | FollFlags.Interruptible : FollFlags.Interruptible;
                    long ret = Gup.GetUserPages(mm, start, 1, {|FL1001:flags|}, pages);
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Interruptible_on_only_one_side_of_a_conditional_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages, bool kick)
                {
                    var flags = kick ? FollFlags.Write | FollFlags.Interruptible : FollFlags.Write;
                    long ret = Gup.GetUserPages(mm, start, 1, flags, pages);
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Flags_from_a_parameter_are_unknown_and_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages, FollFlags flags)
                {
                    long ret = Gup.GetUserPages(mm, start, 1, flags, pages);
                    return ret < 0 ? ret : 0;
                }

                long PinWrite(MmStruct mm, ulong start, Page[] pages, FollFlags flags)
                {
                    long ret = Gup.GetUserPages(mm, start, 1, flags | FollFlags.Write, pages);
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Interruptible_cleared_before_the_call_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages, FollFlags flags)
                {
                    flags |= FollFlags.Interruptible;
                    flags &= ~FollFlags.Interruptible;
                    long ret = Gup.GetUserPages(mm, start, 1, flags, pages);
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Helper_whose_flags_depend_on_its_parameter_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                static FollFlags Flags(bool interruptible) =>
                    interruptible ? FollFlags.Write | FollFlags.Interruptible : FollFlags.Write;

                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPages(mm, start, 1, Flags(false), pages);
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Interruptible_on_the_Locked_and_Unlocked_forms_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Unlocked(MmStruct mm, ulong start, Page[] pages)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages);
                    return ret < 0 ? ret : 0;
                }

                long Locked(MmStruct mm, ulong start, Page[] pages)
                {
                    mm.MmapReadLock();
                    bool locked = true;
                    long ret = Gup.PinUserPagesLocked(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages, ref locked);
                    if (locked)
                        mm.MmapReadUnlock();
                    return ret < 0 ? ret : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Gup_in_a_kernel_task_lambda_is_analysed()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                void Start(MmStruct mm, Page[] pages)
                {
                    KernelTask.Start("worker", mm, () =>
                    {
                        long ret = Gup.GetUserPages(mm, 0x10000, 1, {|FL1001:FollFlags.Interruptible|}, pages);
                        if (ret == 1)
                            Gup.PutPage(pages[0]);
                    });
                }
            }
            """);
    }
}
