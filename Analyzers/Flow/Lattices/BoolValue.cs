using System;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>The values a <c>bool</c> local may have on the paths to a point. A local that is absent from the state is Unknown.</summary>
[Flags]
internal enum BoolValue : byte
{
    None = 0,

    True = 1 << 0,

    /// <summary>Set to false by the code itself (<c>bool locked = false;</c>).</summary>
    False = 1 << 1,

    /// <summary>
    /// Possibly set to false by a callee through <c>ref</c>: a <c>...Locked</c> GUP call that dropped the mmap lock
    /// (SEMANTICS.md rule 18). Nothing has tested the local since.
    /// </summary>
    ClearedByCallee = 1 << 2,

    FalseOrCleared = False | ClearedByCallee,
}
