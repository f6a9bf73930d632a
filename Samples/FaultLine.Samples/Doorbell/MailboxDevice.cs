namespace FaultLine.Samples.Doorbell;

/// <summary>What the IRQ handler reads from the completion registers: the command's tag, status and result.</summary>
public readonly record struct MailboxCompletion(uint Tag, int Status, uint Result);

/// <summary>
/// The hardware side of a command mailbox (the admin queue of a NIC or an NVMe controller, a firmware
/// mailbox): the driver posts a command and rings the doorbell; the firmware later writes the completion
/// registers and raises an interrupt. Tests play the firmware with <see cref="Complete"/> and
/// <see cref="SurpriseRemove"/>. One command is outstanding at a time; posting a new one replaces it.
/// </summary>
public sealed class MailboxDevice
{
    // Guards the posted command and the completion registers. The IRQ handler reads them, and an IRQ handler
    // must not sleep (FL3006), so this is a spinlock (spin_lock_irqsave in C), never a sleeping lock.
    private readonly KSpinLock regs = new("mbox_regs_lock");
    private Action? irqHandler;
    private uint postedTag;
    private uint postedOpcode;
    private bool posted;
    private MailboxCompletion completion;
    private volatile bool removed;
    private int doorbellWrites;

    /// <summary>request_irq: <paramref name="handler"/> runs, in interrupt context, for every interrupt.</summary>
    public void RequestIrq(Action handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        irqHandler = handler;
    }

    /// <summary>The driver's doorbell write: posts command <paramref name="opcode"/> with <paramref name="tag"/>.</summary>
    public void WriteDoorbell(uint opcode, uint tag)
    {
        regs.Lock();
        try
        {
            postedOpcode = opcode;
            postedTag = tag;
            posted = true;
        }
        finally
        {
            regs.Unlock();
        }

        Interlocked.Increment(ref doorbellWrites);
    }

    /// <summary>Whether a command is posted and not completed yet.</summary>
    public bool CommandPosted
    {
        get
        {
            regs.Lock();
            try
            {
                return posted;
            }
            finally
            {
                regs.Unlock();
            }
        }
    }

    /// <summary>The opcode of the command posted last.</summary>
    public uint PostedOpcode
    {
        get
        {
            regs.Lock();
            try
            {
                return postedOpcode;
            }
            finally
            {
                regs.Unlock();
            }
        }
    }

    /// <summary>How many times the doorbell was rung.</summary>
    public int DoorbellWrites => Volatile.Read(ref doorbellWrites);

    /// <summary>Whether the device is gone (hot-unplugged or its link died).</summary>
    public bool Removed => removed;

    /// <summary>The IRQ handler's read of the completion registers (all-ones once the device is gone, as PCI reads are).</summary>
    public MailboxCompletion ReadCompletion()
    {
        if (removed)
        {
            return new MailboxCompletion(uint.MaxValue, -1, uint.MaxValue);
        }

        regs.Lock();
        try
        {
            return completion;
        }
        finally
        {
            regs.Unlock();
        }
    }

    /// <summary>
    /// The firmware finishes the posted command with <paramref name="status"/> (0 or a negative errno)
    /// and <paramref name="result"/>, then raises the interrupt. Does nothing if no command is posted.
    /// </summary>
    public void Complete(int status, uint result)
    {
        regs.Lock();
        try
        {
            if (!posted)
            {
                return;
            }

            completion = new MailboxCompletion(postedTag, status, result);
            posted = false;
        }
        finally
        {
            regs.Unlock();
        }

        irqHandler?.Invoke();
    }

    /// <summary>Surprise removal: the device stops answering; the last interrupt it raises is how the driver finds out.</summary>
    public void SurpriseRemove()
    {
        removed = true;
        irqHandler?.Invoke();
    }
}
