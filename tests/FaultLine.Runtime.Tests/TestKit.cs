using System.Diagnostics;
using FaultLine;
using Xunit;

// The debug checks report into one process-wide list, like dmesg; tests that assert on it must not
// interleave with each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace FaultLine.Runtime.Tests;

/// <summary>
/// Shared set-up for runtime tests: address spaces, tasks, userfaultfd resolvers, and waiting for the
/// model's own events. Nothing here decides an outcome by wall-clock time: <see cref="WaitUntil"/> polls a
/// condition of the model and only fails the test (a watchdog) if it never becomes true.
/// </summary>
public static class TestKit
{
    /// <summary>A page-aligned address where tests map memory.</summary>
    public const ulong Base = 0x10000000;

    /// <summary>How long a watchdog waits before declaring a task stuck.</summary>
    public static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(20);

    /// <summary>The address of page <paramref name="index"/> above <see cref="Base"/>.</summary>
    public static ulong PageAddress(int index) => Base + ((ulong)index << Page.Shift);

    /// <summary>An mm with <paramref name="pages"/> pages of anonymous read-write memory at <see cref="Base"/>.</summary>
    public static MmStruct AnonMm(int pages, out VmAreaStruct vma)
    {
        var mm = new MmStruct();
        vma = mm.Mmap(Base, (ulong)pages * Page.Size, VmFlags.Read | VmFlags.Write, null);
        return mm;
    }

    /// <summary>An mm whose <paramref name="pages"/> pages at <see cref="Base"/> are served by a userfaultfd.</summary>
    public static MmStruct UffdMm(int pages, out Userfaultfd uffd)
    {
        var mm = AnonMm(pages, out _);
        uffd = Userfaultfd.Create(mm);
        Assert.Equal(0, uffd.Register(Base, (ulong)pages * Page.Size, UffdRegisterMode.Missing));
        return mm;
    }

    /// <summary>Pre-faults pages [from, from + count) of an anonymous mm (they are then present).</summary>
    public static void Populate(MmStruct mm, int from, int count)
    {
        RunTask("populate", mm, () =>
        {
            var pages = new Page[count];
            mm.MmapReadLock();
            var got = Gup.GetUserPages(mm, PageAddress(from), count, FollFlags.Write, pages);
            mm.MmapReadUnlock();
            Assert.Equal(count, got);
            foreach (var p in pages)
            {
                Gup.PutPage(p);
            }
        });
    }

    /// <summary>Starts a task and waits for it with the watchdog; rethrows what the body threw.</summary>
    public static void RunTask(string comm, MmStruct? mm, Action body)
    {
        var task = KernelTask.Start(comm, mm, body);
        JoinOrFail(task);
    }

    /// <summary>Joins <paramref name="task"/>, failing the test (instead of hanging) if it is stuck.</summary>
    public static void JoinOrFail(KernelTask task)
    {
        if (!task.Join(Watchdog))
        {
            Assert.Fail($"watchdog: task {task.Comm} is stuck in state {task.State}");
        }
    }

    /// <summary>
    /// Polls <paramref name="condition"/> (a fact of the model: a task's state, a queued message) until
    /// it holds; fails the test if it never does.
    /// </summary>
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

    /// <summary>A page's worth of bytes, all <paramref name="value"/>.</summary>
    public static byte[] PageOf(byte value) => Enumerable.Repeat(value, Page.Size).ToArray();

    /// <summary>Clears the warning log before a test that asserts on it.</summary>
    public static void ResetWarnings()
    {
        KernelDebug.PanicOnWarn = false;
        KernelDebug.ClearWarnings();
    }

    /// <summary>The rule ids of every warning reported so far.</summary>
    public static string?[] WarningIds() => KernelDebug.Warnings.Select(w => w.RuleId).ToArray();
}
