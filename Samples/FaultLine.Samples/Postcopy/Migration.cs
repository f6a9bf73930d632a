namespace FaultLine.Samples.Postcopy;

/// <summary>
/// Guest RAM on the destination host of a postcopy live migration (QEMU's RAMBlock after
/// postcopy_ram_incoming_setup): anonymous memory whose pages are all missing until the source sends
/// them, registered with a userfaultfd in MISSING mode so that every first touch waits for the page.
/// One memslot maps guest physical address 0 to <see cref="Hva"/>.
/// </summary>
public sealed class GuestRam
{
    /// <summary>Maps <paramref name="pages"/> pages at <paramref name="hva"/> in a new mm and registers them with a new userfaultfd.</summary>
    public GuestRam(ulong hva, int pages)
    {
        Hva = hva;
        Pages = pages;
        Mm = new MmStruct();
        Mm.Mmap(hva, Size, VmFlags.Read | VmFlags.Write, ops: null);
        Uffd = Userfaultfd.Create(Mm);
        var ret = Uffd.Register(hva, Size, UffdRegisterMode.Missing);
        if (ret != 0)
        {
            throw new InvalidOperationException($"UFFDIO_REGISTER failed: {Errno.Name(ret)}");
        }
    }

    /// <summary>The QEMU process's address space, which holds guest RAM.</summary>
    public MmStruct Mm { get; }

    /// <summary>The userfaultfd that reports missing guest pages to the postcopy fault thread.</summary>
    public Userfaultfd Uffd { get; }

    /// <summary>Where guest RAM starts in the QEMU process (the memslot's userspace_addr).</summary>
    public ulong Hva { get; }

    /// <summary>The number of guest pages.</summary>
    public int Pages { get; }

    /// <summary>The size of guest RAM in bytes.</summary>
    public ulong Size => (ulong)Pages * Page.Size;

    /// <summary>__gfn_to_hva_memslot: the host virtual address behind guest physical address <paramref name="gpa"/>.</summary>
    public ulong GpaToHva(ulong gpa)
    {
        if (gpa >= Size)
        {
            throw new ArgumentOutOfRangeException(nameof(gpa), $"gpa 0x{gpa:x} is outside the memslot");
        }

        return Hva + gpa;
    }
}

/// <summary>
/// The migration source as the destination sees it: a page request goes back over the return path
/// (postcopy_request_page / migrate_send_rp_req_pages) and, while the network is up, the page comes
/// straight back and is placed with UFFDIO_COPY (ram_load_postcopy → postcopy_place_page), which wakes
/// the faulting vCPU. While the network is down, requests are recorded and nothing ever comes back.
/// </summary>
public sealed class SourceHost
{
    private readonly GuestRam ram;
    private readonly object gate = new();
    private readonly List<ulong> requested = new();
    private volatile bool networkUp;

    /// <summary>A source for <paramref name="ram"/>, reachable or not.</summary>
    public SourceHost(GuestRam ram, bool networkUp)
    {
        this.ram = ram;
        this.networkUp = networkUp;
    }

    /// <summary>Whether page requests reach the source (and pages come back).</summary>
    public bool NetworkUp
    {
        get => networkUp;
        set => networkUp = value;
    }

    /// <summary>The page addresses requested so far, in order.</summary>
    public IReadOnlyList<ulong> Requested
    {
        get
        {
            lock (gate)
            {
                return requested.ToArray();
            }
        }
    }

    /// <summary>What the source's RAM holds for the page at <paramref name="hva"/>: a pattern derived from the address.</summary>
    public static byte[] ContentsOf(ulong hva)
    {
        var data = new byte[Page.Size];
        var seed = (byte)((hva >> Page.Shift) * 37 + 11);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(seed + i);
        }

        return data;
    }

    /// <summary>
    /// Asks the source for the page containing <paramref name="hva"/>. Returns the UFFDIO_COPY result
    /// (bytes placed, or -EEXIST when another request already placed it), or 0 when the network is
    /// down and the request was lost.
    /// </summary>
    public int RequestPage(ulong hva)
    {
        var page = hva & ~(ulong)(Page.Size - 1);
        lock (gate)
        {
            requested.Add(page);
        }

        if (!networkUp)
        {
            return 0;
        }

        return ram.Uffd.Copy(page, ContentsOf(page));
    }
}

