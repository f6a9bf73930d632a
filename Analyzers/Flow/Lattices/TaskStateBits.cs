using System;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>The task states a path may be in (SEMANTICS.md rules 40-46). A set: paths joined at a merge point union.</summary>
[Flags]
internal enum TaskStateBits : byte
{
    None = 0,

    /// <summary>TASK_RUNNING, known: set by the code, or by a sleep or may-sleep call that returned (rule 46).</summary>
    Running = 1 << 0,

    Interruptible = 1 << 1,

    Uninterruptible = 1 << 2,

    Killable = 1 << 3,

    /// <summary>Whatever the caller left: a helper may be called after its caller set the state.</summary>
    Entry = 1 << 4,

    /// <summary>Set from a value we cannot read, or by a helper we cannot see into: rules stay silent.</summary>
    Unknown = 1 << 5,

    /// <summary>The sleeping states.</summary>
    Sleeping = Interruptible | Uninterruptible | Killable,

    /// <summary>The states in which a pending signal makes <c>Schedule()</c> return at once (rule 45).</summary>
    SignalWakes = Interruptible | Killable,
}

/// <summary>Names of <see cref="TaskStateBits"/> as the code writes them.</summary>
internal static class TaskStateNames
{
    /// <summary>E.g. <c>TaskState.Interruptible</c>, or <c>TaskState.Interruptible or TaskState.Killable</c>.</summary>
    public static string Describe(TaskStateBits bits)
    {
        var parts = new System.Collections.Generic.List<string>();
        if ((bits & TaskStateBits.Running) != 0)
        {
            parts.Add("TaskState.Running");
        }

        if ((bits & TaskStateBits.Interruptible) != 0)
        {
            parts.Add("TaskState.Interruptible");
        }

        if ((bits & TaskStateBits.Uninterruptible) != 0)
        {
            parts.Add("TaskState.Uninterruptible");
        }

        if ((bits & TaskStateBits.Killable) != 0)
        {
            parts.Add("TaskState.Killable");
        }

        return parts.Count == 0 ? "an unknown state" : string.Join(" or ", parts);
    }
}
