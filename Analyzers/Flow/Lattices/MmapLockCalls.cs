using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>What a runtime call does to the mmap lock.</summary>
internal enum MmapLockCallKind : byte
{
    None,
    Lock,
    LockKillable,
    Trylock,
    Unlock,
    FindVma,
    HandleMmFault,
    FixupUserFault,
    Gup,
}

/// <summary>One classified call: its kind, the mm expression it locks, the hold it takes.</summary>
internal readonly struct MmapLockCall
{
    public MmapLockCall(MmapLockCallKind kind, IOperation? mm, LockHold hold, GupApi? gup)
    {
        Kind = kind;
        Mm = mm;
        Hold = hold;
        Gup = gup;
    }

    public MmapLockCallKind Kind { get; }

    /// <summary>The expression denoting the mm (the receiver, the <c>mm</c> argument), or null (fast forms, HandleMmFault).</summary>
    public IOperation? Mm { get; }

    public LockHold Hold { get; }

    public GupApi? Gup { get; }

    /// <summary>
    /// Classifies <paramref name="invocation"/>: MmStruct.MmapReadLock/MmapWriteLock/...Killable/...Trylock/...Unlock,
    /// the same on <c>mm.MmapLock</c> (DownRead, UpWrite, ...), FindVma/VmaLookup, HandleMmFault, FixupUserFault and GUP.
    /// </summary>
    public static MmapLockCall Classify(IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        if (method is null || method.ContainingAssembly?.Name != KnownSymbols.RuntimeAssemblyName)
        {
            return default;
        }

        if (symbols.GupApiOf(method) is { } api)
        {
            var mm = api.MmOrdinal >= 0 ? ArgumentFor(invocation, api.MmOrdinal) : null;
            return new MmapLockCall(MmapLockCallKind.Gup, mm, LockHold.Read, api);
        }

        if (symbols.IsHandleMmFault(method))
        {
            return new MmapLockCall(MmapLockCallKind.HandleMmFault, null, LockHold.Read, null);
        }

        var type = method.ContainingType;
        if (SymbolEqualityComparer.Default.Equals(type, symbols.Gup) && method.Name == "FixupUserFault")
        {
            return new MmapLockCall(MmapLockCallKind.FixupUserFault, ArgumentFor(invocation, 0), LockHold.Read, null);
        }

        if (SymbolEqualityComparer.Default.Equals(type, symbols.MmStruct) && invocation.Instance is { } receiver)
        {
            return method.Name switch
            {
                "MmapReadLock" => new MmapLockCall(MmapLockCallKind.Lock, receiver, LockHold.Read, null),
                "MmapWriteLock" => new MmapLockCall(MmapLockCallKind.Lock, receiver, LockHold.Write, null),
                "MmapReadLockKillable" => new MmapLockCall(MmapLockCallKind.LockKillable, receiver, LockHold.Read, null),
                "MmapReadTrylock" => new MmapLockCall(MmapLockCallKind.Trylock, receiver, LockHold.Read, null),
                "MmapReadUnlock" or "MmapWriteUnlock" => new MmapLockCall(MmapLockCallKind.Unlock, receiver, LockHold.Unlocked, null),
                "FindVma" or "VmaLookup" => new MmapLockCall(MmapLockCallKind.FindVma, receiver, LockHold.Read, null),
                _ => default,
            };
        }

        // mm.MmapLock.DownRead() and friends: the semaphore of an mm.
        if (SymbolEqualityComparer.Default.Equals(type, symbols.RwSemaphore)
            && Comparisons.StripConversions(invocation.Instance ?? invocation) is IPropertyReferenceOperation { Property.Name: "MmapLock", Instance: { } owner } semaphore
            && SymbolEqualityComparer.Default.Equals(semaphore.Property.ContainingType, symbols.MmStruct))
        {
            return method.Name switch
            {
                "DownRead" => new MmapLockCall(MmapLockCallKind.Lock, owner, LockHold.Read, null),
                "DownWrite" => new MmapLockCall(MmapLockCallKind.Lock, owner, LockHold.Write, null),
                "DownReadKillable" => new MmapLockCall(MmapLockCallKind.LockKillable, owner, LockHold.Read, null),
                "DownReadTrylock" => new MmapLockCall(MmapLockCallKind.Trylock, owner, LockHold.Read, null),
                "DownWriteKillable" => new MmapLockCall(MmapLockCallKind.LockKillable, owner, LockHold.Write, null),
                "DownWriteTrylock" => new MmapLockCall(MmapLockCallKind.Trylock, owner, LockHold.Write, null),
                "UpRead" or "UpWrite" => new MmapLockCall(MmapLockCallKind.Unlock, owner, LockHold.Unlocked, null),
                _ => default,
            };
        }

        return default;
    }

    public static IOperation? ArgumentFor(IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }
}