/// <summary>
/// QEMU's postcopy_ram_fault_thread, the userfaultfd resolver of this scenario: it reads each
/// userfault (a vCPU waiting in handle_userfault) and asks the source for the page. It stops when the
/// userfaultfd is closed at the end of migration (-EBADF) or when it is signalled (-ERESTARTSYS).
/// </summary>
public sealed class PostcopyFaultThread
{
    private readonly GuestRam ram;
    private readonly SourceHost source;
    private int faults;

    /// <summary>A fault thread for <paramref name="ram"/> that asks <paramref name="source"/>.</summary>
    public PostcopyFaultThread(GuestRam ram, SourceHost source)
    {
        this.ram = ram;
        this.source = source;
    }

    /// <summary>
    /// Raised on the fault thread after each userfault's page was requested from the source, where QEMU
    /// has its trace_postcopy_ram_fault_thread_request tracepoint: a way to watch the migration.
    /// </summary>
    public event Action<PageRequest>? PageRequested;

    /// <summary>The userfaults read so far.</summary>
    public int Faults => Volatile.Read(ref faults);

    /// <summary>Starts the thread as a task in the QEMU process.</summary>
    public KernelTask Start() => KernelTask.Start("postcopy/fault", ram.Mm, Run);

    private void Run()
    {
        for (;;)
        {
            var msg = ram.Uffd.Read();
            if (msg.IsError)
            {
                return;
            }

            Interlocked.Increment(ref faults);
            var result = source.RequestPage(msg.Address);
            PageRequested?.Invoke(new PageRequest(msg.Address, msg.Write, result));
        }
    }
}

/// <summary>
/// One userfault the fault thread served: the faulting address, whether the access was a write, and
/// what asking the source gave (<see cref="SourceHost.RequestPage"/>: bytes placed, -EEXIST, or 0 when
/// the request was lost because the network is down).
/// </summary>
public readonly record struct PageRequest(ulong Address, bool Write, int Result)
{
    /// <summary>Whether the request was lost and the page will not arrive.</summary>
    public bool Lost => Result == 0;
}

/// <summary>
/// The destination side of one incoming postcopy migration (QEMU's MigrationIncomingState after
/// postcopy_ram_incoming_setup): guest RAM registered with userfaultfd, the source as seen over the
/// return path, and the fault thread already running.
/// </summary>
public sealed class IncomingMigration
{
    private bool finished;

    /// <summary>Sets up <paramref name="pages"/> pages of guest RAM at <paramref name="hva"/> and starts the fault thread.</summary>
    public IncomingMigration(ulong hva, int pages, bool networkUp)
    {
        Ram = new GuestRam(hva, pages);
        Source = new SourceHost(Ram, networkUp);
        FaultThread = new PostcopyFaultThread(Ram, Source);
        FaultTask = FaultThread.Start();
    }

    /// <summary>Guest RAM, whose pages arrive on demand.</summary>
    public GuestRam Ram { get; }

    /// <summary>The migration source.</summary>
    public SourceHost Source { get; }

    /// <summary>The userfaultfd resolver.</summary>
    public PostcopyFaultThread FaultThread { get; }

    /// <summary>The task the fault thread runs as.</summary>
    public KernelTask FaultTask { get; }

    /// <summary>
    /// postcopy_ram_incoming_cleanup: closes the userfaultfd, which ends the fault thread's read with
    /// -EBADF, and waits up to <paramref name="timeout"/> for the thread to leave. Returns whether it did;
    /// a second call only waits again.
    /// </summary>
    public bool Finish(TimeSpan timeout)
    {
        if (!finished)
        {
            finished = true;
            Ram.Uffd.Release();
        }

        return FaultTask.Join(timeout);
    }
}

/// <summary>Why KVM_RUN returned to userspace (struct kvm_run's exit_reason), for the exits of this scenario.</summary>
public enum KvmExitReason
{
    /// <summary>Still running the guest (no exit yet).</summary>
    None,

    /// <summary>KVM_EXIT_INTR: a signal is pending; KVM_RUN returned -EINTR so userspace can handle it (QEMU's vm_stop kick).</summary>
    Intr,

    /// <summary>KVM_EXIT_MEMORY_FAULT: the guest touched memory KVM could not fault in; KVM_RUN returned -EFAULT.</summary>
    MemoryFault,
}
