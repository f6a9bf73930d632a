namespace FaultLine;

/// <summary>
/// copy_from_user / copy_to_user on the current task's mm. A missing page raises a kernel-mode page
/// fault handled by the arch loop of rule 31 (x86 do_user_addr_fault): FAULT_FLAG_DEFAULT, retried with
/// Tried after every VM_FAULT_RETRY with no limit, and abandoned (the exception-table fixup) only when
/// fault_signal_pending says so: a fatal signal; a non-fatal one does not stop a kernel-mode fault
/// (rule 5), which is how case 8's busy loop happens.
/// </summary>
public static class Uaccess
{
    /// <summary>
    /// copy_from_user(dst, src, n): copies <paramref name="n"/> bytes from user address <paramref name="src"/>.
    /// Returns the bytes NOT copied (0 on success); those bytes of <paramref name="dst"/> are zeroed.
    /// </summary>
    [MaySleep]
    public static int CopyFromUser(byte[] dst, ulong src, int n)
    {
        ArgumentNullException.ThrowIfNull(dst);
        CheckCount(n, dst.Length);
        var left = Copy(src, n, write: false, (pageData, pageOffset, done, chunk) => Array.Copy(pageData, pageOffset, dst, done, chunk));

        // _copy_from_user zero-fills what it could not copy, so no stale kernel data leaks to the caller.
        Array.Clear(dst, n - left, left);
        return left;
    }

    /// <summary>copy_to_user(dst, src, n): copies <paramref name="n"/> bytes to user address <paramref name="dst"/>. Returns the bytes NOT copied (0 on success).</summary>
    [MaySleep]
    public static int CopyToUser(ulong dst, byte[] src, int n)
    {
        ArgumentNullException.ThrowIfNull(src);
        CheckCount(n, src.Length);
        return Copy(dst, n, write: true, (pageData, pageOffset, done, chunk) => Array.Copy(src, done, pageData, pageOffset, chunk));
    }

    private static void CheckCount(int n, int length)
    {
        if (n < 0 || n > length)
        {
            throw new ArgumentOutOfRangeException(nameof(n), $"count {n} is outside the buffer of {length} bytes");
        }
    }

    private static int Copy(ulong user, int n, bool write, Action<byte[], int, int, int> move)
    {
        // might_fault(): a user copy may sleep.
        SleepChecks.MightSleep(write ? "copy_to_user" : "copy_from_user", blockingPrimitive: false);
        var mm = KernelTask.Current.Mm;
        if (mm is null)
        {
            return n;
        }

        var done = 0;
        while (done < n)
        {
            var address = user + (ulong)done;
            var offset = (int)(address & (Page.Size - 1));
            var chunk = Math.Min(n - done, Page.Size - offset);
            if (mm.LookupPte(address) is not { } pte || (write && !pte.Writable))
            {
                if (!KernelModeFault(mm, address, write))
                {
                    break;
                }

                continue;
            }

            move(pte.Page.Data, offset, done, chunk);
            done += chunk;
        }

        return n - done;
    }

    /// <summary>do_user_addr_fault for a kernel-mode access; false means the exception fixup ends the copy.</summary>
    private static bool KernelModeFault(MmStruct mm, ulong address, bool write)
    {
        var task = KernelTask.Current;
        var flags = FaultFlags.Default | (write ? FaultFlags.Write : FaultFlags.None);
        for (;;)
        {
            // lock_mm_and_find_vma: trylock first, then a killable lock.
            if (!mm.MmapReadTrylock() && mm.MmapReadLockKillable() != 0)
            {
                return false;
            }

            var vma = mm.FindVmaLocked(address);
            if (vma is null || vma.Start > address || (vma.Flags & (write ? VmFlags.Write : VmFlags.Read)) == 0)
            {
                mm.MmapReadUnlock();
                return false;
            }

            var fault = MmFault.HandleMmFault(vma, address, flags);
            if (Signals.FaultSignalPending(fault, userMode: false, task))
            {
                // The core mm code has unlocked the mm; kernel mode goes to the fixup.
                return false;
            }

            if ((fault & VmFaultResult.Completed) != 0)
            {
                return true;
            }

            if ((fault & VmFaultResult.Retry) != 0)
            {
                flags |= FaultFlags.Tried;
                continue;
            }

            mm.MmapReadUnlock();
            return (fault & VmFaultResult.Error) == 0;
        }
    }
}
