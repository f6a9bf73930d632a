using FaultLine;
using FaultLine.Samples.ODirectPin;
using Xunit;
using static FaultLine.Samples.Tests.SampleKit;
using BuggyDio = FaultLine.Samples.ODirectPin.Buggy.DirectIo;
using FixedDio = FaultLine.Samples.ODirectPin.Fixed.DirectIo;

namespace FaultLine.Samples.Tests;

/// <summary>
/// O_DIRECT I/O that pins the user buffer with pin_user_pages_fast. A buffer that runs two pages past
/// the end of its mapping gives a short count (2 of 4). Leaked pins show up as FL4005 from the task-exit
/// check, a put_page on a pinned page as FL4006.
/// </summary>
public sealed class ODirectPinTests
{
    private const ulong Buffer = 0x30000000;
    private const int MappedPages = 4;
    private const int Length = 4 * Page.Size;

    /// <summary>Starts two pages before the end of the mapping: only 2 of its 4 pages can be pinned.</summary>
    private const ulong ShortBuffer = Buffer + (2 << Page.Shift);

    private static MmStruct UserMm()
    {
        var mm = new MmStruct();
        mm.Mmap(Buffer, MappedPages * Page.Size, VmFlags.Read | VmFlags.Write, ops: null);
        return mm;
    }

    [Fact]
    public void Fixed_ReadFillsTheBufferAndReleasesEveryPin()
    {
        Reset();
        var disk = new RamDisk(8);
        var dio = new FixedDio(disk);
        var mm = UserMm();
        long ret = 0;
        var seen = new byte[Length];
        RunTask("dio", mm, () =>
        {
            ret = dio.Read(Buffer, Length, offset: 2 * Page.Size);
            Assert.Equal(0, Uaccess.CopyFromUser(seen, Buffer, Length));
        });

        Assert.Equal(Length, ret);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(disk.Peek((2 + i) * (long)Page.Size), seen.AsSpan(i * Page.Size, Page.Size).ToArray());
        }

        // The task-exit check would report any pin still held as FL4005.
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_WriteStoresTheBuffer()
    {
        Reset();
        var disk = new RamDisk(8);
        var dio = new FixedDio(disk);
        var mm = UserMm();
        var data = Enumerable.Range(0, Length).Select(i => (byte)(i / Page.Size + 0x40)).ToArray();
        long ret = 0;
        RunTask("dio", mm, () =>
        {
            Assert.Equal(0, Uaccess.CopyToUser(Buffer, data, Length));
            ret = dio.Write(Buffer, Length, offset: 0);
        });

        Assert.Equal(Length, ret);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(data.AsSpan(i * Page.Size, Page.Size).ToArray(), disk.Peek(i * (long)Page.Size));
        }

        AssertNoWarnings();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fixed_ShortPinFailsWithEfaultAndKeepsNoPin(bool write)
    {
        Reset();
        var disk = new RamDisk(8);
        var dio = new FixedDio(disk);
        var before = disk.Peek(0);
        long ret = 0;
        RunTask("dio", UserMm(), () => ret = write ? dio.Write(ShortBuffer, Length, 0) : dio.Read(ShortBuffer, Length, 0));

        Assert.Equal(-Errno.EFAULT, ret);
        Assert.Equal(before, disk.Peek(0));
        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_ShortPinLeaksThePinnedPrefixAndReturnsTheCount()
    {
        Reset();
        var dio = new BuggyDio(new RamDisk(8));
        long ret = 0;
        RunTask("dio", UserMm(), () => ret = dio.Read(ShortBuffer, Length, 0));

        // Case 21: the caller gets "2" back from a read that failed, and the 2 pages stay pinned.
        Assert.Equal(2, ret);
        Assert.Equal(new[] { "FL4005" }, WarningIds());
        Assert.Contains("2 pinned page(s)", KernelDebug.Warnings[0].Message);
    }

    [Fact]
    public void Buggy_PutPageDoesNotReleaseThePins()
    {
        Reset();
        var disk = new RamDisk(8);
        var dio = new BuggyDio(disk);
        long ret = 0;
        var seen = new byte[Page.Size];
        RunTask("dio", UserMm(), () =>
        {
            ret = dio.Read(Buffer, Length, offset: 0);
            Assert.Equal(0, Uaccess.CopyFromUser(seen, Buffer, Page.Size));
        });

        // The I/O itself worked; the release did not: one FL4006 per put_page on a pinned page, and
        // the four pins are still held when the task exits.
        Assert.Equal(Length, ret);
        Assert.Equal(disk.Peek(0), seen);
        Assert.Equal(new[] { "FL4006", "FL4006", "FL4006", "FL4006", "FL4005" }, WarningIds());
        Assert.Contains("4 pinned page(s)", KernelDebug.Warnings[4].Message);
    }

    [Fact]
    public void Buggy_WriteUsesPagesGupNeverReturned()
    {
        Reset();
        var dio = new BuggyDio(new RamDisk(8));
        var task = KernelTask.Start("dio", UserMm(), () => dio.Write(ShortBuffer, Length, 0));

        // FL1003 at run time: pages[2] was never filled; the "DMA" dereferences it. The two pages that
        // were pinned are never unpinned: the task dies holding them.
        Assert.Throws<NullReferenceException>(() => task.Join(Watchdog));
        Assert.Equal(new[] { "FL4005" }, WarningIds());
    }
}
