using FaultLine;
using Xunit;
using static FaultLine.Runtime.Tests.TestKit;

namespace FaultLine.Runtime.Tests;

public class SmokeTests
{
    [Fact]
    public void Rule23_UnlockedGupWaitsForTheResolverAndReturnsTheFilledPage()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        long result = 0;
        byte seen = 0;
        var vcpu = KernelTask.Start("vcpu", mm, () =>
        {
            var pages = new Page[1];
            result = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write, pages);
            seen = pages[0].Data[0];
            Gup.PutPage(pages[0]);
        });
        var msg = UffdTestKit.ReadFault(uffd);
        Assert.Equal(UffdEvent.Pagefault, msg.Event);
        Assert.Equal(Base, msg.Address);
        Assert.Equal(Page.Size, uffd.Copy(Base, PageOf(0x5a)));
        JoinOrFail(vcpu);
        Assert.Equal(1, result);
        Assert.Equal(0x5a, seen);
        Assert.Empty(KernelDebug.Warnings);
    }

    [Fact]
    public void Rule19_InterruptibleUnlockedGupLeavesWithEintrOnSigusr1()
    {
        ResetWarnings();
        var mm = UffdMm(1, out var uffd);
        long result = 0;
        var vcpu = KernelTask.Start("vcpu", mm, () => result = Gup.GetUserPagesUnlocked(mm, Base, 1, FollFlags.Write | FollFlags.Interruptible, new Page[1]));
        UffdTestKit.ReadFault(uffd);
        WaitUntilSleeping(vcpu, TaskState.Interruptible);
        vcpu.SendSignal(Signal.SIGUSR1);
        JoinOrFail(vcpu);
        Assert.Equal(-Errno.EINTR, result);
        Assert.Empty(KernelDebug.Warnings);
    }

    /// <summary>The README's 20-line example, verbatim in substance: it must keep working as documented.</summary>
    [Fact]
    public void Readme_RuntimeExampleRunsAsDocumented()
    {
        ResetWarnings();
        var mm = new MmStruct();
        mm.Mmap(0x10000000, 4 * Page.Size, VmFlags.Read | VmFlags.Write, ops: null);
        var uffd = Userfaultfd.Create(mm);
        uffd.Register(0x10000000, 4 * Page.Size, UffdRegisterMode.Missing);

        long got = 0;
        var vcpu = KernelTask.Start("vcpu0", mm, () =>
        {
            var pages = new Page[1];
            got = Gup.GetUserPagesUnlocked(mm, 0x10000000, 1, FollFlags.Write | FollFlags.Interruptible, pages);
            if (got == 1) Gup.PutPage(pages[0]);
        });

        UffdMsg msg = UffdTestKit.ReadFault(uffd); // uffd.Read() in the README; polled here under the watchdog
        uffd.Copy(msg.Address, new byte[Page.Size]);
        JoinOrFail(vcpu);
        Assert.Equal(1, got);
        Assert.Empty(KernelDebug.Warnings);
    }
}
