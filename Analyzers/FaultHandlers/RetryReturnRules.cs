namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// FL2002 and FL2003, on each <c>VmFaultResult.Retry</c> the handler returns. FL2002: AllowRetry is not known set there
/// (RetryNowait known set implies it). FL2003: outside RetryNowait, the handler has certainly not released the mmap
/// lock on that path (a helper or <c>Filemap.LockPageOrRetry</c> that may have released it keeps the rule silent).
/// A result passed through from a callee is not a constant and is never reported, and FL2002 stays silent after
/// <c>Filemap.LockPageOrRetry</c> / <c>Userfaultfd.HandleUserfault</c> (a constant Retry there usually spells out
/// their result, which they may return without AllowRetry when the task is killed).
/// </summary>
internal static class RetryReturnRules
{
    /// <summary>The second half of FL2003's message for a Retry returned with the lock held.</summary>
    internal const string RetryWithLockHeldMessage =
        "returns VmFaultResult.Retry without releasing the mmap lock on a path where FaultFlags.RetryNowait is not known to be set";

    public static void Analyze(HandlerFacts facts)
    {
        var handler = facts.Context;
        var symbols = handler.Symbols;
        foreach (var site in facts.RetryReturns)
        {
            var location = site.Operation.Syntax.GetLocation();
            if (!site.Facts.IsKnownSet(symbols.AllowRetry) && !site.Facts.AfterRetryAwareCall)
            {
                handler.Report(Descriptors.FL2002RetryWithoutAllowRetry, location, handler.HandlerName);
            }

            if (site.Facts.Lock == Flow.Lattices.HandlerLockFacts.Held && !site.Facts.IsKnownSet(symbols.RetryNowait))
            {
                handler.Report(Descriptors.FL2003RetryWithLockHeld, location, handler.HandlerName, RetryWithLockHeldMessage);
            }
        }
    }
}
