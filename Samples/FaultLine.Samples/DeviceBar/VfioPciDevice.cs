namespace FaultLine.Samples.DeviceBar;

/// <summary>
/// A PCI device assigned to userspace with vfio-pci, reduced to what its BAR mmap needs: the pages of
/// BAR0, the memory-enable bit of PCI_COMMAND, and <see cref="MemoryLock"/>, the rw_semaphore that
/// vfio-pci (since v5.8, "vfio-pci: Invalidate mmaps and block MMIO access on disabled memory",
/// SEMANTICS.md case 9) holds for write while memory is disabled or the device is reset, and for read
/// while the BAR is touched. The write side also zaps the BAR's user mappings, which needs the mmap lock
/// of each mm that maps it: memory_lock nests outside mmap_lock, so a fault handler (called with
/// mmap_lock held) must never block on memory_lock.
/// </summary>
public sealed class VfioPciDevice
{
    private readonly Page[] bar;
    private volatile bool memoryEnabled = true;

    /// <summary>A device whose BAR0 is <paramref name="barPages"/> pages of device memory.</summary>
    public VfioPciDevice(int barPages)
    {
        bar = new Page[barPages];
        for (var i = 0; i < barPages; i++)
        {
            bar[i] = new Page();
            // A recognisable "register file" per page, so a test can tell the BAR was really mapped.
            Array.Fill(bar[i].Data, (byte)(0xB0 + i));
        }
    }

    /// <summary>vdev->memory_lock: write-held across a reset or a memory-disable, read-held to touch the BAR.</summary>
    public RwSemaphore MemoryLock { get; } = new("memory_lock");

    /// <summary>The number of pages in BAR0.</summary>
    public int BarPages => bar.Length;

    /// <summary>BAR0's size in bytes.</summary>
    public ulong BarSize => (ulong)bar.Length * Page.Size;

    /// <summary>PCI_COMMAND_MEMORY: whether the device decodes its BARs (false during a reset).</summary>
    public bool MemoryEnabled => memoryEnabled;

    /// <summary>The page of device memory at offset <paramref name="pgoff"/> in BAR0 (the pfn remap_pfn_range would map).</summary>
    public Page BarPage(ulong pgoff)
    {
        if (pgoff >= (ulong)bar.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(pgoff), $"page {pgoff} is outside BAR0");
        }

        return bar[pgoff];
    }

    /// <summary>
    /// vfio_pci_mmap of BAR0 at <paramref name="address"/> in <paramref name="mm"/>: a shared
    /// VM_IO | VM_PFNMAP mapping whose pages come from <paramref name="ops"/>' fault handler. GUP refuses
    /// such mappings (rule 13); they are faulted through fixup_user_fault (KVM's hva_to_pfn_remapped),
    /// user accesses, or handle_mm_fault callers such as hmm_range_fault.
    /// </summary>
    public VmAreaStruct MmapBar(MmStruct mm, ulong address, VmOperations ops)
    {
        ArgumentNullException.ThrowIfNull(mm);
        return mm.Mmap(address, BarSize, VmFlags.Read | VmFlags.Write | VmFlags.Shared | VmFlags.Io | VmFlags.Pfnmap, ops);
    }

    /// <summary>
    /// A function-level reset (vfio_pci_ioctl_reset): memory_lock is held for write for the whole reset
    /// and memory decoding is off meanwhile; <paramref name="duringReset"/> runs in the middle and stands
    /// for the time the device takes. (Zapping the user mappings is not modelled: the model has no
    /// munmap of page-table entries.)
    /// </summary>
    public void Reset(Action duringReset)
    {
        ArgumentNullException.ThrowIfNull(duringReset);
        MemoryLock.DownWrite();
        memoryEnabled = false;
        try
        {
            duringReset();
        }
        finally
        {
            memoryEnabled = true;
            MemoryLock.UpWrite();
        }
    }
}
