namespace FaultLine.Samples.UffdResolver;

/// <summary>
/// A userfaultfd resolver in the style of CRIU's lazy-pages daemon (criu/uffd.c), ported into the
/// model: a restored process's memory is registered with a userfaultfd; the page server sends page
/// contents in the background (<see cref="Receive"/>); a page is placed with UFFDIO_COPY once someone
/// needs it: a userfault read from the userfaultfd, or an explicit <see cref="RequestPage"/>. Every
/// placed page is marked in a bitmap and announced on <see cref="ResolvedWq"/>, the "page resolved"
/// wait queue that <c>PageWaiter</c> sleeps on.
/// </summary>
public sealed class LazyPagesDaemon
{
    private readonly MmStruct mm;
    private readonly Userfaultfd uffd;
    private readonly KMutex lpiLock = new("lpi_lock");
    // Guarded by lpiLock: what the page server sent and what somebody asked for.
    private readonly byte[]?[] received;
    private readonly bool[] requested;
    // The "resolved" bitmap: set under lpiLock, read locklessly (test_bit) by waiters.
    private readonly int[] resolved;
    private int placed;

    /// <summary>
    /// A daemon for the <paramref name="pages"/> pages at <paramref name="start"/> in <paramref name="mm"/>,
    /// which must be registered with <paramref name="uffd"/> in MISSING mode.
    /// </summary>
    public LazyPagesDaemon(MmStruct mm, Userfaultfd uffd, ulong start, int pages)
    {
        this.mm = mm;
        this.uffd = uffd;
        Start = start;
        received = new byte[pages][];
        requested = new bool[pages];
        resolved = new int[pages];
    }

    /// <summary>The first address served.</summary>
    public ulong Start { get; }

    /// <summary>The number of pages served.</summary>
    public int Pages => resolved.Length;

    /// <summary>"Page resolved": woken (all waiters) every time a page is placed.</summary>
    public WaitQueueHead ResolvedWq { get; } = new() { Name = "page_resolved" };

    /// <summary>The pages placed with UFFDIO_COPY so far.</summary>
    public int Placed => Volatile.Read(ref placed);

    /// <summary>Starts the daemon's fault loop as a task: read a userfault, request its page, repeat, until the userfaultfd is closed.</summary>
    public KernelTask StartResolver() => KernelTask.Start("lazy-pages", mm, Run);

    /// <summary>Whether the page at <paramref name="address"/> is in place (test_bit on the resolved bitmap; never sleeps).</summary>
    public bool IsResolved(ulong address) => Volatile.Read(ref resolved[IndexOf(address)]) != 0;

    /// <summary>
    /// The page server sent the contents of the page at <paramref name="address"/>. If somebody already
    /// asked for it, it is placed now; otherwise it waits in the receive buffer until it is asked for.
    /// </summary>
    [MaySleep]
    public void Receive(ulong address, byte[] contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        if (contents.Length != Page.Size)
        {
            throw new ArgumentException("a page's contents must be exactly one page", nameof(contents));
        }

        var index = IndexOf(address);
        lpiLock.Lock();
        received[index] = contents;
        if (requested[index])
        {
            PlaceLocked(index);
        }

        lpiLock.Unlock();
    }

    /// <summary>
    /// Asks for the page at <paramref name="address"/>: placed right here when its contents are already in
    /// the receive buffer, otherwise as soon as they arrive. Takes the daemon's mutex, so it may sleep.
    /// </summary>
    [MaySleep]
    public void RequestPage(ulong address)
    {
        var index = IndexOf(address);
        lpiLock.Lock();
        requested[index] = true;
        if (received[index] is not null)
        {
            PlaceLocked(index);
        }

        lpiLock.Unlock();
    }

    private void Run()
    {
        for (;;)
        {
            var msg = uffd.Read();
            if (msg.IsError)
            {
                // -EBADF: the userfaultfd was closed, restore is over; -ERESTARTSYS: told to stop.
                return;
            }

            RequestPage(msg.Address);
        }
    }

    /// <summary>UFFDIO_COPY, then mark the page resolved and wake its waiters: the condition changes before the wake_up (rule 42).</summary>
    private void PlaceLocked(int index)
    {
        if (Volatile.Read(ref resolved[index]) != 0)
        {
            return;
        }

        var address = Start + ((ulong)index << Page.Shift);
        var ret = uffd.Copy(address, received[index]!);
        if (ret < 0 && ret != -Errno.EEXIST)
        {
            // -EBADF: the userfaultfd is closed (restore is over or aborted); nothing can be placed.
            return;
        }

        Volatile.Write(ref resolved[index], 1);
        Interlocked.Increment(ref placed);
        ResolvedWq.WakeUpAll();
    }

    private int IndexOf(ulong address)
    {
        if (address < Start || address - Start >= (ulong)resolved.Length * Page.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x} is not served by this daemon");
        }

        return (int)((address - Start) >> Page.Shift);
    }
}
