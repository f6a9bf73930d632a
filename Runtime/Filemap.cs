namespace FaultLine;

/// <summary>mm/filemap.c: taking a page lock from inside a fault handler.</summary>
public static class Filemap
{
    /// <summary>
    /// folio_lock_or_retry(page, vmf) (rule 32). Returns None with the page locked, or Retry without it:
    /// <list type="bullet">
    /// <item>the trylock succeeds → None;</item>
    /// <item>first attempt (AllowRetry, not Tried) with RetryNowait → Retry at once, the mmap lock still held, no sleep;</item>
    /// <item>first attempt otherwise → release the mmap lock, wait (killably if Killable) for the page to be unlocked, Retry;</item>
    /// <item>a later attempt with Killable → lock killably; on SIGKILL release the mmap lock and Retry;</item>
    /// <item>otherwise → lock uninterruptibly, None, the mmap lock untouched.</item>
    /// </list>
    /// FAULT_FLAG_INTERRUPTIBLE is ignored, as in the kernel.
    /// </summary>
    [MaySleep]
    public static VmFaultResult LockPageOrRetry(Page page, VmFault vmf)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(vmf);
        SleepChecks.MightSleep("folio_lock_or_retry", blockingPrimitive: false);
        if (page.TryLock())
        {
            return VmFaultResult.None;
        }

        var flags = vmf.Flags;
        var mm = vmf.Vma.Mm;
        if (MmFault.FaultFlagAllowRetryFirst(flags))
        {
            // CAUTION: under RetryNowait the mmap lock is still held on the way out.
            if ((flags & FaultFlags.RetryNowait) != 0)
            {
                return VmFaultResult.Retry;
            }

            mm.MmapReadUnlock();
            page.WaitUnlocked(killable: (flags & FaultFlags.Killable) != 0);
            return VmFaultResult.Retry;
        }

        if ((flags & FaultFlags.Killable) != 0)
        {
            if (page.LockKillableCore() != 0)
            {
                mm.MmapReadUnlock();
                return VmFaultResult.Retry;
            }

            return VmFaultResult.None;
        }

        page.LockCore();
        return VmFaultResult.None;
    }
}
