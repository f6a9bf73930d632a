using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

/// <summary>FL4002, FL4003 and FL4007: the mmap lock's state along every path.</summary>
public class LockStateTests
{
    [Fact]
    public async Task FL4002_GetUserPages_after_the_unlock_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(start);
                    mm.MmapReadUnlock();
                    if (vma == null)
                        return -Errno.EFAULT;
                    return {|#0:Gup.GetUserPages(mm, start, pages.Length, FollFlags.Write, pages)|};
                }
            }
            """,
            Verify.Diagnostic("FL4002").WithLocation(0).WithArguments("GetUserPages", "mm"));
    }

    [Fact]
    public async Task FL4002_FindVma_after_the_unlock_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                bool Writable(MmStruct mm, ulong addr)
                {
                    mm.MmapReadLock();
                    mm.MmapReadUnlock();
                    var vma = {|#0:mm.FindVma(addr)|};
                    return vma != null;
                }
            }
            """,
            Verify.Diagnostic("FL4002").WithLocation(0).WithArguments("FindVma", "mm"));
    }

    [Fact]
    public async Task FL4002_is_silent_when_the_lock_state_is_unknown()
    {
        // The caller holds the lock: nothing in this method says otherwise.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages) =>
                    Gup.PinUserPages(mm, start, pages.Length, FollFlags.Write, pages);

                long PinBody(MmStruct mm, ulong start, Page[] pages, bool takeLock)
                {
                    if (takeLock)
                        mm.MmapReadLock();
                    long ret = Gup.PinUserPages(mm, start, pages.Length, FollFlags.Write, pages);
                    if (takeLock)
                        mm.MmapReadUnlock();
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task FL4003_Unlocked_form_with_the_lock_held_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct mm, ulong start, Page[] pages)
                {
                    mm.MmapReadLock();
                    long ret = {|#0:Gup.PinUserPagesUnlocked(mm, start, pages.Length, FollFlags.Write, pages)|};
                    mm.MmapReadUnlock();
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL4003").WithLocation(0).WithArguments("PinUserPagesUnlocked", "mm"));
    }

    [Fact]
    public async Task FL4003_Fast_form_with_the_current_mm_locked_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(ulong start, Page[] pages)
                {
                    var mm = KernelTask.Current.Mm!;
                    mm.MmapReadLock();
                    long ret = {|#0:Gup.GetUserPagesFast(start, pages.Length, FollFlags.Write, pages)|};
                    mm.MmapReadUnlock();
                    return ret;
                }
            }
            """,
            Verify.Diagnostic("FL4003").WithLocation(0).WithArguments("GetUserPagesFast", "KernelTask.Current.Mm"));
    }

    [Fact]
    public async Task FL4003_is_silent_after_the_unlock_and_for_another_mm()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long Pin(MmStruct remote, ulong start, Page[] pages)
                {
                    remote.MmapReadLock();
                    var vma = remote.VmaLookup(start);
                    bool ok = vma != null && (vma.Flags & VmFlags.Write) != 0;
                    remote.MmapReadUnlock();
                    if (!ok)
                        return -Errno.EFAULT;
                    long ret = Gup.PinUserPagesUnlocked(remote, start, pages.Length, FollFlags.Write, pages);
                    return ret;
                }

                long Fast(MmStruct remote, ulong start, Page[] pages)
                {
                    remote.MmapReadLock();
                    long ret = Gup.PinUserPagesFast(start, pages.Length, FollFlags.Write, pages);
                    remote.MmapReadUnlock();
                    return ret;
                }
            }
            """);
    }

    [Fact]
    public async Task FL4007_lock_leaked_on_an_early_return_is_reported_at_the_lock()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                int Check(MmStruct mm, ulong addr)
                {
                    {|#0:mm.MmapReadLock()|};
                    var vma = mm.VmaLookup(addr);
                    if (vma == null)
                        return -Errno.EFAULT;
                    bool writable = (vma.Flags & VmFlags.Write) != 0;
                    mm.MmapReadUnlock();
                    return writable ? 0 : -Errno.EPERM;
                }
            }
            """,
            Verify.Diagnostic("FL4007").WithLocation(0).WithArguments("The mmap lock of 'mm' taken here is still held when the method returns on some path"));
    }

    [Fact]
    public async Task FL4007_double_unlock_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                int Check(MmStruct mm, ulong addr)
                {
                    mm.MmapWriteLock();
                    var vma = mm.VmaLookup(addr);
                    mm.MmapWriteUnlock();
                    if (vma == null)
                    {
                        {|#0:mm.MmapWriteUnlock()|};
                        return -Errno.EFAULT;
                    }
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL4007").WithLocation(0).WithArguments("The mmap lock of 'mm' is released here, but it is not held: it was already released"));
    }

    [Fact]
    public async Task FL4007_killable_lock_result_ignored_is_reported_and_tested_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                int Bad(MmStruct mm, ulong addr)
                {
                    mm.MmapReadLockKillable();
                    {|#0:mm.MmapReadUnlock()|};
                    return 0;
                }

                int Good(MmStruct mm, ulong addr)
                {
                    if (mm.MmapReadLockKillable() != 0)
                        return -Errno.EINTR;
                    var vma = mm.VmaLookup(addr);
                    mm.MmapReadUnlock();
                    return vma == null ? -Errno.EFAULT : 0;
                }

                int GoodLocal(MmStruct mm, ulong addr)
                {
                    int err = mm.MmapLock.DownReadKillable();
                    if (err < 0)
                        return err;
                    var vma = mm.VmaLookup(addr);
                    mm.MmapLock.UpRead();
                    return vma == null ? -Errno.EFAULT : 0;
                }

                int Try(MmStruct mm, ulong addr)
                {
                    if (!mm.MmapReadTrylock())
                        return -Errno.EAGAIN;
                    mm.MmapReadUnlock();
                    return 0;
                }
            }
            """,
            Verify.Diagnostic("FL4007").WithLocation(0).WithArguments("The mmap lock of 'mm' is released here, but the killable lock may have failed to take it"));
    }

    [Fact]
    public async Task Arch_fault_retry_loop_of_rule_31_is_silent()
    {
        // SEMANTICS.md rule 31 (x86 do_user_addr_fault): Retry and Completed come back with the lock released.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ArchFault
            {
                void DoUserAddrFault(MmStruct mm, ulong address, FaultFlags flags)
                {
                retry:
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(address);
                    if (vma == null)
                    {
                        mm.MmapReadUnlock();
                        return;
                    }

                    var fault = MmFault.HandleMmFault(vma, address, flags);
                    if ((fault & VmFaultResult.Retry) != 0)
                    {
                        flags |= FaultFlags.Tried;
                        goto retry;
                    }

                    if ((fault & VmFaultResult.Completed) != 0)
                        return;
                    mm.MmapReadUnlock();
                }

                void WithHasFlag(MmStruct mm, ulong address, FaultFlags flags)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(address);
                    if (vma == null)
                    {
                        mm.MmapReadUnlock();
                        return;
                    }

                    var fault = MmFault.HandleMmFault(vma, address, flags);
                    if (fault.HasFlag(VmFaultResult.Retry) || fault.HasFlag(VmFaultResult.Completed))
                        return;
                    mm.MmapReadUnlock();
                }

                void NowaitLocal(MmStruct mm, ulong address, bool write)
                {
                    var flags = FaultFlags.AllowRetry | FaultFlags.RetryNowait;
                    if (write)
                        flags |= FaultFlags.Write;
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(address);
                    if (vma != null)
                    {
                        var ret = MmFault.HandleMmFault(vma, address, flags);
                        bool writable = (vma.Flags & VmFlags.Write) != 0;
                    }
                    mm.MmapReadUnlock();
                }

                void Nowait(MmStruct mm, ulong address)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(address);
                    if (vma != null)
                    {
                        MmFault.HandleMmFault(vma, address, FaultFlags.AllowRetry | FaultFlags.RetryNowait);
                        bool writable = (vma.Flags & VmFlags.Write) != 0;
                    }
                    mm.MmapReadUnlock();
                }
            }
            """);
    }

    [Fact]
    public async Task Case18_unlock_after_HandleMmFault_without_testing_the_result_is_reported()
    {
        // SEMANTICS.md case 18: arch code called the unlock unconditionally after a fault that returned Retry.
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class ArchFault
            {
                void DoUserAddrFault(MmStruct mm, ulong address, FaultFlags flags)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(address);
                    if (vma == null)
                    {
                        mm.MmapReadUnlock();
                        return;
                    }

                    var fault = MmFault.HandleMmFault(vma, address, flags);
                    {|#0:mm.MmapReadUnlock()|};
                }
            }
            """,
            Verify.Diagnostic("FL4007").WithLocation(0).WithArguments("The mmap lock of 'mm' is released here, but 'HandleMmFault' already released it if it returned Retry or Completed"));
    }
}
