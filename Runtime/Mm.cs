namespace FaultLine;

/// <summary>
/// A page-table entry: the page mapped at an address and whether it is mapped writable. Immutable, so
/// that one reference is the whole entry (see <see cref="PteTable"/>); change it with <c>with</c>.
/// </summary>
internal sealed record Pte(Page Page, bool Writable);

/// <summary>
/// struct mm_struct: an address space with its VMAs, its page table and its mmap lock.
/// Simplifications (they change no rule's outcome): two levels of page table (a hash of 2 MiB PTE
/// tables, see <see cref="FaultLine.PageTable"/>), no per-VMA locks, no huge pages, no NUMA, no munmap,
/// so the lockless fast GUP never races with an unmap (only with a fault that fills an entry).
/// </summary>
public sealed class MmStruct
{
    private readonly SortedList<ulong, VmAreaStruct> vmas = new();

    /// <summary>mm_alloc(): an empty address space.</summary>
    public MmStruct()
    {
        MmapLock = new RwSemaphore("mmap_lock");
    }

    /// <summary>mm->mmap_lock: the reader-writer semaphore that protects the VMAs.</summary>
    public RwSemaphore MmapLock { get; }

    /// <summary>The VMAs, in address order (a snapshot).</summary>
    public IReadOnlyList<VmAreaStruct> Vmas
    {
        get
        {
            lock (vmas)
            {
                return vmas.Values.ToArray();
            }
        }
    }

    /// <summary>The page table; read locklessly by the fast GUP path, written under the mmap lock.</summary>
    internal PageTable PageTable { get; } = new();

    /// <summary>mmap_read_lock().</summary>
    [MaySleep]
    public void MmapReadLock() => MmapLock.DownRead();

    /// <summary>mmap_read_unlock().</summary>
    public void MmapReadUnlock() => MmapLock.UpRead();

    /// <summary>mmap_read_lock_killable(): 0, or -EINTR when a fatal signal is pending.</summary>
    [MaySleep]
    public int MmapReadLockKillable() => MmapLock.DownReadKillable();

    /// <summary>mmap_read_trylock(): true if taken at once.</summary>
    public bool MmapReadTrylock() => MmapLock.DownReadTrylock();

    /// <summary>mmap_write_lock().</summary>
    [MaySleep]
    public void MmapWriteLock() => MmapLock.DownWrite();

    /// <summary>mmap_write_unlock().</summary>
    public void MmapWriteUnlock() => MmapLock.UpWrite();

    /// <summary>
    /// find_vma(mm, addr): the first VMA that ends above <paramref name="addr"/>, which may start above
    /// it (test <c>vma.Start &lt;= addr</c>, or use <see cref="VmaLookup"/>). The caller must hold the
    /// mmap lock (reported as FL4002 if not). Null when no VMA ends above it.
    /// </summary>
    public VmAreaStruct? FindVma(ulong addr)
    {
        KernelDebug.LockdepAssertHeld(MmapLock);
        return FindVmaLocked(addr);
    }

    /// <summary>vma_lookup(mm, addr): the VMA that contains <paramref name="addr"/>, or null. Needs the mmap lock.</summary>
    public VmAreaStruct? VmaLookup(ulong addr)
    {
        var vma = FindVma(addr);
        return vma is not null && vma.Start <= addr ? vma : null;
    }

    /// <summary>
    /// vm_mmap(): maps [<paramref name="start"/>, start + length) with <paramref name="flags"/>, taking
    /// the mmap write lock itself. With <paramref name="ops"/> null the memory is anonymous and filled
    /// with zeroed pages on first touch; otherwise faults call <paramref name="ops"/>. Length is rounded
    /// up to whole pages. Throws <see cref="ArgumentException"/> (the kernel's -EINVAL or -EEXIST) for an
    /// unaligned start, an empty or wrapping range, or an overlap, and
    /// <see cref="KernelBugException"/> when the caller already holds the mmap lock (it would deadlock).
    /// </summary>
    [MaySleep]
    public VmAreaStruct Mmap(ulong start, ulong length, VmFlags flags, VmOperations? ops)
    {
        if ((start & (Page.Size - 1)) != 0)
        {
            throw new ArgumentException($"-EINVAL: start 0x{start:x} is not page aligned", nameof(start));
        }

        if (length == 0)
        {
            throw new ArgumentException("-EINVAL: length is 0", nameof(length));
        }

        var aligned = (length + Page.Size - 1) & ~(ulong)(Page.Size - 1);
        if (aligned < length || start + aligned < start)
        {
            throw new ArgumentException("-EINVAL: the range wraps around the address space", nameof(length));
        }

        if (MmapLock.IsHeldByCurrent)
        {
            throw new KernelBugException("mmap: the caller already holds mmap_lock; vm_mmap takes it for write itself");
        }

        MmapWriteLock();
        try
        {
            var end = start + aligned;
            lock (vmas)
            {
                foreach (var v in vmas.Values)
                {
                    if (v.Start < end && start < v.End)
                    {
                        throw new ArgumentException(
                            $"-EEXIST: [0x{start:x}, 0x{end:x}) overlaps the mapping [0x{v.Start:x}, 0x{v.End:x})", nameof(start));
                    }
                }

                var vma = new VmAreaStruct(this, start, end, flags, ops);
                vmas.Add(start, vma);
                return vma;
            }
        }
        finally
        {
            MmapWriteUnlock();
        }
    }

