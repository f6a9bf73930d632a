namespace FaultLine.Samples.Doorbell.Fixed;

/// <summary>
/// A driver's synchronous mailbox command: post, ring the doorbell, sleep until the completion
/// interrupt. The wait is the canonical open-coded loop (rules 40-45): prepare_to_wait, test every way
/// out (completed, device gone, signal pending), schedule, and finish_wait on every path. It sleeps
/// TASK_INTERRUPTIBLE, so it must leave on a pending signal with -ERESTARTSYS: otherwise schedule()
/// returns at once for as long as the signal is pending and the loop spins (rule 45). A command
/// abandoned that way stays with the firmware; its late completion carries a stale tag and is dropped.
/// </summary>
public sealed class Mailbox
{
    private readonly MailboxDevice device;
    private readonly KMutex cmdLock = new("mbox_cmd_lock");
    private readonly WaitQueueHead cmdWq = new() { Name = "mbox_wq" };
    private uint nextTag;
    // Written by the IRQ handler, read by the waiter: the tag it waits for, and its completion.
    private uint waitingTag;
    private volatile bool done;
    private int status;
    private uint result;
    private long waitIterations;

    /// <summary>Binds to <paramref name="device"/> and installs the completion interrupt handler.</summary>
    public Mailbox(MailboxDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.device = device;
        device.RequestIrq(Interrupt);
    }

    /// <summary>Passes through the wait loop so far (a debug counter: a busy loop shows up here).</summary>
    public long WaitIterations => Interlocked.Read(ref waitIterations);

    /// <summary>Whether a task is queued on the completion wait queue.</summary>
    public bool HasWaiters => cmdWq.HasSleepers;

    /// <summary>
    /// Runs command <paramref name="opcode"/> and waits for it. Returns 0 with the firmware's
    /// <paramref name="cmdResult"/>, the firmware's negative status, -EIO when the device went away,
    /// or -ERESTARTSYS when a signal arrived first (the syscall is restarted or fails with -EINTR).
    /// </summary>
    public int Execute(uint opcode, out uint cmdResult)
    {
        cmdResult = 0;

        // The sleeping lock comes first, before any task state is set (rule 46).
        cmdLock.Lock();
        var tag = ++nextTag;
        done = false;
        Volatile.Write(ref waitingTag, tag);
        device.WriteDoorbell(opcode, tag);

        var wait = new WaitQueueEntry(KernelTask.Current);
        int ret;
        for (;;)
        {
            Wait.PrepareToWait(cmdWq, wait, TaskState.Interruptible);
            Interlocked.Increment(ref waitIterations);
            if (done)
            {
                ret = status;
                cmdResult = result;
                break;
            }

            if (device.Removed)
            {
                ret = -Errno.EIO;
                break;
            }

            // Interruptible sleep, so a pending signal ends the wait (rule 45).
            if (KernelTask.Current.SignalPending)
            {
                // Nobody waits for this tag any more: a late completion will not match.
                Volatile.Write(ref waitingTag, 0);
                ret = -Errno.ERESTARTSYS;
                break;
            }

            Sched.Schedule();
        }

        // Every way out of the loop comes through here: state back to Running, entry off the queue.
        Wait.FinishWait(cmdWq, wait);
        cmdLock.Unlock();
        return ret;
    }

    /// <summary>The completion interrupt handler: record the completion, then wake the waiter (rule 42). Atomic context.</summary>
    [MustNotSleep]
    private void Interrupt()
    {
        var c = device.ReadCompletion();
        if (c.Tag != 0 && c.Tag == Volatile.Read(ref waitingTag))
        {
            status = c.Status;
            result = c.Result;
            done = true;
        }

        // Also on removal: the waiter must look at device.Removed.
        cmdWq.WakeUpAll();
    }
}
