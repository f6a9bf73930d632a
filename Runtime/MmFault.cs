namespace FaultLine;

/// <summary>
/// mm/memory.c: handle_mm_fault() and what it needs: the flag sanity checks, the anonymous-page fill,
/// the calls into ->fault / ->page_mkwrite / handle_userfault, and the debug checks of the handler's
/// return contract (rule 34).
/// </summary>
public static class MmFault
{
    /// <summary>
    /// handle_mm_fault(vma, address, flags): resolves a fault at <paramref name="address"/>. The caller
    /// holds the mmap lock. If the result has Retry or Completed, the lock was released on the way,
    /// unless <see cref="FaultFlags.RetryNowait"/> was set, in which case Retry comes back with the lock
    /// still held (rule 30). After it returns, the caller must not touch <paramref name="vma"/> unless it
    /// still holds the lock (rule 29). Throws <see cref="KernelBugException"/> when called without the
    /// mmap lock or with an address outside the VMA.
    /// </summary>
    [MaySleep]
    public static VmFaultResult HandleMmFault(VmAreaStruct vma, ulong address, FaultFlags flags)
    {
        ArgumentNullException.ThrowIfNull(vma);
        var mm = vma.Mm;
        if (!mm.MmapLock.IsHeldByCurrent)
        {
            throw new KernelBugException("handle_mm_fault: the mmap lock must be held on entry");
        }

        if (!vma.Contains(address))
        {
            throw new KernelBugException($"handle_mm_fault: address 0x{address:x} is outside {vma}");
        }

        if (!SanitizeFaultFlags(vma, flags))
        {
            return VmFaultResult.Sigsegv;
        }

        var task = KernelTask.Current;
        task.SetState(TaskState.Running);
        var pageAddress = address & ~(ulong)(Page.Size - 1);
        var write = (flags & FaultFlags.Write) != 0;

        if (ForcedRetry(task, mm, pageAddress, flags) is { } forced)
        {
            return forced;
        }

        var vmf = new VmFault(vma, pageAddress, flags);
        if (mm.LookupPte(pageAddress) is { } pte)
        {
            return write && !pte.Writable ? WriteProtectFault(vmf, pte) : VmFaultResult.None;
        }

        if ((vma.Flags & VmFlags.UffdMissing) != 0 && vma.Uffd is not null)
        {
            return CallHandler(vmf, v => Userfaultfd.HandleUserfault(v, UffdReason.Missing));
        }

        if (vma.Ops is null)
        {
            mm.SetPte(pageAddress, new Pte(new Page(), (vma.Flags & VmFlags.Write) != 0));
            return VmFaultResult.None;
        }

        var ops = vma.Ops;
        var ret = CallHandler(vmf, ops.Fault);
        if ((ret & (VmFaultResult.Error | VmFaultResult.Retry | VmFaultResult.Completed | VmFaultResult.Nopage)) != 0)
        {
            return ret;
        }

        if (vmf.Page is null)
        {
            KernelDebug.Warn(null, $"->fault of {ops.GetType().Name} returned 0 without a page");
            return VmFaultResult.Sigbus;
        }

        // do_read_fault on a shared mapping with ->page_mkwrite maps read-only, so that the first
        // write comes back through ->page_mkwrite; do_shared_fault calls it right away.
        var shared = (vma.Flags & VmFlags.Shared) != 0;
        var writable = (vma.Flags & VmFlags.Write) != 0 && (!shared || write);
        if (shared && write)
        {
            vmf.Flags |= FaultFlags.Mkwrite;
            var mk = CallHandler(vmf, ops.PageMkwrite);
            if ((mk & (VmFaultResult.Error | VmFaultResult.Retry | VmFaultResult.Completed)) != 0)
            {
                UnlockIfLocked(vmf, ret);
                return mk;
            }
        }

        mm.SetPte(pageAddress, new Pte(vmf.Page, writable));
        UnlockIfLocked(vmf, ret);
        return ret & ~VmFaultResult.Locked;
    }

    /// <summary>
    /// vm_fault_to_errno(ret, foll): Oom → -ENOMEM; Hwpoison → -EHWPOISON with FOLL_HWPOISON, else
    /// -EFAULT; Sigbus or Sigsegv → -EFAULT; anything else → 0 (rule 7).
    /// </summary>
    public static int VmFaultToErrno(VmFaultResult ret, FollFlags foll)
    {
        if ((ret & VmFaultResult.Oom) != 0)
        {
            return -Errno.ENOMEM;
        }

        if ((ret & (VmFaultResult.Hwpoison | VmFaultResult.HwpoisonLarge)) != 0)
        {
            return (foll & FollFlags.Hwpoison) != 0 ? -Errno.EHWPOISON : -Errno.EFAULT;
        }

        if ((ret & (VmFaultResult.Sigbus | VmFaultResult.Sigsegv)) != 0)
        {
            return -Errno.EFAULT;
        }

        return 0;
    }

