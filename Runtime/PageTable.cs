using System.Collections;
using System.Collections.Concurrent;

namespace FaultLine;

/// <summary>
/// The page table of an <see cref="MmStruct"/>. The pgd, p4d, pud and pmd levels are collapsed into
/// one hash from a 2 MiB-aligned address (what a pmd entry covers) to its <see cref="PteTable"/> of
/// <see cref="PtrsPerPte"/> entries, so that a walk over consecutive pages, the way gup_fast walks
/// them, finds the PTE table once per 512 pages and then only indexes it. Written under the mmap lock
/// (for read, so writers may race one another); read locklessly by the fast GUP path.
/// </summary>
internal sealed class PageTable : IEnumerable<KeyValuePair<ulong, Pte>>
{
    /// <summary>PTRS_PER_PTE: the entries of one PTE table.</summary>
    public const int PtrsPerPte = 512;

    /// <summary>PMD_SHIFT: one PTE table maps 2 MiB.</summary>
    public const int PmdShift = 21;

    private readonly ConcurrentDictionary<ulong, PteTable> tables = new();

    /// <summary>pte_offset_map(): the PTE table that covers <paramref name="address"/>, or null if none was ever populated.</summary>
    public PteTable? TableFor(ulong address) =>
        tables.TryGetValue(address >> PmdShift, out var table) ? table : null;

    /// <summary>The entry mapping <paramref name="address"/> (any address in the page), or null (pte_none).</summary>
    public Pte? Lookup(ulong address) => TableFor(address)?.Read(PteTable.IndexOf(address));

    /// <summary>set_pte_at(): maps the page of <paramref name="address"/>, allocating its PTE table on first use.</summary>
    public void Set(ulong address, Pte pte)
    {
        var table = tables.GetOrAdd(address >> PmdShift, static _ => new PteTable());
        table.Write(PteTable.IndexOf(address), pte);
    }

    /// <summary>Every present entry with its page address; like the dictionary it replaces, not a snapshot.</summary>
    public IEnumerator<KeyValuePair<ulong, Pte>> GetEnumerator()
    {
        foreach (var (key, table) in tables)
        {
            for (var i = 0; i < PtrsPerPte; i++)
            {
                if (table.Read(i) is { } pte)
                {
                    yield return new((key << PmdShift) + ((ulong)i << Page.Shift), pte);
                }
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// One PTE table: <see cref="PageTable.PtrsPerPte"/> entries, each a reference to an immutable
/// <see cref="Pte"/>, read and written whole the way the kernel reads a pte with one READ_ONCE, so a
/// lockless reader never sees the page of one mapping with the permission of another.
/// </summary>
internal sealed class PteTable
{
    private readonly Pte?[] entries = new Pte?[PageTable.PtrsPerPte];

    /// <summary>pte_index(): the entry of <paramref name="address"/> within its table.</summary>
    public static int IndexOf(ulong address) => (int)(address >> Page.Shift) & (PageTable.PtrsPerPte - 1);

    /// <summary>ptep_get(): the entry at <paramref name="index"/>, or null (pte_none).</summary>
    public Pte? Read(int index) => Volatile.Read(ref entries[index]);

    /// <summary>set_pte(): publishes the entry after the page it maps is fully set up.</summary>
    public void Write(int index, Pte pte) => Volatile.Write(ref entries[index], pte);
}
