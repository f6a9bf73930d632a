namespace FaultLine.Samples.UffdResolver.Buggy;

/// <summary>
/// Waits until a page served by a <see cref="LazyPagesDaemon"/> is resolved, with the two mistakes
/// handle_userfault made before Andrea Arcangeli's "userfaultfd: solve the race between
/// UFFDIO_COPY|ZEROPAGE and read" (8d2afd96c203, SEMANTICS.md case 11):
/// <list type="bullet">
/// <item>FL3002: the "resolved?" test runs before the task state is set and is never repeated after
/// it, so a page placed in between (here: by <see cref="LazyPagesDaemon.RequestPage"/> itself, when the
/// contents were already received) wakes nobody, and the waiter then sleeps for a wakeup that already
/// happened: a lost wakeup;</item>
/// <item>FL3001: it calls <see cref="Sched.Schedule"/> once and trusts that being woken means "resolved".
/// Any other wakeup (a spurious one, another page's wake_up_all on the shared queue) sends it on with the
/// page still missing. handle_userfault may sleep once (case 14) only because it returns
/// VM_FAULT_RETRY and its caller re-checks everything; this waiter returns "resolved".</item>
/// </list>
/// </summary>
public sealed class PageWaiter
{
    private readonly LazyPagesDaemon daemon;

    /// <summary>A waiter for pages of <paramref name="daemon"/>.</summary>
    public PageWaiter(LazyPagesDaemon daemon)
    {
        this.daemon = daemon;
    }

    /// <summary>Asks for the page at <paramref name="address"/> and waits until it is in place. Returns 0.</summary>
    public int WaitForPage(ulong address)
    {
        // BUG (FL3002): tested before the state is set, and never again.
        if (daemon.IsResolved(address))
        {
            return 0;
        }

        // May place the page right now, and wake the queue while we are not on it yet.
        daemon.RequestPage(address);

        var wait = new WaitQueueEntry(KernelTask.Current);
        Wait.PrepareToWait(daemon.ResolvedWq, wait, TaskState.Killable);
        // BUG (FL3001): one schedule(), then "it must be resolved now".
        Sched.Schedule();
        Wait.FinishWait(daemon.ResolvedWq, wait);
        return 0;
    }
}
