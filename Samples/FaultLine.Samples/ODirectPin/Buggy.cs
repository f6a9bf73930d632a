namespace FaultLine.Samples.ODirectPin.Buggy;

/// <summary>
/// O_DIRECT reads and writes on a <see cref="RamDisk"/> that pin the caller's buffer with
/// <see cref="Gup.PinUserPagesFast"/> but get the partial count and the release wrong, as kpc2000's
/// kpc_dma did before "staging: kpc2000: kpc_dma: Unpin partial pinned pages" (SEMANTICS.md case 21),
/// and as half-finished conversions from get_user_pages to pin_user_pages did:
/// <list type="bullet">
/// <item>FL4005 (<see cref="Read"/>): a short count goes to the error path, which frees only the page
/// array: the pages already pinned stay pinned forever, and the positive count is returned to the
/// caller as if it were an error code (the caller sees a short read of that many bytes);</item>
/// <item>FL4006 (<see cref="Read"/>): the pinned pages are released with <see cref="Gup.PutPage"/>, the
/// release of the get_user_pages days, which does not drop a pin (rule 26);</item>
/// <item>FL1003 (<see cref="Write"/>): only a negative result is checked; a short count is used as if it
/// were complete, so the device reads from entries GUP never filled.</item>
/// </list>
/// </summary>
public sealed class DirectIo
{
    private readonly RamDisk disk;

    /// <summary>An O_DIRECT file on <paramref name="disk"/>.</summary>
    public DirectIo(RamDisk disk)
    {
        this.disk = disk;
    }

    /// <summary>
    /// read(2): the disk at <paramref name="offset"/> into the user buffer at <paramref name="userBuffer"/>.
    /// Meant to return <paramref name="length"/> or -errno.
    /// </summary>
    public long Read(ulong userBuffer, int length, long offset)
    {
        var bad = CheckAlignment(userBuffer, length, offset);
        if (bad != 0)
        {
            return bad;
        }

        var nrPages = length / Page.Size;
        var pages = new Page[nrPages];
        long rv = Gup.PinUserPagesFast(userBuffer, nrPages, FollFlags.Write, pages);
        if (rv != nrPages)
        {
            goto ErrGetUserPages;
        }

        for (var i = 0; i < nrPages; i++)
        {
            disk.ReadPage(offset + ((long)i * Page.Size), pages[i].Data);
        }

        // BUG (FL4006): left over from get_user_pages_fast; put_page does not drop a FOLL_PIN pin.
        for (var i = 0; i < nrPages; i++)
        {
            Gup.PutPage(pages[i]);
        }

        return length;

    ErrGetUserPages:
        // BUG (FL4005): kpc2000's error label freed only the page array. The rv pages already pinned
        // are leaked, and a positive rv goes back as the "error".
        return rv;
    }

    /// <summary>
    /// write(2): the user buffer at <paramref name="userBuffer"/> to the disk at <paramref name="offset"/>.
    /// Meant to return <paramref name="length"/> or -errno.
    /// </summary>
    public long Write(ulong userBuffer, int length, long offset)
    {
        var bad = CheckAlignment(userBuffer, length, offset);
        if (bad != 0)
        {
            return bad;
        }

        var nrPages = length / Page.Size;
        var pages = new Page[nrPages];
        var rv = Gup.PinUserPagesFast(userBuffer, nrPages, FollFlags.None, pages);
        if (rv < 0)
        {
            return rv;
        }

        // BUG (FL1003): rv may be short of nrPages; pages[rv..] were never filled (in C: stale or NULL
        // struct page pointers handed to the device).
        for (var i = 0; i < nrPages; i++)
        {
            disk.WritePage(offset + ((long)i * Page.Size), pages[i].Data);
        }

        Gup.UnpinUserPages(pages, rv);
        return length;
    }

    /// <summary>O_DIRECT wants page-aligned buffers, lengths and offsets inside the disk: 0, or -EINVAL.</summary>
    private long CheckAlignment(ulong userBuffer, int length, long offset)
    {
        const int mask = Page.Size - 1;
        if ((userBuffer & mask) != 0 || length <= 0 || (length & mask) != 0 || offset < 0 || (offset & mask) != 0
            || offset + length > disk.Size)
        {
            return -Errno.EINVAL;
        }

        return 0;
    }
}
