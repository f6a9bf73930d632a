namespace FaultLine.Samples.DeviceBar.Fixed;

/// <summary>
/// The fault handler of a vfio-pci BAR mmap (vfio_pci_mmap_fault) that needs the device's memory_lock,
/// following rule 34 the way Alex Williamson's v5.8 draft did (SEMANTICS.md case 9): memory_lock is
/// only ever trylocked with mmap_lock held, and on contention the handler picks the one legal move for
/// the flags it was called with:
/// <list type="bullet">
/// <item><see cref="FaultFlags.RetryNowait"/> → <see cref="VmFaultResult.Retry"/> at once, mmap_lock still held, no sleep;</item>
/// <item><see cref="FaultFlags.AllowRetry"/> → drop mmap_lock, wait killably for the reset to finish, <see cref="VmFaultResult.Retry"/>;</item>
/// <item>neither (hmm_range_fault-style callers, Jason Gunthorpe's objection) → <see cref="VmFaultResult.Sigbus"/>,
/// because blocking on memory_lock with mmap_lock held is the ABBA deadlock with the reset path.</item>
/// </list>
/// </summary>
public sealed class VfioPciMmapOps : VmOperations
{
    private readonly VfioPciDevice device;

    /// <summary>Fault handling for the BAR mappings of <paramref name="device"/>.</summary>
    public VfioPciMmapOps(VfioPciDevice device)
    {
        this.device = device;
    }

    /// <summary>
    /// vfio_pci_mmap_fault: maps the BAR page (<see cref="VmFaultResult.Nopage"/>), <see cref="VmFaultResult.Sigbus"/>
    /// while memory decoding is off, or <see cref="VmFaultResult.Retry"/> as described on the type.
    /// </summary>
    public override VmFaultResult Fault(VmFault vmf)
    {
        ArgumentNullException.ThrowIfNull(vmf);
        var flags = vmf.Flags;
        if (!device.MemoryLock.DownReadTrylock())
        {
            // A reset holds memory_lock for write and may be waiting for our mmap_lock to zap this
            // mapping: never sleep on memory_lock here with mmap_lock held.
            if ((flags & FaultFlags.RetryNowait) != 0)
            {
                // The caller (GUP with FOLL_NOWAIT, KVM's async page fault) wants neither a sleep nor
                // the mmap lock dropped: say "retry" and keep it (rules 30, 34).
                return VmFaultResult.Retry;
            }

            if ((flags & FaultFlags.AllowRetry) != 0)
            {
                // Take what we need from the VMA before the lock goes: after MmapReadUnlock the VMA may
                // be gone (rule 29, case 17).
                var mm = vmf.Vma.Mm;
                mm.MmapReadUnlock();

                // Wait for the reset to end without keeping memory_lock: the retried fault takes it
                // again. Killable, so a reset that hangs cannot make the task unkillable; on SIGKILL
                // the fault path sees the signal after Retry and gives up.
                if (device.MemoryLock.DownReadKillable() == 0)
                {
                    device.MemoryLock.UpRead();
                }

                return VmFaultResult.Retry;
            }

            // No retry possible and no blocking allowed: the access fails, as in the v5.8 draft.
            return VmFaultResult.Sigbus;
        }

        VmFaultResult ret;
        if (!device.MemoryEnabled)
        {
            // PCI_COMMAND_MEMORY is off: an access would be a master abort; SIGBUS is the honest answer.
            ret = VmFaultResult.Sigbus;
        }
        else
        {
            ret = vmf.InsertPage(device.BarPage(vmf.Pgoff));
        }

        device.MemoryLock.UpRead();
        return ret;
    }
}
