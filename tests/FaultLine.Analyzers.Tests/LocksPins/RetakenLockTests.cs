using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

/// <summary>
/// FL4007 on a lock that was held on entry, dropped and taken back (SEMANTICS.md §2 case 16's shape, and helpers
/// that drop the caller's lock around a wait). Taking it back restores the entry state: balanced, not a leak. Whether
/// a fault handler may retake at all is FL2003's question, not FL4007's.
/// </summary>
public class RetakenLockTests
{
    private const string Leak = "The mmap lock of '{0}' taken here is still held when the method returns on some path";

    [Fact]
    public async Task Fault_handler_that_drops_and_retakes_the_callers_lock_is_not_a_leak()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly WaitQueueHead wq = new();
                private bool ready;

                // Case 16's shape, through a local: released, waited, taken back.
                public override VmFaultResult Fault(VmFault vmf)
                {
                    var mm = vmf.Vma.Mm;
                    mm.MmapReadUnlock();
                    Wait.Event(wq, () => ready);
                    mm.MmapReadLock();
                    return VmFaultResult.Nopage;
                }

                // The same through vmf.Vma.Mm each time.
                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    vmf.Vma.Mm.MmapReadUnlock();
                    Wait.Event(wq, () => ready);
                    vmf.Vma.Mm.MmapReadLock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task Helper_with_unknown_entry_that_releases_first_and_retakes_is_not_a_leak()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private bool ready;

                // Called with mm's lock held; drops it around the wait.
                void WaitUnlocked(MmStruct mm)
                {
                    mm.MmapReadUnlock();
                    Wait.Event(wq, () => ready);
                    mm.MmapReadLock();
                }

                // The killable retake: held on the success side, released on the failure side.
                int WaitKillable(MmStruct mm)
                {
                    mm.MmapReadUnlock();
                    if (Wait.EventKillable(wq, () => ready) != 0)
                        return -Errno.EINTR;
                    if (mm.MmapReadLockKillable() != 0)
                        return -Errno.EINTR;
                    return 0;
                }

                // The trylock retake.
                bool WaitTry(MmStruct mm)
                {
                    mm.MmapReadUnlock();
                    Wait.Event(wq, () => ready);
                    if (!mm.MmapReadTrylock())
                        return false;
                    return true;
                }

                // Released and retaken in a loop, on every iteration.
                void Loop(MmStruct mm, int n)
                {
                    for (var i = 0; i < n; i++)
                    {
                        mm.MmapReadUnlock();
                        Wait.Event(wq, () => ready);
                        mm.MmapReadLock();
                    }
                }

                // Retaken on only some paths: the return state disagrees, so it is Unknown and FL4007 stays silent.
                void SomePaths(MmStruct mm, bool again)
                {
                    mm.MmapReadUnlock();
                    Wait.Event(wq, () => ready);
                    if (again)
                        mm.MmapReadLock();
                }
            }
            """);
    }

    [Fact]
    public async Task Own_lock_leak_and_double_release_are_still_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                private readonly WaitQueueHead wq = new();
                private bool ready;

                // Taken here, never released on the early return.
                int Leaky(MmStruct mm, ulong addr)
                {
                    {|#0:mm.MmapReadLock()|};
                    if (mm.VmaLookup(addr) == null)
                        return -Errno.EFAULT;
                    mm.MmapReadUnlock();
                    return 0;
                }

                // Taken and released by this method, then taken again and kept: this method's own lock leaks.
                void TakeReleaseTake(MmStruct mm)
                {
                    mm.MmapReadLock();
                    mm.MmapReadUnlock();
                    Wait.Event(wq, () => ready);
                    {|#1:mm.MmapReadLock()|};
                }

                // The caller's lock released, then released again.
                void Twice(MmStruct mm)
                {
                    mm.MmapReadUnlock();
                    Wait.Event(wq, () => ready);
                    {|#2:mm.MmapReadUnlock()|};
                }

                // Dropped and taken back twice: balanced each time.
                void RetakeThenOwn(MmStruct mm)
                {
                    mm.MmapReadUnlock();
                    mm.MmapReadLock();
                    mm.MmapReadUnlock();
                    mm.MmapReadLock();
                }
            }
            """,
            Verify.Diagnostic("FL4007").WithLocation(0).WithArguments(string.Format(Leak, "mm")),
            Verify.Diagnostic("FL4007").WithLocation(1).WithArguments(string.Format(Leak, "mm")),
            Verify.Diagnostic("FL4007").WithLocation(2).WithArguments("The mmap lock of 'mm' is released here, but it is not held: it was already released"));
    }
}
