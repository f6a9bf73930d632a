using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// FL2005: an uninterruptible lock or wait called directly in the handler where a killable form exists and the
/// handler may be called with Killable (not known clear on the path). Where RetryNowait may be set FL2001 reports the
/// same call too: not sleeping at all is the first fix there, a killable sleep is still better than an uninterruptible one.
/// </summary>
internal static class UninterruptibleSleepRule
{
    public static void Analyze(FaultHandlers.HandlerFacts facts)
    {
        var handler = facts.Context;
        var symbols = handler.Symbols;
        foreach (var site in facts.Calls)
        {
            if (site.Operation.IsImplicit || site.Facts.IsKnownClear(symbols.Killable))
            {
                continue;
            }

            if (KillableForm(site.Operation.TargetMethod, symbols) is { } replacement)
            {
                handler.Report(
                    Descriptors.FL2005UninterruptibleSleep,
                    site.Operation.Syntax.GetLocation(),
                    HandlerContext.Describe(site.Operation.TargetMethod),
                    handler.HandlerName,
                    replacement);
            }
        }
    }

    /// <summary>What to call instead, as shown in the message (the fix uses the same table).</summary>
    internal static string? KillableForm(IMethodSymbol method, FaultHandlerSymbols symbols)
    {
        if (FaultHandlerSymbols.Is(method, symbols.Page, "Lock"))
        {
            return "Filemap.LockPageOrRetry";
        }

        if (FaultHandlerSymbols.Is(method, symbols.KMutex, "Lock"))
        {
            return "KMutex.LockKillable";
        }

        if (FaultHandlerSymbols.Is(method, symbols.Wait, "Event"))
        {
            return "Wait.EventKillable";
        }

        if (FaultHandlerSymbols.Is(method, symbols.RwSemaphore, "DownRead"))
        {
            return "RwSemaphore.DownReadKillable";
        }

        if (FaultHandlerSymbols.Is(method, symbols.RwSemaphore, "DownWrite"))
        {
            return "RwSemaphore.DownWriteKillable";
        }

        if (FaultHandlerSymbols.Is(method, symbols.MmStruct, "MmapReadLock"))
        {
            return "MmStruct.MmapReadLockKillable";
        }

        return null;
    }
}
