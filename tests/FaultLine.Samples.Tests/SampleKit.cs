using System.Diagnostics;
using FaultLine;
using Xunit;

// KernelDebug.Warnings is process-wide, like dmesg: tests that assert on it must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace FaultLine.Samples.Tests;

/// <summary>
/// Shared set-up for running the samples on the runtime. Outcomes are decided on the model (task states,
/// wait queues, userfaultfd messages, counters); wall-clock time only appears as a watchdog that turns a
/// task which the model says nothing will wake into a "hung" result instead of a hung test run.
/// </summary>
public static class SampleKit
{
    /// <summary>How long a task that should finish may take before the test fails instead of hanging.</summary>
    public static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a task the model shows as stuck (asleep, with nothing left that could wake it) is watched
    /// before it is declared hung. It only confirms what the model already says.
    /// </summary>
    public static readonly TimeSpan HangWatch = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Start of every test: clear the warning log and make the test thread a task now, so that it is not
    /// adopted later inside a fault-injection scope and keeps that injection for the next tests.
    /// </summary>
    public static void Reset()
    {
        KernelDebug.PanicOnWarn = false;
        KernelDebug.ClearWarnings();
        _ = KernelTask.Current;
    }

    /// <summary>The rule ids of every warning reported since <see cref="Reset"/>, in order.</summary>
    public static string?[] WarningIds() => KernelDebug.Warnings.Select(w => w.RuleId).ToArray();

    /// <summary>Asserts that the debug checks saw nothing, printing what they saw otherwise.</summary>
    public static void AssertNoWarnings()
    {
        var warnings = KernelDebug.Warnings;
        Assert.True(warnings.Count == 0, "unexpected kernel warnings:\n" + string.Join("\n", warnings));
    }

    /// <summary>Starts a task, waits for it with the watchdog and rethrows what its body threw.</summary>
    public static void RunTask(string comm, MmStruct? mm, Action body) => JoinOrFail(KernelTask.Start(comm, mm, body));

    /// <summary>Joins <paramref name="task"/>, failing the test (instead of hanging it) if the task is stuck.</summary>
    public static void JoinOrFail(KernelTask task)
    {
        if (!task.Join(Watchdog))
        {
            Assert.Fail($"watchdog: task {task.Comm} is stuck in state {task.State}");
        }
    }

    /// <summary>Polls a fact of the model until it holds; fails the test if it never does.</summary>
    public static void WaitUntil(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (!condition())
        {
            if (sw.Elapsed > Watchdog)
            {
                Assert.Fail($"watchdog: never saw {what}");
            }

            spin.SpinOnce();
        }
    }

    /// <summary>Waits until <paramref name="task"/> is asleep in <paramref name="state"/>.</summary>
    public static void WaitUntilSleeping(KernelTask task, TaskState state) =>
        WaitUntil(() => task.State == state, $"{task.Comm} sleeping in {state}");

    /// <summary>
    /// Asserts that <paramref name="task"/>, which the model shows asleep in <paramref name="state"/> with
    /// nothing left to wake it, does not come back within <see cref="HangWatch"/>: the watchdog's verdict.
    /// </summary>
    public static void AssertHung(KernelTask task, TaskState state)
    {
        Assert.Equal(state, task.State);
        Assert.False(task.Join(HangWatch), $"{task.Comm} was expected to hang, but it finished");
        Assert.Equal(state, task.State);
    }

    /// <summary>A page's worth of bytes, all <paramref name="value"/>.</summary>
    public static byte[] PageOf(byte value) => Enumerable.Repeat(value, Page.Size).ToArray();
}

/// <summary>
/// A gate a task waits at (wait_event on a wait queue, uninterruptible) until the test opens it: the way
/// a test holds a lock in one task for exactly as long as it needs to.
/// </summary>
public sealed class ModelGate
{
    private readonly WaitQueueHead wq = new() { Name = "test_gate" };
    private volatile bool open;

    /// <summary>Whether a task waits at the gate now.</summary>
    public bool HasWaiter => wq.HasSleepers;

    /// <summary>Sleeps until <see cref="Open"/>.</summary>
    public void WaitOpen() => Wait.Event(wq, () => open);

    /// <summary>Opens the gate and wakes whoever waits at it.</summary>
    public void Open()
    {
        open = true;
        wq.WakeUpAll();
    }
}
