namespace FaultLine;

/// <summary>
/// Error numbers as in include/uapi/asm-generic/errno-base.h and include/linux/errno.h.
/// Like the kernel, FaultLine returns them negated: a GUP call that fails returns <c>-Errno.EFAULT</c>.
/// </summary>
public static class Errno
{
    /// <summary>EPERM: operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>ENOENT: no such entry.</summary>
    public const int ENOENT = 2;
    /// <summary>EINTR: interrupted by a signal (GUP's answer to a pending signal with no progress).</summary>
    public const int EINTR = 4;
    /// <summary>EIO: I/O error.</summary>
    public const int EIO = 5;
    /// <summary>EBADF: bad file descriptor (a released userfaultfd).</summary>
    public const int EBADF = 9;
    /// <summary>EAGAIN: try again (get_user_pages_unlocked when its first killable lock fails).</summary>
    public const int EAGAIN = 11;
    /// <summary>ENOMEM: out of memory (VM_FAULT_OOM).</summary>
    public const int ENOMEM = 12;
    /// <summary>EFAULT: bad address (no VMA, VM_FAULT_SIGBUS/SIGSEGV).</summary>
    public const int EFAULT = 14;
    /// <summary>EBUSY: resource busy (faultin_page after VM_FAULT_RETRY).</summary>
    public const int EBUSY = 16;
    /// <summary>EEXIST: already exists (UFFDIO_COPY onto a present page).</summary>
    public const int EEXIST = 17;
    /// <summary>EINVAL: invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>EOVERFLOW: the address range wraps around.</summary>
    public const int EOVERFLOW = 75;
    /// <summary>ERESTARTSYS: a sleeping wait was interrupted by a signal (wait_event_interruptible).</summary>
    public const int ERESTARTSYS = 512;
    /// <summary>EHWPOISON: memory page has hardware error (FOLL_HWPOISON).</summary>
    public const int EHWPOISON = 133;

    /// <summary>The kernel's name for a negated or positive errno value, e.g. "-EINTR", for messages.</summary>
    public static string Name(long value)
    {
        var sign = value < 0 ? "-" : "";
        var name = Math.Abs(value) switch
        {
            EPERM => "EPERM",
            ENOENT => "ENOENT",
            EINTR => "EINTR",
            EIO => "EIO",
            EBADF => "EBADF",
            EAGAIN => "EAGAIN",
            ENOMEM => "ENOMEM",
            EFAULT => "EFAULT",
            EBUSY => "EBUSY",
            EEXIST => "EEXIST",
            EINVAL => "EINVAL",
            EOVERFLOW => "EOVERFLOW",
            ERESTARTSYS => "ERESTARTSYS",
            EHWPOISON => "EHWPOISON",
            _ => null,
        };
        return name is null ? value.ToString(System.Globalization.CultureInfo.InvariantCulture) : sign + name;
    }
}
