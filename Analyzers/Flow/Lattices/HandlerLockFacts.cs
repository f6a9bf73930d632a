namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// What a fault handler has done with the mmap (fault) lock it was entered with, on one path. Entry is
/// <see cref="Held"/>; an explicit <c>MmapReadUnlock</c> makes it <see cref="Released"/>; a call that may or may not
/// release it (<c>Filemap.LockPageOrRetry</c>, <c>Userfaultfd.HandleUserfault</c>, a helper of the user's) makes it
/// <see cref="Unknown"/>, on which rules stay silent.
/// </summary>
internal enum HandlerLockFacts
{
    Held,
    Released,
    Unknown,
}

internal static class HandlerLockFactsLattice
{
    public static HandlerLockFacts Join(HandlerLockFacts left, HandlerLockFacts right) =>
        left == right ? left : HandlerLockFacts.Unknown;
}
