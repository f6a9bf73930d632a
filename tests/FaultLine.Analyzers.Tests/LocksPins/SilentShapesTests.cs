using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.LocksPins.LocksPinsAnalyzer>;

namespace FaultLine.Analyzers.Tests.LocksPins;

/// <summary>Correct code, and code the analyzer cannot follow, that must stay silent.</summary>
public class SilentShapesTests
{
    [Fact]
    public async Task Try_finally_unlock_aliases_and_unknown_helpers_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                MmStruct? saved;

                int TryFinally(MmStruct mm, ulong addr)
                {
                    mm.MmapReadLock();
                    try
                    {
                        var vma = mm.VmaLookup(addr);
                        if (vma == null)
                            return -Errno.EFAULT;
                        return (vma.Flags & VmFlags.Write) != 0 ? 0 : -Errno.EPERM;
                    }
                    finally
                    {
                        mm.MmapReadUnlock();
                    }
                }

                int Alias(MmStruct mm, ulong addr)
                {
                    var other = mm;
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(addr);
                    other.MmapReadUnlock();
                    return vma == null ? -Errno.EFAULT : 0;
                }

                int Stored(MmStruct mm)
                {
                    saved = mm;
                    mm.MmapReadLock();
                    ReleaseSaved();
                    return 0;
                }

                void ReleaseSaved() => saved!.MmapReadUnlock();

                int Helper(MmStruct mm, ulong addr)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(addr);
                    Unlock(mm);
                    return vma == null ? -Errno.EFAULT : 0;
                }

                static void Unlock(MmStruct mm) => mm.MmapReadUnlock();

                int ViaVmaMm(MmStruct mm, ulong addr)
                {
                    mm.MmapReadLock();
                    var vma = mm.VmaLookup(addr);
                    if (vma == null)
                    {
                        mm.MmapReadUnlock();
                        return -Errno.EFAULT;
                    }
                    vma.Mm.MmapReadUnlock();
                    return 0;
                }

                int WriteLock(MmStruct mm, ulong addr)
                {
                    mm.MmapLock.DownWrite();
                    var vma = mm.FindVma(addr);
                    mm.MmapLock.UpWrite();
                    return vma == null ? -Errno.EFAULT : 0;
                }
            }
            """);
    }

    [Fact]
    public async Task Locked_gup_that_retakes_the_lock_and_unlocks_once_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Driver
            {
                long PinAll(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long ret = Gup.PinUserPagesLocked(mm, start, count, FollFlags.Write, pages, ref locked);
                    if (!locked)
                    {
                        mm.MmapReadLock();
                        locked = true;
                    }
                    var vma = mm.VmaLookup(start);
                    bool writable = vma != null && (vma.Flags & VmFlags.Write) != 0;
                    mm.MmapReadUnlock();
                    if (ret < 0)
                        return ret;
                    if (!writable || ret != count)
                    {
                        Gup.UnpinUserPages(pages, ret);
                        return -Errno.EFAULT;
                    }
                    return ret;
                }

                long Loop(MmStruct mm, ulong start, long count, Page[] pages)
                {
                    bool locked = true;
                    mm.MmapReadLock();
                    long done = 0;
                    while (done < count)
                    {
                        var chunk = new Page[1];
                        long ret = Gup.GetUserPagesLocked(mm, start + (ulong)done * Page.Size, 1, FollFlags.Write, chunk, ref locked);
                        if (!locked)
                        {
                            mm.MmapReadLock();
                            locked = true;
                        }
                        if (ret != 1)
                            break;
                        pages[done++] = chunk[0];
                    }
                    mm.MmapReadUnlock();
                    return done;
                }
            }
            """);
    }

    [Fact]
    public async Task Pages_handed_on_element_by_element_or_through_finally_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;
            using System.Collections.Generic;

            class Driver
            {
                readonly List<Page> kept = new();

                int Keep(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    if (ret <= 0)
                        return -Errno.EFAULT;
                    for (long i = 0; i < ret; i++)
                        kept.Add(pages[i]);
                    return 0;
                }

                int Finally(MmStruct mm, ulong start, long count)
                {
                    var pages = new Page[count];
                    long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                    try
                    {
                        if (ret != count)
                            return -Errno.EFAULT;
                        return pages[0].Data[0];
                    }
                    finally
                    {
                        if (ret > 0)
                            Gup.UnpinUserPages(pages, ret);
                    }
                }
            }
            """);
    }

    [Fact]
    public async Task Code_without_the_runtime_is_ignored()
    {
        await Verify.VerifyWithoutRuntimeAsync("""
            class MmStruct { public void MmapReadLock() { } public void MmapReadUnlock() { } }

            class Driver
            {
                void Twice(MmStruct mm)
                {
                    mm.MmapReadUnlock();
                    mm.MmapReadUnlock();
                }
            }
            """);
    }
}
