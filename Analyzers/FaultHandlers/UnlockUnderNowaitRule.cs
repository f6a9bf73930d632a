namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>FL2004: an explicit release of the fault's mmap lock in the handler on a path where RetryNowait is not known clear.</summary>
internal static class UnlockUnderNowaitRule
{
    public static void Analyze(HandlerFacts facts)
    {
        var handler = facts.Context;
        foreach (var site in facts.Unlocks)
        {
            // Only the fault lock the handler was entered with: an unlock that pairs with the handler's own
            // (try)lock of the same mm is another matter (FL4007).
            if (site.Facts.Lock == Flow.Lattices.HandlerLockFacts.Held && !site.Facts.IsKnownClear(handler.Symbols.RetryNowait))
            {
                handler.Report(Descriptors.FL2004UnlockUnderRetryNowait, site.Operation.Syntax.GetLocation(), handler.HandlerName);
            }
        }
    }
}
