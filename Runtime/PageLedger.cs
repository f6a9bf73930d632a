namespace FaultLine;

/// <summary>
/// The pins and references one task took and has not released itself, for the task-exit check
/// (FL4005). Only the owning task touches its ledger, so the GUP hot path pays one table update and
/// no lock. A page released by another task (a hand-off, e.g. an I/O completion) leaves a credit on
/// the page that the taker's exit check claims.
/// </summary>
internal sealed class PageLedger
{
    private readonly Book pins = new();
    private readonly Book refs = new();

    internal void Took(Page page, bool pin) => (pin ? pins : refs).Add(page);

    /// <summary>Records a release by the owner; false if this task holds none on the page (a hand-off).</summary>
    internal bool Gave(Page page, bool pin) => (pin ? pins : refs).Remove(page);

    /// <summary>What is still held at exit, after claiming the hand-off credits other tasks left.</summary>
    internal int Outstanding(bool pin)
    {
        var total = 0;
        foreach (var (page, count) in (pin ? pins : refs).Holdings())
        {
            total += count - page.ClaimHandoffs(count, pin);
        }

        return total;
    }

    /// <summary>
    /// One kind of holding, page → count: an open-addressing table with linear probing, keyed by the
    /// pfn scrambled with a Fibonacci multiplier (pages taken together have consecutive pfns, which
    /// would otherwise pile up in one run of slots). It is taken on every page GUP returns, so it does
    /// without the general dictionary's buckets, chains and comparer calls.
    /// </summary>
    private sealed class Book
    {
        private Slot[] slots = new Slot[16];
        private int shift = 64 - 4;
        private int used;

        public void Add(Page page)
        {
            // At most half full, so that probe runs stay short.
            if (2 * (used + 1) > slots.Length)
            {
                Grow();
            }

            var mask = slots.Length - 1;
            for (var i = Home(page.Pfn); ; i = (i + 1) & mask)
            {
                ref var slot = ref slots[i];
                if (slot.Page is null)
                {
                    slot.Page = page;
                    slot.Count = 1;
                    used++;
                    return;
                }

                if (ReferenceEquals(slot.Page, page))
                {
                    slot.Count++;
                    return;
                }
            }
        }

        /// <summary>Takes one count off <paramref name="page"/>; false if the book holds none on it.</summary>
        public bool Remove(Page page)
        {
            var mask = slots.Length - 1;
            var i = Home(page.Pfn);
            for (; !ReferenceEquals(slots[i].Page, page); i = (i + 1) & mask)
            {
                if (slots[i].Page is null)
                {
                    return false;
                }
            }

            if (--slots[i].Count == 0)
            {
                Delete(i);
            }

            return true;
        }

        public IEnumerable<(Page Page, int Count)> Holdings()
        {
            foreach (var slot in slots)
            {
                if (slot.Page is not null)
                {
                    yield return (slot.Page, slot.Count);
                }
            }
        }

        private int Home(long pfn) => (int)(((ulong)pfn * 0x9E3779B97F4A7C15UL) >> shift);

        /// <summary>
        /// Empties slot <paramref name="hole"/> without breaking a probe run: each later entry of the
        /// run moves back into the hole when the hole lies between its home slot and where it sits.
        /// </summary>
        private void Delete(int hole)
        {
            var mask = slots.Length - 1;
            for (var j = (hole + 1) & mask; slots[j].Page is { } page; j = (j + 1) & mask)
            {
                var home = Home(page.Pfn);
                if (((j - home) & mask) >= ((j - hole) & mask))
                {
                    slots[hole] = slots[j];
                    hole = j;
                }
            }

            slots[hole] = default;
            used--;
        }

        private void Grow()
        {
            var old = slots;
            slots = new Slot[old.Length * 2];
            shift--;
            used = 0;
            var mask = slots.Length - 1;
            foreach (var slot in old)
            {
                if (slot.Page is null)
                {
                    continue;
                }

                var i = Home(slot.Page.Pfn);
                while (slots[i].Page is not null)
                {
                    i = (i + 1) & mask;
                }

                slots[i] = slot;
                used++;
            }
        }
    }

    private struct Slot
    {
        public Page? Page;
        public int Count;
    }
}
