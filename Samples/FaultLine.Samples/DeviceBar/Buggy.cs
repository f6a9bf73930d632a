namespace FaultLine.Samples.DeviceBar.Buggy;

/// <summary>
/// The fault handler of a vfio-pci BAR mmap (vfio_pci_mmap_fault) that needs the device's memory_lock,
/// written to dodge the ABBA deadlock with the reset path (SEMANTICS.md case 9) but without looking at
/// the fault flags:
/// <list type="bullet">
/// <item>FL2001: on contention it sleeps on memory_lock (an uninterruptible <see cref="RwSemaphore.DownRead"/>)
/// even when called with <see cref="FaultFlags.RetryNowait"/>, whose caller must not be put to sleep;</item>
/// <item>FL2004: it releases the mmap lock under <see cref="FaultFlags.RetryNowait"/> too, where the caller
/// expects Retry to come back with the lock still held (rule 30), so the caller's unlock is then a
/// double unlock;</item>
/// <item>FL2002: it returns <see cref="VmFaultResult.Retry"/> without checking <see cref="FaultFlags.AllowRetry"/>,
/// to callers such as hmm_range_fault that cannot retry (Jason Gunthorpe's objection in the review).</item>
/// </list>
/// The uninterruptible wait in a fault handler is also FL2005's "prefer a killable lock" (info).
/// Under a plain user access or fixup_user_fault with <c>unlocked</c> (AllowRetry, no RetryNowait) it
/// happens to be right, which is why it survives testing.
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
    /// while memory decoding is off, or <see cref="VmFaultResult.Retry"/> after waiting out a reset.
    /// </summary>
    public override VmFaultResult Fault(VmFault vmf)
    {
        ArgumentNullException.ThrowIfNull(vmf);
        var mm = vmf.Vma.Mm;
        if (!device.MemoryLock.DownReadTrylock())
        {
            // A reset holds memory_lock and wants mmap_lock to zap us: let go of mmap_lock, wait for
            // the reset to finish, and have the fault retried.
            // BUG: whatever the flags say. Under RetryNowait this drops a lock the caller will unlock
            // again (FL2004) and sleeps (FL2001); without AllowRetry the caller cannot retry (FL2002).
            mm.MmapReadUnlock();
            device.MemoryLock.DownRead();
            device.MemoryLock.UpRead();
            return VmFaultResult.Retry;
        }

        VmFaultResult ret;
        if (!device.MemoryEnabled)
        {
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
