namespace FaultLine;

/// <summary>
/// The pins and references one task took and has not released itself, for the task-exit check
/// (FL4005). Only the owning task touches its ledger, so the GUP hot path pays one dictionary update
/// and no lock. A page released by another task (a hand-off, e.g. an I/O completion) leaves a credit
/// on the page that the taker's exit check claims.
/// </summary>
internal sealed class PageLedger
{
    // Page keeps object identity for equality, so the default comparer hashes by reference.
    private readonly Dictionary<Page, int> pins = new();
    private readonly Dictionary<Page, int> refs = new();

    internal void Took(Page page, bool pin)
    {
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(pin ? pins : refs, page, out _);
        count++;
    }

    /// <summary>Records a release by the owner; false if this task holds none on the page (a hand-off).</summary>
    internal bool Gave(Page page, bool pin)
    {
        var book = pin ? pins : refs;
        if (!book.TryGetValue(page, out var n))
        {
            return false;
        }

        if (n == 1)
        {
            book.Remove(page);
        }
        else
        {
            book[page] = n - 1;
        }

        return true;
    }

    /// <summary>What is still held at exit, after claiming the hand-off credits other tasks left.</summary>
    internal int Outstanding(bool pin)
    {
        var total = 0;
        foreach (var (page, n) in pin ? pins : refs)
        {
            total += n - page.ClaimHandoffs(n, pin);
        }

        return total;
    }
}