    /// <summary>find_vma without the lockdep check, for paths that already asserted it.</summary>
    internal VmAreaStruct? FindVmaLocked(ulong addr)
    {
        lock (vmas)
        {
            foreach (var v in vmas.Values)
            {
                if (v.End > addr)
                {
                    return v;
                }
            }

            return null;
        }
    }

    internal Pte? LookupPte(ulong address) => PageTable.Lookup(address);

    internal void SetPte(ulong address, Pte pte) => PageTable.Set(address, pte);

    /// <summary>The page mapped at <paramref name="address"/>, or null (a lockless peek, for tests and resolvers).</summary>
    internal Page? PageAt(ulong address) => LookupPte(address)?.Page;
}

/// <summary>struct vm_area_struct: one mapping of an <see cref="MmStruct"/>.</summary>
public sealed class VmAreaStruct
{
    internal VmAreaStruct(MmStruct mm, ulong start, ulong end, VmFlags flags, VmOperations? ops)
    {
        Mm = mm;
        Start = start;
        End = end;
        this.flags = flags;
        Ops = ops;
    }

    private VmFlags flags;

    /// <summary>vm_start: the first address.</summary>
    public ulong Start { get; }

    /// <summary>vm_end: one past the last address.</summary>
    public ulong End { get; }

    /// <summary>vm_flags.</summary>
    public VmFlags Flags => flags;

    /// <summary>vm_ops: the fault handlers, or null for anonymous memory.</summary>
    public VmOperations? Ops { get; }

    /// <summary>vm_mm: the address space.</summary>
    public MmStruct Mm { get; }

    /// <summary>The userfaultfd context registered on this VMA (vm_userfaultfd_ctx), if any.</summary>
    internal Userfaultfd? Uffd { get; set; }

    /// <summary>Whether <paramref name="address"/> lies in [Start, End).</summary>
    public bool Contains(ulong address) => address >= Start && address < End;

    /// <inheritdoc />
    public override string ToString() => $"vma [0x{Start:x}, 0x{End:x}) {Flags}";

    internal void SetFlags(VmFlags value) => flags = value;
}

/// <summary>
/// struct vm_operations_struct: what a driver or file system supplies for its mappings. This is what
/// "a fault handler" means to the FL2xxx analyzers. The return contract is SEMANTICS.md rule 34:
/// to block, drop the lock and return Retry only with AllowRetry and without RetryNowait; under
/// RetryNowait return Retry without sleeping and with the lock held; without AllowRetry block with the
/// lock held or return Sigbus.
/// </summary>
public abstract class VmOperations
{
    /// <summary>->fault(): provide the page for <paramref name="vmf"/> (set <see cref="VmFault.Page"/> and return None).</summary>
    public abstract VmFaultResult Fault(VmFault vmf);

    /// <summary>->page_mkwrite(): a read-only page of a shared mapping is about to become writable. None allows it.</summary>
    public virtual VmFaultResult PageMkwrite(VmFault vmf) => VmFaultResult.None;
}

/// <summary>struct vm_fault: what a fault handler is told, and where it puts its answer.</summary>
public sealed class VmFault
{
    internal VmFault(VmAreaStruct vma, ulong address, FaultFlags flags)
    {
        Vma = vma;
        Address = address;
        Flags = flags;
    }

    /// <summary>The faulting VMA. Do not touch it after releasing the mmap lock (rule 34).</summary>
    public VmAreaStruct Vma { get; }

    /// <summary>The faulting address, page aligned.</summary>
    public ulong Address { get; }

    /// <summary>The page offset within the mapping (vmf->pgoff).</summary>
    public ulong Pgoff => (Address - Vma.Start) >> Page.Shift;

    /// <summary>The FAULT_FLAG_* the fault was raised with.</summary>
    public FaultFlags Flags { get; internal set; }

    /// <summary>The page the handler provides (vmf->page).</summary>
    public Page? Page { get; set; }

    /// <summary>
    /// vmf_insert_page(): maps <paramref name="page"/> at the faulting address now; return
    /// <see cref="VmFaultResult.Nopage"/> afterwards. Needs the mmap lock (the fault holds it).
    /// </summary>
    public VmFaultResult InsertPage(Page page)
    {
        ArgumentNullException.ThrowIfNull(page);
        Vma.Mm.SetPte(Address, new Pte(page, (Vma.Flags & VmFlags.Write) != 0));
        return VmFaultResult.Nopage;
    }
}
