using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests.Conformance;

/// <summary>
/// SEMANTICS.md rule 24's lockless half: gup_fast walks the page table without the mmap lock, one PTE
/// table (512 pages, 2 MiB) at a time, and the slow path completes what it leaves, in the caller's array.
/// </summary>
public class FastWalkRules
{
    [Fact]
    public void TheFastWalkTakesResidentPagesAcrossPteTablesWhileAnotherTaskHoldsTheMmapLockForWrite()
    {
        ResetWarnings();
        var mm = AnonMm(1200, out _);
        Populate(mm, 0, 1200);
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = KernelTask.Start("mmap-writer", mm, () =>
        {
            mm.MmapWriteLock();
            held.Set();
            release.Wait(Watchdog);
            mm.MmapWriteUnlock();
        });
        Assert.True(held.Wait(Watchdog));
        try
        {
            // Pages 500..1099 start mid-table and span three PTE tables. The slow path would block on
            // the write lock; the lockless walk must not need it.
            RunTask("fast", mm, () =>
            {
                var pages = new Page[600];
                Assert.Equal(600, Gup.GetUserPagesFast(PageAddress(500), 600, FollFlags.Write, pages));
                for (var i = 0; i < pages.Length; i++)
                {
                    Assert.Same(mm.PageAt(PageAddress(500 + i)), pages[i]);
                    Assert.Equal(2, pages[i].RefCount);
                    Gup.PutPage(pages[i]);
                }
            });
        }
        finally
        {
            release.Set();
            JoinOrFail(holder);
        }

        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void TheSlowPathFillsTheCallersArrayAfterThePagesTheWalkTook()
    {
        ResetWarnings();
        var mm = AnonMm(700, out _);
        Populate(mm, 0, 100);
        RunTask("fast", mm, () =>
        {
            // 100 resident pages for the walk, 600 to fault in, crossing into the second PTE table;
            // the array is longer than the request and its tail must stay untouched.
            var pages = new Page[710];
            Assert.Equal(700, Gup.GetUserPagesFast(Base, 700, FollFlags.Write, pages));
            for (var i = 0; i < 700; i++)
            {
                Assert.Same(mm.PageAt(PageAddress(i)), pages[i]);
                Assert.Equal(2, pages[i].RefCount);
                Gup.PutPage(pages[i]);
            }

            Assert.All(pages[700..], Assert.Null);
        });
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void ThePageTableListsEveryPresentEntryOnceWithItsAddress()
    {
        var mm = AnonMm(1100, out _);
        Populate(mm, 0, 3);
        Populate(mm, 511, 2);
        Populate(mm, 1099, 1);
        int[] present = [0, 1, 2, 511, 512, 1099];

        var listed = mm.PageTable.OrderBy(e => e.Key).ToArray();

        Assert.Equal(present.Select(PageAddress), listed.Select(e => e.Key));
        Assert.All(listed, e => Assert.Same(mm.PageAt(e.Key), e.Value.Page));
        Assert.Null(mm.PageAt(PageAddress(3)));
        Assert.Null(mm.PageAt(PageAddress(513)));
    }
}
