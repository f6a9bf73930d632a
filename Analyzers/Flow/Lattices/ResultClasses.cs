using System;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// The values a GUP call can return, in the classes the rules care about (SEMANTICS.md rules 10, 17-20, 23-24):
/// the two signal errnos, any other errno, zero (only with Nowait), a short count, and the full count.
/// A set of them says what a path still allows after the tests it went through.
/// </summary>
[Flags]
internal enum ResultClasses : byte
{
    None = 0,

    /// <summary>-EINTR: a signal stopped the retries (or SIGKILL before any page).</summary>
    Eintr = 1 << 0,

    /// <summary>-EAGAIN: the unlocked forms' first killable lock failed (a fatal signal is pending).</summary>
    Eagain = 1 << 1,

    /// <summary>Any other negated errno (-EFAULT, -ENOMEM, -EINVAL, ...).</summary>
    OtherError = 1 << 2,

    /// <summary>0: no page and no error, possible only with Nowait.</summary>
    Zero = 1 << 3,

    /// <summary>A short count: 0 &lt; result &lt; requested. Only the first result pages are taken.</summary>
    Partial = 1 << 4,

    /// <summary>Exactly the requested count.</summary>
    Full = 1 << 5,

    Negative = Eintr | Eagain | OtherError,
    Short = Zero | Partial,
    Positive = Partial | Full,
    All = Negative | Zero | Positive,
}
