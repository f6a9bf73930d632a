namespace FaultLine.Samples.Postcopy.Buggy;

/// <summary>
/// A vCPU's guest page fault path on postcopy guest RAM, ported from a KVM before v6.2 with an attempt
/// to make it kickable that put <see cref="FollFlags.Interruptible"/> on the wrong call.
/// <para>
/// The bug, FL1001 (SEMANTICS.md case 6): the flag goes to <see cref="Gup.GetUserPages"/>, a form with
/// no <c>locked</c>, which never drops the mmap lock, so it can neither wait for the userfault (it fails
/// at once with -EFAULT, rule 16) nor be interrupted: the flag is silently ignored. The call that does
/// wait, the <see cref="Gup.GetUserPagesUnlocked"/> slow path, still has no
/// <see cref="FollFlags.Interruptible"/>, so handle_userfault sleeps Killable and QEMU's vm_stop kick
/// (SIGUSR1) never gets the vCPU out of KVM_RUN while the page does not arrive. Only SIGKILL does.
/// FL1008 ("use the _unlocked form") stays silent on the lock/call/unlock: with Interruptible the switch changes the meaning.
/// </para>
/// <para>
/// The slow path also maps only -EINTR to a signal exit (KVM before 2024, case 3): the -EAGAIN an
/// <c>_unlocked</c> GUP returns when its first killable mmap lock fails becomes -EFAULT. FL1004 does not
/// see it here because that call is not <see cref="FollFlags.Interruptible"/>; it would the moment the
/// flag is added where it belongs.
/// </para>
/// </summary>
public sealed class Vcpu
{
    private readonly GuestRam ram;
    private readonly Dictionary<ulong, long> stage2 = new();

    /// <summary>vCPU <paramref name="id"/> of a guest whose RAM is <paramref name="ram"/>.</summary>
    public Vcpu(int id, GuestRam ram)
    {
        Id = id;
        this.ram = ram;
    }

    /// <summary>The vCPU index.</summary>
    public int Id { get; }

    /// <summary>Why the last KVM_RUN returned to userspace.</summary>
    public KvmExitReason ExitReason { get; private set; }

    /// <summary>vcpu->stat.signal_exits: KVM_RUN exits for a pending signal.</summary>
    public long SignalExits { get; private set; }

    /// <summary>The stage-2 (EPT) mappings installed so far: guest frame number → host pfn.</summary>
    public IReadOnlyDictionary<ulong, long> Stage2 => stage2;

    /// <summary>
    /// kvm_mmu_page_fault for a guest access to <paramref name="gpa"/>, run on the vCPU thread inside
    /// KVM_RUN. Returns 0 when the page is mapped and the guest can go on, -EINTR when a signal must be
    /// handled first (KVM_EXIT_INTR), or -EFAULT when the page cannot be had.
    /// </summary>
    public int PageFault(ulong gpa, bool write)
    {
        var hva = ram.GpaToHva(gpa);
        var pages = new Page[1];
        var foll = write ? FollFlags.Write : FollFlags.None;

        var npages = HvaToPfn(hva, foll, pages);
        if (npages == -Errno.EINTR)
        {
            ExitReason = KvmExitReason.Intr;
            SignalExits++;
            return -Errno.EINTR;
        }

        if (npages != 1)
        {
            ExitReason = KvmExitReason.MemoryFault;
            return (int)npages;
        }

        stage2[gpa >> Page.Shift] = pages[0].Pfn;
        Gup.PutPage(pages[0]);
        ExitReason = KvmExitReason.None;
        return 0;
    }

    /// <summary>hva_to_pfn: 1 with pages[0] referenced, -EINTR for a signal, -EFAULT for anything else.</summary>
    private long HvaToPfn(ulong hva, FollFlags foll, Page[] pages)
    {
        // First look with mmap_lock held, as KVM's async path once did (down_read(mmap_sem);
        // get_user_page_nowait(); up_read()), with FOLL_INTERRUPTIBLE "so that vm_stop can kick us".
        // BUG (FL1001): with no `locked` the lock is never dropped, so there is no retry, no wait for
        // the userfault and nothing to interrupt; a missing postcopy page just fails here (rule 16).
        ram.Mm.MmapReadLock();
        var npages = Gup.GetUserPages(ram.Mm, hva, 1, foll | FollFlags.Interruptible, pages);
        ram.Mm.MmapReadUnlock();
        if (npages == 1)
        {
            return 1;
        }

        // hva_to_pfn_slow as it was before v6.2: it can wait for the page, but only killably, because
        // the flag that would make the wait interruptible went to the call above.
        npages = Gup.GetUserPagesUnlocked(ram.Mm, hva, 1, foll | FollFlags.Hwpoison, pages);
        if (npages == 1)
        {
            return 1;
        }

        // Case 3: only -EINTR is a signal here; -EAGAIN becomes -EFAULT below.
        if (npages == -Errno.EINTR)
        {
            return npages;
        }

        return -Errno.EFAULT;
    }
}
