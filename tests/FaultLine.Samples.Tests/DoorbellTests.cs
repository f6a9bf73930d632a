using FaultLine;
using FaultLine.Samples.Doorbell;
using Xunit;
using static FaultLine.Samples.Tests.SampleKit;
using BuggyMailbox = FaultLine.Samples.Doorbell.Buggy.Mailbox;
using FixedMailbox = FaultLine.Samples.Doorbell.Fixed.Mailbox;

namespace FaultLine.Samples.Tests;

/// <summary>
/// A mailbox command that rings a doorbell and sleeps TASK_INTERRUPTIBLE for the completion interrupt.
/// The buggy loop has no signal exit (FL3004: a busy loop, counted by its iterations) and skips
/// finish_wait on the device-gone path (FL3005: reported by the task-exit check).
/// </summary>
public sealed class DoorbellTests
{
    private const uint Opcode = 0x10;

    /// <summary>Either variant's driver behind one shape.</summary>
    private sealed record MailboxUnderTest(Func<(int Ret, uint Result)> Execute, Func<long> Iterations, Func<bool> HasWaiters);

    private static MailboxUnderTest NewMailbox(string variant, MailboxDevice device)
    {
        if (variant == "buggy")
        {
            var b = new BuggyMailbox(device);
            return new MailboxUnderTest(() => (b.Execute(Opcode, out var r), r), () => b.WaitIterations, () => b.HasWaiters);
        }

        var f = new FixedMailbox(device);
        return new MailboxUnderTest(() => (f.Execute(Opcode, out var r), r), () => f.WaitIterations, () => f.HasWaiters);
    }

    /// <summary>Starts a command on its own task and waits until it sleeps for the completion.</summary>
    private static KernelTask StartCommand(MailboxUnderTest mbox, MailboxDevice device, Action<(int Ret, uint Result)> done)
    {
        var task = KernelTask.Start("mbox-user", null, () => done(mbox.Execute()));
        WaitUntil(() => device.CommandPosted && mbox.HasWaiters() && task.State == TaskState.Interruptible,
            "the command posted and its task asleep");
        return task;
    }

    [Theory]
    [InlineData("buggy")]
    [InlineData("fixed")]
    public void CommandCompletes(string variant)
    {
        Reset();
        var device = new MailboxDevice();
        var mbox = NewMailbox(variant, device);
        (int Ret, uint Result) outcome = (int.MinValue, 0);
        var task = StartCommand(mbox, device, r => outcome = r);
        Assert.Equal(Opcode, device.PostedOpcode);

        device.Complete(0, 42);
        JoinOrFail(task);
        Assert.Equal((0, 42u), outcome);
        Assert.False(mbox.HasWaiters());
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_SignalEndsTheWaitWithErestartsys()
    {
        Reset();
        var device = new MailboxDevice();
        var mbox = NewMailbox("fixed", device);
        (int Ret, uint Result) outcome = (int.MinValue, 0);
        var task = StartCommand(mbox, device, r => outcome = r);

        task.SendSignal(Signal.SIGUSR1);
        JoinOrFail(task);
        Assert.Equal(-Errno.ERESTARTSYS, outcome.Ret);
        Assert.True(mbox.Iterations() <= 3, $"{mbox.Iterations()} passes through the wait loop");
        Assert.False(mbox.HasWaiters());

        // The abandoned command's late completion is dropped, and the next command works.
        device.Complete(0, 7);
        var next = StartCommand(mbox, device, r => outcome = r);
        device.Complete(0, 43);
        JoinOrFail(next);
        Assert.Equal((0, 43u), outcome);
        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_SignalTurnsTheWaitIntoABusyLoop()
    {
        Reset();
        var device = new MailboxDevice();
        var mbox = NewMailbox("buggy", device);
        (int Ret, uint Result) outcome = (int.MinValue, 0);
        var task = StartCommand(mbox, device, r => outcome = r);
        var before = mbox.Iterations();

        // Rule 45: schedule() in TASK_INTERRUPTIBLE with a signal pending returns at once; with no
        // signal exit the loop goes round at full speed until the firmware answers.
        task.SendSignal(Signal.SIGUSR1);
        WaitUntil(() => mbox.Iterations() > before + 10_000, "the wait loop spinning");
        Assert.False(task.HasExited);

        device.Complete(0, 42);
        JoinOrFail(task);
        Assert.Equal((0, 42u), outcome);
        Assert.True(mbox.Iterations() > 10_000);

        // Nothing for the debug checks to see: only the static rule (FL3004) and the counter catch it.
        AssertNoWarnings();
    }

    [Fact]
    public void Fixed_SurpriseRemovalReturnsEioWithTheStateRestored()
    {
        Reset();
        var device = new MailboxDevice();
        var mbox = NewMailbox("fixed", device);
        (int Ret, uint Result) outcome = (int.MinValue, 0);
        var stateAfter = TaskState.Uninterruptible;
        var task = KernelTask.Start("mbox-user", null, () =>
        {
            outcome = mbox.Execute();
            stateAfter = KernelTask.Current.State;
        });
        WaitUntil(() => device.CommandPosted && mbox.HasWaiters() && task.State == TaskState.Interruptible,
            "the command posted and its task asleep");

        device.SurpriseRemove();
        JoinOrFail(task);
        Assert.Equal(-Errno.EIO, outcome.Ret);
        Assert.Equal(TaskState.Running, stateAfter);
        Assert.False(mbox.HasWaiters());
        AssertNoWarnings();
    }

    [Fact]
    public void Buggy_SurpriseRemovalLeavesTheTaskInterruptibleAndQueued()
    {
        Reset();
        var device = new MailboxDevice();
        var mbox = NewMailbox("buggy", device);
        (int Ret, uint Result) outcome = (int.MinValue, 0);
        var stateAfter = TaskState.Running;
        var task = KernelTask.Start("mbox-user", null, () =>
        {
            outcome = mbox.Execute();
            stateAfter = KernelTask.Current.State;
        });
        WaitUntil(() => device.CommandPosted && mbox.HasWaiters() && task.State == TaskState.Interruptible,
            "the command posted and its task asleep");

        device.SurpriseRemove();
        JoinOrFail(task);
        Assert.Equal(-Errno.EIO, outcome.Ret);

        // Back in the caller, still TASK_INTERRUPTIBLE, and the wait entry is still on the queue after
        // the task is gone (in C: a dangling on-stack entry). The exit check reports the state: FL3005.
        Assert.Equal(TaskState.Interruptible, stateAfter);
        Assert.True(mbox.HasWaiters());
        Assert.Equal(new[] { "FL3005" }, WarningIds());
    }
}
