using FaultLine;
using FaultLine.Samples.UffdResolver;
using Xunit;
using static FaultLine.Samples.Tests.SampleKit;
using BuggyWaiter = FaultLine.Samples.UffdResolver.Buggy.PageWaiter;
using FixedWaiter = FaultLine.Samples.UffdResolver.Fixed.PageWaiter;

namespace FaultLine.Samples.Tests;

/// <summary>
/// A lazy-pages userfaultfd resolver and a task waiting for "page resolved" on its wait queue. The buggy
/// waiter tests the condition before setting its state (FL3002, a lost wakeup) and trusts a single
/// schedule() (FL3001, fooled by a spurious wakeup).
/// </summary>
public sealed class UffdResolverTests
{
    private const ulong Base = 0x20000000;
    private const int Pages = 8;
    private const ulong Address = Base + (5 << Page.Shift);

    private static Func<ulong, int> NewWaiter(string variant, LazyPagesDaemon daemon) =>
        variant == "buggy" ? new BuggyWaiter(daemon).WaitForPage : new FixedWaiter(daemon).WaitForPage;

    [Theory]
    [InlineData("buggy")]
    [InlineData("fixed")]
    public void WaiterAndFaultingTaskGetThePageWhenItArrives(string variant)
    {
        // The usual order (ask, sleep, page arrives) works for both: the bugs need other timings.
        Reset();
        using var restore = new LazyRestore();
        var waitFor = NewWaiter(variant, restore.Daemon);
        var contents = PageOf(0x5A);
        var seen = new byte[Page.Size];
        var notCopied = int.MinValue;
        var waitRet = int.MinValue;

        // The restored process touches the page (a kernel-mode copy: FAULT_FLAG_DEFAULT, so it waits
        // in handle_userfault interruptibly), and another task waits for the page explicitly.
        var restored = KernelTask.Start("restored", restore.Mm, () => notCopied = Uaccess.CopyFromUser(seen, Address, Page.Size));
        var waiter = KernelTask.Start("waiter", restore.Mm, () => waitRet = waitFor(Address));
        WaitUntil(() => restored.State == TaskState.Interruptible && waiter.State == TaskState.Killable,
            "the faulting task and the waiter both asleep");
        Assert.False(restore.Daemon.IsResolved(Address));

        restore.Daemon.Receive(Address, contents);
        JoinOrFail(restored);
        JoinOrFail(waiter);

        Assert.Equal(0, notCopied);
        Assert.Equal(contents, seen);
        Assert.Equal(0, waitRet);
        Assert.True(restore.Daemon.IsResolved(Address));
        Assert.Equal(1, restore.Daemon.Placed);
        Assert.False(restore.Daemon.ResolvedWq.HasSleepers);
        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_LostWakeupWhenThePageWasAlreadyReceived()
    {
        Reset();
        using var restore = new LazyRestore();

        // The page server already sent it: it sits in the receive buffer until someone asks.
        restore.Daemon.Receive(Address, PageOf(0x5A));
        var waitRet = int.MinValue;
        var waiter = KernelTask.Start("waiter", restore.Mm, () => waitRet = new BuggyWaiter(restore.Daemon).WaitForPage(Address));

        // The waiter's own request placed the page and woke the queue before the waiter was on it;
        // then it went to sleep anyway. The page is resolved, and nothing will wake the waiter again.
        WaitUntil(() => restore.Daemon.IsResolved(Address) && waiter.State == TaskState.Killable,
            "the page resolved and the waiter asleep");
        AssertHung(waiter, TaskState.Killable);
        Assert.True(restore.Daemon.ResolvedWq.HasSleepers);

        waiter.SendSignal(Signal.SIGKILL);
        JoinOrFail(waiter);
        Assert.Equal(0, waitRet);
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_PageAlreadyReceivedIsSeenAtOnce()
    {
        Reset();
        using var restore = new LazyRestore();
        restore.Daemon.Receive(Address, PageOf(0x5A));
        var waitRet = int.MinValue;
        RunTask("waiter", restore.Mm, () => waitRet = new FixedWaiter(restore.Daemon).WaitForPage(Address));

        Assert.Equal(0, waitRet);
        Assert.True(restore.Daemon.IsResolved(Address));
        Assert.False(restore.Daemon.ResolvedWq.HasSleepers);
        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_SpuriousWakeupIsTakenForResolved()
    {
        Reset();
        using var restore = new LazyRestore();
        var injection = new FaultInjection(seed: 11) { SpuriousWakeupRate = 1.0 };
        var waitRet = int.MinValue;
        KernelTask waiter;
        using (injection.Install())
        {
            waiter = KernelTask.Start("waiter", restore.Mm, () => waitRet = new BuggyWaiter(restore.Daemon).WaitForPage(Address));
        }

        JoinOrFail(waiter);

        // "Resolved", says the waiter; the page is not there.
        Assert.Equal(0, waitRet);
        Assert.False(restore.Daemon.IsResolved(Address));
        Assert.Contains(injection.EventsOf("waiter"), e => e.Kind == InjectionKind.SpuriousWakeup);
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_SpuriousWakeupsGoRoundTheLoop()
    {
        Reset();
        using var restore = new LazyRestore();
        var injection = new FaultInjection(seed: 11) { SpuriousWakeupRate = 1.0 };
        var waitRet = int.MinValue;
        KernelTask waiter;
        using (injection.Install())
        {
            waiter = KernelTask.Start("waiter", restore.Mm, () => waitRet = new FixedWaiter(restore.Daemon).WaitForPage(Address));
        }

        WaitUntil(() => injection.EventsOf("waiter").Count(e => e.Kind == InjectionKind.SpuriousWakeup) >= 3,
            "spurious wakeups of the waiter");
        Assert.False(waiter.HasExited);

        restore.Daemon.Receive(Address, PageOf(0x5A));
        JoinOrFail(waiter);
        Assert.Equal(0, waitRet);
        Assert.True(restore.Daemon.IsResolved(Address));
        AssertNoWarnings();
    }

    /// <summary>A lazily restored process: memory registered with a userfaultfd, and the lazy-pages daemon serving it. Dispose closes the userfaultfd and joins the daemon.</summary>
    private sealed class LazyRestore : IDisposable
    {
        private readonly KernelTask resolver;

        public LazyRestore()
        {
            Mm = new MmStruct();
            Mm.Mmap(Base, Pages * Page.Size, VmFlags.Read | VmFlags.Write, ops: null);
            Uffd = Userfaultfd.Create(Mm);
            Assert.Equal(0, Uffd.Register(Base, Pages * Page.Size, UffdRegisterMode.Missing));
            Daemon = new LazyPagesDaemon(Mm, Uffd, Base, Pages);
            resolver = Daemon.StartResolver();
        }

        public MmStruct Mm { get; }

        public Userfaultfd Uffd { get; }

        public LazyPagesDaemon Daemon { get; }

        public void Dispose()
        {
            Uffd.Release();
            JoinOrFail(resolver);
        }
    }
}
