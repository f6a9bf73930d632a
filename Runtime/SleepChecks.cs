namespace FaultLine;

/// <summary>
/// The checks every blocking primitive runs before it may sleep (__might_sleep and friends), so that
/// each mistake is reported once, under the FL rule that catches it statically.
/// </summary>
internal static class SleepChecks
{
    /// <summary>
    /// Reports sleeping in atomic context (FL3006), a blocking call after the task state was set
    /// (FL3007) and, for real blocking primitives, blocking inside a fault handler that was called
    /// with RetryNowait (FL2001). <c>might_sleep()</c> itself passes <paramref name="blockingPrimitive"/>
    /// false: a handler may call code that annotates might_sleep and still honour RetryNowait
    /// (folio_lock_or_retry does exactly that).
    /// </summary>
    internal static void MightSleep(string what, bool blockingPrimitive)
    {
        var task = KernelTask.Current;
        if (task.AtomicDepth > 0)
        {
            KernelDebug.Warn("FL3006",
                $"BUG: sleeping function called from invalid context: {what} with {task.AtomicDepth} spinlock(s) held");
        }

        if (blockingPrimitive && task.NowaitFaultDepth > 0)
        {
            KernelDebug.Warn("FL2001",
                $"{what} in a fault handler called with FAULT_FLAG_RETRY_NOWAIT: the handler must return VM_FAULT_RETRY without sleeping");
        }

        var state = task.State;
        if (state != TaskState.Running)
        {
            KernelDebug.Warn("FL3007",
                $"do not call blocking ops when !TASK_RUNNING; state={state}: {what} would reset the state and void the sleep");
        }
    }
}
