using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.GupCallers.GupCallersAnalyzer>;

namespace FaultLine.Analyzers.Tests.GupCallers;

/// <summary>FL1008: lock/GetUserPages/unlock is GetUserPagesUnlocked; GetUserPagesUnlocked on current's mm is GetUserPagesFast.</summary>
public class FL1008SimplerFormAvailableTests
{
    [Fact]
    public async Task Lock_GetUserPages_unlock_is_reported_with_the_lock_and_unlock_as_additional_locations()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] page)
                {
                    {|#1:mm.MmapReadLock();|}
                    long ret = {|#0:Gup.GetUserPages(mm, start, 1, FollFlags.Write, page)|};
                    {|#2:mm.MmapReadUnlock();|}
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL1008").WithLocation(0).WithLocation(1).WithLocation(2)
                .WithArguments("The mmap read lock is taken and released around a single 'GetUserPages' call", "GetUserPagesUnlocked"));
    }

    [Fact]
    public async Task DownRead_PinUserPages_UpRead_on_a_field_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Device
            {
                private readonly MmStruct mm = new();

                long Pin(ulong start, Page[] page)
                {
                    mm.MmapLock.DownRead();
                    var ret = {|FL1008:Gup.PinUserPages(mm, start, 1, FollFlags.Write | FollFlags.Longterm, page)|};
                    mm.MmapLock.UpRead();
                    if (ret == 1)
                        Gup.UnpinUserPage(page[0]);
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task Unlocked_on_the_current_tasks_mm_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Direct(ulong start, Page[] page)
                {
                    long ret = {|#0:Gup.GetUserPagesUnlocked(KernelTask.Current.Mm!, start, 1, FollFlags.Write, page)|};
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }

                long ThroughALocal(ulong start, Page[] page)
                {
                    var mm = KernelTask.Current.Mm!;
                    long ret = {|#1:Gup.PinUserPagesUnlocked(mm, start, 1, FollFlags.Write, page)|};
                    if (ret == 1)
                        Gup.UnpinUserPage(page[0]);
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL1008").WithLocation(0).WithArguments("'GetUserPagesUnlocked' is called on the current task's mm", "GetUserPagesFast"),
            Verify.Diagnostic("FL1008").WithLocation(1).WithArguments("'PinUserPagesUnlocked' is called on the current task's mm", "PinUserPagesFast"));
    }

    [Fact]
    public async Task Suggestions_that_would_change_the_meaning_are_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                // Nowait and Interruptible: the fast form would reject them with -EINVAL.
                long FastWouldReject(ulong start, Page[] page)
                {
                    long ret = Gup.GetUserPagesUnlocked(KernelTask.Current.Mm!, start, 1, FollFlags.Write | FollFlags.Nowait, page);
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }

                // No pages array: the fast form needs one.
                long NoPages(ulong start) =>
                    Gup.GetUserPagesUnlocked(KernelTask.Current.Mm!, start, 1, FollFlags.Write, null);

                // Another task's mm.
                long Remote(MmStruct mm, ulong start, Page[] page)
                {
                    long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write, page);
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }

                // Unknown flags: either suggestion could change what the call does.
                long UnknownFlags(MmStruct mm, ulong start, Page[] page, FollFlags flags)
                {
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPages(mm, start, 1, flags, page);
                    mm.MmapReadUnlock();
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }

                // An argument that needs the lock (the VMA is looked up under it).
                long NeedsTheLock(MmStruct mm, ulong start, Page[] page)
                {
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPages(mm, mm.FindVma(start)!.Start, 1, FollFlags.Write, page);
                    mm.MmapReadUnlock();
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return ret;
                }

                // More than one call under the lock.
                long MoreUnderTheLock(MmStruct mm, ulong start, Page[] page)
                {
                    mm.MmapReadLock();
                    var vma = mm.FindVma(start);
                    long ret = Gup.GetUserPages(mm, start, 1, FollFlags.Write, page);
                    mm.MmapReadUnlock();
                    if (ret == 1)
                        Gup.PutPage(page[0]);
                    return vma is null ? -Errno.EFAULT : ret;
                }
            }
            """);
    }
}
