namespace FaultLine.Samples.Doorbell.Buggy;

/// <summary>
/// A driver's synchronous mailbox command: post, ring the doorbell, sleep until the completion
/// interrupt, with two classic wait-loop mistakes:
/// <list type="bullet">
/// <item>FL3004: it sleeps TASK_INTERRUPTIBLE (so a slow firmware does not count as a hung task) but the
/// loop has no way out on a pending signal. With a signal pending, schedule() returns at once (rule 45,
/// "by design" as Linus put it), so the task spins at full speed until the firmware answers; the same
/// busy loop as Jens Axboe's userfaultfd report (SEMANTICS.md case 8).</item>
/// <item>FL3005: the device-gone error path returns from inside the loop without finish_wait: the task
/// is left in TASK_INTERRUPTIBLE and its on-stack wait entry stays on the queue after the function
/// returns (in C, a dangling pointer the next wake_up walks into).</item>
/// </list>
/// </summary>
public sealed class Mailbox
{
    private readonly MailboxDevice device;
    private readonly KMutex cmdLock = new("mbox_cmd_lock");
    private readonly WaitQueueHead cmdWq = new() { Name = "mbox_wq" };
    private uint nextTag;
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
    /// <paramref name="cmdResult"/>, the firmware's negative status, or -EIO when the device went away.
    /// </summary>
    public int Execute(uint opcode, out uint cmdResult)
    {
        cmdResult = 0;
        cmdLock.Lock();
        var tag = ++nextTag;
        done = false;
        Volatile.Write(ref waitingTag, tag);
        device.WriteDoorbell(opcode, tag);

        var wait = new WaitQueueEntry(KernelTask.Current);
        for (;;)
        {
            Wait.PrepareToWait(cmdWq, wait, TaskState.Interruptible);
            Interlocked.Increment(ref waitIterations);
            if (done)
            {
                break;
            }

            if (device.Removed)
            {
                // BUG (FL3005): no finish_wait on this path.
                cmdLock.Unlock();
                return -Errno.EIO;
            }

            // BUG (FL3004): TASK_INTERRUPTIBLE, and no signal_pending() check anywhere in the loop.
            Sched.Schedule();
        }

        Wait.FinishWait(cmdWq, wait);
        cmdResult = result;
        var ret = status;
        cmdLock.Unlock();
        return ret;
    }

    /// <summary>The completion interrupt handler: record the completion, then wake the waiter. Atomic context.</summary>
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

        cmdWq.WakeUpAll();
    }
}
