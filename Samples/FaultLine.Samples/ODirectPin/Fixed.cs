namespace FaultLine.Samples.ODirectPin.Fixed;

/// <summary>
/// O_DIRECT reads and writes on a <see cref="RamDisk"/>: the device transfers straight to or from the
/// caller's own pages, pinned with <see cref="Gup.PinUserPagesFast"/> for the length of the I/O (the
/// shape of iov_iter_extract_pages + bio_release_pages). Partial counts are handled as the kpc2000 fix
/// did (Souptick Joarder, "staging: kpc2000: kpc_dma: Unpin partial pinned pages", SEMANTICS.md case
/// 21): a short pin releases exactly the pages it got and fails with -EFAULT (rule 20), and pinned
/// pages go back with <see cref="Gup.UnpinUserPages"/>, never <see cref="Gup.PutPage"/> (rule 26).
/// Runs on the task whose buffer it is (the fast forms use the current task's mm).
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
    /// Returns <paramref name="length"/>, or -EINVAL (not page aligned, past the end of the disk), -EFAULT
    /// (part of the buffer is not mapped) or another GUP error. All or nothing: no page stays pinned.
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

        // The device writes into the buffer: FOLL_WRITE. FOLL_PIN comes with the pin_ form, because
        // these pages are DMA targets and must be told apart from plain references.
        var ret = Gup.PinUserPagesFast(userBuffer, nrPages, FollFlags.Write, pages);
        if (ret < 0)
        {
            return ret;
        }

        if (ret != nrPages)
        {
            // GUP returns the pages it took, possibly fewer than asked (rule 20); we own exactly those.
            Gup.UnpinUserPages(pages, ret);
            return -Errno.EFAULT;
        }

        for (var i = 0; i < nrPages; i++)
        {
            disk.ReadPage(offset + ((long)i * Page.Size), pages[i].Data);
        }

        // bio_release_pages → unpin_user_pages_dirty_lock: the release that matches pin_user_pages.
        Gup.UnpinUserPages(pages, nrPages);
        return length;
    }

    /// <summary>
    /// write(2): the user buffer at <paramref name="userBuffer"/> to the disk at <paramref name="offset"/>.
    /// Returns <paramref name="length"/>, or -EINVAL, -EFAULT or another GUP error; on error the disk is
    /// untouched and no page stays pinned.
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

        // The device only reads the buffer: no FOLL_WRITE.
        var ret = Gup.PinUserPagesFast(userBuffer, nrPages, FollFlags.None, pages);
        if (ret < 0)
        {
            return ret;
        }

        if (ret != nrPages)
        {
            Gup.UnpinUserPages(pages, ret);
            return -Errno.EFAULT;
        }

        for (var i = 0; i < nrPages; i++)
        {
            disk.WritePage(offset + ((long)i * Page.Size), pages[i].Data);
        }

        Gup.UnpinUserPages(pages, nrPages);
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
