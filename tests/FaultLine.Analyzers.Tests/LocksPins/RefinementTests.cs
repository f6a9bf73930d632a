using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

/// <summary>Branches on the fault result, on <c>locked</c> and on lock results refine the mmap-lock state.</summary>
public class RefinementTests
{
    [Fact]
    public async Task Switch_on_the_fault_result_refines_the_lock()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ArchFault
            {
                int Fault(MmStruct mm, ulong address, FaultFlags flags)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(address);
                    if (vma == null)
                    {
                        mm.MmapReadUnlock();
                        return -Errno.EFAULT;
                    }

                    var ret = MmFault.HandleMmFault(vma, address, flags);
                    switch (ret)
                    {
                        case VmFaultResult.Retry:
                        case VmFaultResult.Completed:
                            return -Errno.EAGAIN;
                        case VmFaultResult.None:
                            mm.MmapReadUnlock();
                            return 0;
                        default:
                            return -Errno.EFAULT;
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task GetUserPages_on_the_path_where_locked_came_back_false_is_FL4002()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, ref locked);
                    if (!locked)
                    {
                        long again = {|#0:Gup.GetUserPages(mm, start, 1, FollFlags.Write, pages)|};
                        return again;
                    }
                    mm.MmapReadUnlock();
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL4002").WithLocation(0).WithArguments("GetUserPages", "mm"));
    }

    [Fact]
    public async Task Unlocking_after_Retry_was_seen_is_FL4007()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ArchFault
            {
                void Fault(MmStruct mm, ulong address, FaultFlags flags)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(address);
                    if (vma == null)
                    {
                        mm.MmapReadUnlock();
                        return;
                    }

                    var ret = MmFault.HandleMmFault(vma, address, flags);
                    if ((ret & VmFaultResult.Retry) != 0)
                    {
                        {|#0:mm.MmapReadUnlock()|};
                        return;
                    }
                    if ((ret & VmFaultResult.Completed) != 0)
                        return;
                    mm.MmapReadUnlock();
                }
            }
            """,
            Verify.Diagnostic("FL4007").WithLocation(0).WithArguments("The mmap lock of 'mm' is released here, but it is not held: it was already released"));
    }
}