    /// <summary>fault_flag_allow_retry_first(flags): AllowRetry set and Tried not (rule 4).</summary>
    public static bool FaultFlagAllowRetryFirst(FaultFlags flags) =>
        (flags & FaultFlags.AllowRetry) != 0 && (flags & FaultFlags.Tried) == 0;

    /// <summary>
    /// Calls a handler and checks its return against rule 34: Retry needs AllowRetry (FL2002); under
    /// RetryNowait the lock must still be held (FL2004); otherwise Retry or Completed means it was
    /// released (FL2003), and any other result means it was not (FL4007). Sleeping inside the handler
    /// under RetryNowait is reported by the sleeping primitive (FL2001).
    /// </summary>
    internal static VmFaultResult CallHandler(VmFault vmf, Func<VmFault, VmFaultResult> handler)
    {
        var task = KernelTask.Current;
        var mm = vmf.Vma.Mm;
        var nowait = (vmf.Flags & FaultFlags.RetryNowait) != 0;
        if (nowait)
        {
            task.NowaitFaultDepth++;
        }

        VmFaultResult ret;
        try
        {
            ret = handler(vmf);
        }
        finally
        {
            if (nowait)
            {
                task.NowaitFaultDepth--;
            }
        }

        var held = mm.MmapLock.IsHeldByCurrent;
        var retry = (ret & VmFaultResult.Retry) != 0;
        var dropped = (ret & (VmFaultResult.Retry | VmFaultResult.Completed)) != 0;
        if (retry && (vmf.Flags & FaultFlags.AllowRetry) == 0)
        {
            KernelDebug.Warn("FL2002", $"fault handler returned VM_FAULT_RETRY without FAULT_FLAG_ALLOW_RETRY (flags {vmf.Flags})");
        }

        if (nowait && !held)
        {
            KernelDebug.Warn("FL2004", "fault handler released the mmap lock under FAULT_FLAG_RETRY_NOWAIT");
        }
        else if (!nowait && dropped && held)
        {
            KernelDebug.Warn("FL2003", $"fault handler returned {ret} with the mmap lock still held");
        }
        else if (!dropped && !held)
        {
            KernelDebug.Warn("FL4007", $"fault handler released the mmap lock but returned {ret}, not VM_FAULT_RETRY");
        }

        return ret;
    }

    private static VmFaultResult WriteProtectFault(VmFault vmf, Pte pte)
    {
        var vma = vmf.Vma;
        if ((vma.Flags & VmFlags.Shared) != 0 && vma.Ops is { } ops)
        {
            vmf.Flags |= FaultFlags.Mkwrite;
            vmf.Page = pte.Page;
            var mk = CallHandler(vmf, ops.PageMkwrite);
            if ((mk & (VmFaultResult.Error | VmFaultResult.Retry | VmFaultResult.Completed)) != 0)
            {
                return mk;
            }
        }

        // wp_page_reuse: private anonymous pages here are exclusive, so the write reuses them.
        vma.Mm.SetPte(vmf.Address, pte with { Writable = true });
        return VmFaultResult.None;
    }

    private static VmFaultResult? ForcedRetry(KernelTask task, MmStruct mm, ulong address, FaultFlags flags)
    {
        if ((flags & FaultFlags.AllowRetry) == 0 || task.Injection is not { } injection || !injection.ForcedRetry(address))
        {
            return null;
        }

        // As a handler that blocked would: keep the lock under RetryNowait, otherwise drop it.
        if ((flags & FaultFlags.RetryNowait) == 0)
        {
            mm.MmapReadUnlock();
        }

        return VmFaultResult.Retry;
    }

    /// <summary>sanitize_fault_flags and the access checks: false (with a WARN) means SIGSEGV.</summary>
    private static bool SanitizeFaultFlags(VmAreaStruct vma, FaultFlags flags)
    {
        if ((flags & FaultFlags.Write) != 0 && (flags & FaultFlags.Unshare) != 0)
        {
            KernelDebug.Warn(null, "handle_mm_fault: FAULT_FLAG_WRITE together with FAULT_FLAG_UNSHARE");
            return false;
        }

        if ((flags & FaultFlags.Write) != 0 && (vma.Flags & VmFlags.Write) == 0)
        {
            KernelDebug.Warn(null, $"handle_mm_fault: write fault on a VMA without VM_WRITE ({vma})");
            return false;
        }

        if ((flags & FaultFlags.Tried) != 0 && (flags & FaultFlags.AllowRetry) == 0)
        {
            KernelDebug.Warn(null, "handle_mm_fault: FAULT_FLAG_TRIED without FAULT_FLAG_ALLOW_RETRY is illegal");
        }

        return true;
    }

    private static void UnlockIfLocked(VmFault vmf, VmFaultResult ret)
    {
        if ((ret & VmFaultResult.Locked) != 0 && vmf.Page is { IsLocked: true } page)
        {
            page.Unlock();
        }
    }
}
