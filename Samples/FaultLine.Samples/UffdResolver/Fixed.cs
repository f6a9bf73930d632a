namespace FaultLine.Samples.UffdResolver.Fixed;

/// <summary>
/// Waits until a page served by a <see cref="LazyPagesDaemon"/> is resolved, the way the kernel waits
/// for anything (rules 40-44): ask for the page first (a sleeping lock, so before any task state is set,
/// rule 46, case 13), then <see cref="Wait.EventKillable"/>, which queues the entry and sets the state
/// before it tests "resolved?", and tests again after every wakeup. A page placed at any moment is seen,
/// and spurious or unrelated wakeups just go round the loop. Killable, so a page server that never
/// answers cannot leave the waiter unkillable.
/// </summary>
public sealed class PageWaiter
{
    private readonly LazyPagesDaemon daemon;

    /// <summary>A waiter for pages of <paramref name="daemon"/>.</summary>
    public PageWaiter(LazyPagesDaemon daemon)
    {
        this.daemon = daemon;
    }

    /// <summary>
    /// Asks for the page at <paramref name="address"/> and waits until it is in place. Returns 0, or
    /// -ERESTARTSYS when SIGKILL arrived first (the page may still be missing then).
    /// </summary>
    public int WaitForPage(ulong address)
    {
        daemon.RequestPage(address);

        // wait_event_killable(): prepare_to_wait_event, test, schedule, test again, finish_wait.
        return Wait.EventKillable(daemon.ResolvedWq, () => daemon.IsResolved(address));
    }
}
