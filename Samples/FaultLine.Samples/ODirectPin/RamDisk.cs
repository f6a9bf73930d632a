namespace FaultLine.Samples.ODirectPin;

/// <summary>
/// The storage behind the O_DIRECT file of this scenario: a RAM disk whose "DMA engine" copies whole
/// pages between its sectors and the pages it is handed. It never touches user addresses itself; it
/// only sees the pages the driver pinned, as a real device sees bus addresses.
/// </summary>
public sealed class RamDisk
{
    private readonly byte[] storage;

    /// <summary>A disk of <paramref name="pages"/> pages, each filled with its own index so reads are recognisable.</summary>
    public RamDisk(int pages)
    {
        storage = new byte[pages * Page.Size];
        for (var i = 0; i < pages; i++)
        {
            Array.Fill(storage, (byte)(i + 1), i * Page.Size, Page.Size);
        }
    }

    /// <summary>The disk size in bytes.</summary>
    public long Size => storage.Length;

    /// <summary>DMA from the disk at <paramref name="offset"/> into one page's contents.</summary>
    public void ReadPage(long offset, byte[] page)
    {
        ArgumentNullException.ThrowIfNull(page);
        Array.Copy(storage, offset, page, 0, Page.Size);
    }

    /// <summary>DMA from one page's contents to the disk at <paramref name="offset"/>.</summary>
    public void WritePage(long offset, byte[] page)
    {
        ArgumentNullException.ThrowIfNull(page);
        Array.Copy(page, 0, storage, offset, Page.Size);
    }

    /// <summary>A copy of the page of the disk at <paramref name="offset"/>, for checking what a write left there.</summary>
    public byte[] Peek(long offset)
    {
        var copy = new byte[Page.Size];
        Array.Copy(storage, offset, copy, 0, Page.Size);
        return copy;
    }
}
