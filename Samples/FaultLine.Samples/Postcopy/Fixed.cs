namespace FaultLine.Samples.Postcopy.Fixed;

/// <summary>
/// A vCPU's guest page fault path on postcopy guest RAM, as KVM has done it since v6.2 (Peter Xu,
/// "kvm: x86: Allow to respond to generic signals during slow page faults") plus the 2024 -EAGAIN fix
/// (Sean Christopherson, "KVM: Return ERR_SIGPENDING from hva_to_pfn() if GUP returns -EAGAIN",
/// SEMANTICS.md case 3): the slow path calls <see cref="Gup.GetUserPagesUnlocked"/> with
/// <see cref="FollFlags.Interruptible"/>, a form that may drop the mmap lock and so can wait for the
/// userfault interruptibly (rules 19, 47), and both -EINTR and -EAGAIN come back as a signal exit
/// (rule 48), so QEMU's vm_stop kick (SIGUSR1) gets the vCPU out of KVM_RUN with -EINTR even when the
/// page never arrives.
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
    /// handled first (KVM_EXIT_INTR), or -EFAULT / -EHWPOISON when the page cannot be had.
    /// </summary>
    public int PageFault(ulong gpa, bool write)
    {
        var hva = ram.GpaToHva(gpa);
        var pages = new Page[1];
        var foll = write ? FollFlags.Write : FollFlags.None;

        // Guest page faults may wait on userspace (the postcopy fault thread, the network), so the
        // wait must be interruptible: the vm_stop kick is a plain SIGUSR1, not SIGKILL.
        var npages = HvaToPfn(hva, foll | FollFlags.Interruptible, pages);
        if (npages == -Errno.EINTR || npages == -Errno.EAGAIN)
        {
            // kvm_handle_signal_exit (rule 49): KVM_RUN returns -EINTR and the signal is delivered on
            // the way out; the guest re-faults on the page after QEMU resumes it.
            ExitReason = KvmExitReason.Intr;
            SignalExits++;
            return -Errno.EINTR;
        }

        if (npages != 1)
        {
            ExitReason = KvmExitReason.MemoryFault;
            return (int)npages;
        }

        // Install the stage-2 mapping, then drop the GUP reference (kvm_release_faultin_page): the MMU
        // notifier, not the reference, keeps the mapping coherent from here on.
        stage2[gpa >> Page.Shift] = pages[0].Pfn;
        Gup.PutPage(pages[0]);
        ExitReason = KvmExitReason.None;
        return 0;
    }

    /// <summary>
    /// hva_to_pfn_slow + the result mapping of hva_to_pfn (rules 47-48): 1 with pages[0] referenced;
    /// -EINTR or -EAGAIN unchanged when a signal stopped GUP (KVM_PFN_ERR_SIGPENDING); -EHWPOISON;
    /// -EFAULT for anything else.
    /// </summary>
    private long HvaToPfn(ulong hva, FollFlags foll, Page[] pages)
    {
        // The _unlocked form takes mmap_lock itself and may drop it to wait for the userfault, which is
        // the only way FOLL_INTERRUPTIBLE can act (rule 19, case 6).
        var npages = Gup.GetUserPagesUnlocked(ram.Mm, hva, 1, foll | FollFlags.Hwpoison, pages);
        if (npages == 1)
        {
            return 1;
        }

        // Case 3: get_user_pages_unlocked returns -EAGAIN when its first mmap_read_lock_killable fails
        // because a fatal signal is pending. That is a signal as much as -EINTR is; turning it into
        // -EFAULT made userspace see a bad address instead of an interrupted KVM_RUN.
        if (npages == -Errno.EINTR || npages == -Errno.EAGAIN)
        {
            return npages;
        }

        if (npages == -Errno.EHWPOISON)
        {
            return npages;
        }

        // KVM would look the VMA up here for VM_IO/VM_PFNMAP memory (hva_to_pfn_remapped); guest RAM is
        // plain anonymous memory, so anything else is a bad address.
        return -Errno.EFAULT;
    }
}
