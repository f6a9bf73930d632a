using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

public class FL4004VmaUsedAfterDropTests
{
    [Fact]
    public async Task Case17_vma_flags_read_after_HandleMmFault_is_reported()
    {
        // syzbot+4c882a4a0697c4a25364: VM_DROPPABLE code read vma->vm_flags after __handle_mm_fault().
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            static class Memory
            {
                static VmFaultResult HandleFault(VmAreaStruct vma, ulong address, FaultFlags flags)
                {
                    var ret = MmFault.HandleMmFault(vma, address, flags);
                    bool isDroppable = ({|#0:vma.Flags|} & VmFlags.Locked) != 0;
                    if (isDroppable && (ret & VmFaultResult.Oom) != 0)
                        ret = VmFaultResult.Sigbus;
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL4004").WithLocation(0).WithArguments("vma", "HandleMmFault"));
    }

    [Fact]
    public async Task Case17_fixed_reads_the_flag_before_the_fault()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            static class Memory
            {
                static VmFaultResult HandleFault(VmAreaStruct vma, ulong address, FaultFlags flags)
                {
                    bool isDroppable = (vma.Flags & VmFlags.Locked) != 0;
                    var ret = MmFault.HandleMmFault(vma, address, flags);
                    // It is no longer safe to dereference vma after this point.
                    if (isDroppable && (ret & VmFaultResult.Oom) != 0)
                        ret = VmFaultResult.Sigbus;
                    return ret;
                }

                static VmFaultResult KeptLock(VmAreaStruct vma, ulong address, FaultFlags flags)
                {
                    var ret = MmFault.HandleMmFault(vma, address, flags);
                    if ((ret & (VmFaultResult.Retry | VmFaultResult.Completed)) != 0)
                        return ret;
                    // Neither Retry nor Completed: the lock was never dropped.
                    return (vma.Flags & VmFlags.Write) != 0 ? ret : VmFaultResult.Sigsegv;
                }
            }
            """);
    }

    [Fact]
    public async Task Case15_hugetlb_walker_reusing_vma_after_locked_cleared_is_reported()
    {
        // Peter Xu, "mm/gup: Fix __get_user_pages() on fault retry of hugetlb": follow_hugetlb_page could return
        // with *locked == 0 and the loop went on using vma.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Walker
            {
                long GetUserPagesWalk(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    bool locked = true;
                    long done = 0;
                    VmAreaStruct? vma = null;
                    while (done < nrPages)
                    {
                        ulong addr = start + (ulong)done * Page.Size;
                        if (vma == null || addr >= vma.End)
                        {
                            vma = mm.VmaLookup(addr);
                            if (vma == null)
                                break;
                        }

                        var chunk = new Page[1];
                        long ret = Gup.GetUserPagesLocked(mm, addr, 1, FollFlags.Write, chunk, ref locked);
                        if (ret <= 0)
                            break;
                        pages[done] = chunk[0];
                        done += ret;
                        if (addr + Page.Size >= {|#0:vma.End|})
                            vma = null;
                    }

                    return done;
                }
            }
            """,
            Verify.Diagnostic("FL4004").WithLocation(0).WithArguments("vma", "GetUserPagesLocked"));
    }

    [Fact]
    public async Task Case15_fixed_walker_stops_when_locked_is_cleared()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Walker
            {
                long GetUserPagesWalk(MmStruct mm, ulong start, long nrPages, Page[] pages)
                {
                    bool locked = true;
                    long done = 0;
                    VmAreaStruct? vma = null;
                    while (done < nrPages)
                    {
                        ulong addr = start + (ulong)done * Page.Size;
                        if (vma == null || addr >= vma.End)
                        {
                            vma = mm.VmaLookup(addr);
                            if (vma == null)
                                break;
                        }

                        var chunk = new Page[1];
                        long ret = Gup.GetUserPagesLocked(mm, addr, 1, FollFlags.Write, chunk, ref locked);
                        if (!locked)
                            goto out_;
                        if (ret <= 0)
                            break;
                        pages[done] = chunk[0];
                        done += ret;
                        if (addr + Page.Size >= vma.End)
                            vma = null;
                    }

                out_:
                    return done;
                }
            }
            """);
    }

    [Fact]
    public async Task Case19_FixupUserFault_caller_that_uses_the_vma_when_unlocked_is_set_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                int HvaToPfnRemapped(MmStruct mm, ulong addr, bool writeFault)
                {
                    var vma = mm.VmaLookup(addr);
                    if (vma == null)
                        return -Errno.EFAULT;
                    bool unlocked = false;
                    int r = Gup.FixupUserFault(mm, addr, writeFault ? FaultFlags.Write : FaultFlags.None, ref unlocked);
                    if (r != 0)
                        return r;
                    return ({|#0:vma.Flags|} & VmFlags.Write) != 0 ? 0 : -Errno.EFAULT;
                }
            }
            """,
            Verify.Diagnostic("FL4004").WithLocation(0).WithArguments("vma", "FixupUserFault"));
    }

    [Fact]
    public async Task Case19_KVM_hva_to_pfn_remapped_relooks_up_the_vma_when_unlocked_is_set()
    {
        // Dominik Dingel, 4a9e1cda2748: callers such as KVM's hva_to_pfn_remapped re-look-up the vma when unlocked is set.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Kvm
            {
                int HvaToPfnRemapped(MmStruct mm, ulong addr, bool writeFault)
                {
                    var vma = mm.VmaLookup(addr);
                    if (vma == null)
                        return -Errno.EFAULT;
                    bool unlocked = false;
                    int r = Gup.FixupUserFault(mm, addr, writeFault ? FaultFlags.Write : FaultFlags.None, ref unlocked);
                    if (unlocked)
                        return -Errno.EAGAIN;
                    if (r != 0)
                        return r;
                    return (vma.Flags & VmFlags.Write) != 0 ? 0 : -Errno.EFAULT;
                }

                int Relookup(MmStruct mm, ulong addr)
                {
                    var vma = mm.VmaLookup(addr);
                    if (vma == null)
                        return -Errno.EFAULT;
                    bool unlocked = false;
                    int r = Gup.FixupUserFault(mm, addr, FaultFlags.Write, ref unlocked);
                    if (r != 0)
                        return r;
                    if (unlocked)
                    {
                        vma = mm.VmaLookup(addr);
                        if (vma == null)
                            return -Errno.EFAULT;
                    }
                    return (vma.Flags & VmFlags.Write) != 0 ? 0 : -Errno.EFAULT;
                }

                int NoUnlocked(MmStruct mm, ulong addr)
                {
                    var vma = mm.VmaLookup(addr);
                    if (vma == null)
                        return -Errno.EFAULT;
                    int r = Gup.FixupUserFault(mm, addr, FaultFlags.Write);
                    return r != 0 ? r : (vma.Flags & VmFlags.Write) != 0 ? 0 : -Errno.EFAULT;
                }
            }
            """);
    }
}
