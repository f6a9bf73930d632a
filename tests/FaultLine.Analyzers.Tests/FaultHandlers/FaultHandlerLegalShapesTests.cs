using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

/// <summary>Every legal handler shape of SEMANTICS.md rule 34: none of FL2001-FL2005 may fire.</summary>
public class FaultHandlerLegalShapesTests
{
    [Fact]
    public async Task All_three_legal_options_in_one_handler_are_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class DeviceOps : VmOperations
            {
                private readonly KMutex devLock = new("dev->lock");
                private readonly WaitQueueHead wq = new();
                private volatile bool ready;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (devLock.TryLock())
                    {
                        devLock.Unlock();
                        return VmFaultResult.Nopage;
                    }

                    // RetryNowait: Retry without dropping the lock and without sleeping.
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;

                    // First attempt with AllowRetry: drop the lock, wait killably, Retry.
                    if (MmFault.FaultFlagAllowRetryFirst(vmf.Flags))
                    {
                        vmf.Vma.Mm.MmapReadUnlock();
                        Wait.EventKillable(wq, () => ready);
                        return VmFaultResult.Retry;
                    }

                    // Without AllowRetry: block holding the lock (killably), or Sigbus.
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                    {
                        if (devLock.LockKillable() != 0)
                            return VmFaultResult.Sigbus;
                        devLock.Unlock();
                        return VmFaultResult.Nopage;
                    }

                    return VmFaultResult.Sigbus;
                }
            }
            """);
    }

    [Fact]
    public async Task Without_AllowRetry_blocking_while_holding_the_lock_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.AllowRetry) != 0)
                        return VmFaultResult.Sigbus;
                    if (mutex.LockKillable() != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task Trylock_then_Retry_under_RetryNowait_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    bool nowait = vmf.Flags.HasFlag(FaultFlags.RetryNowait);
                    if (nowait)
                    {
                        if (!mutex.TryLock())
                            return VmFaultResult.Retry;
                    }
                    else if (mutex.LockKillable() != 0)
                    {
                        return VmFaultResult.Sigbus;
                    }

                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task Conditional_Retry_or_Sigbus_on_AllowRetry_after_releasing_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if (mutex.TryLock())
                    {
                        mutex.Unlock();
                        return VmFaultResult.Nopage;
                    }

                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    vmf.Vma.Mm.MmapReadUnlock();
                    return (vmf.Flags & FaultFlags.AllowRetry) != 0 ? VmFaultResult.Retry : VmFaultResult.Sigbus;
                }
            }
            """);
    }

    [Fact]
    public async Task WarnOnOnce_stating_the_handler_is_never_called_with_RetryNowait_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    KernelDebug.WarnOnOnce((vmf.Flags & FaultFlags.RetryNowait) != 0);
                    if (mutex.LockKillable() != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task Passing_through_LockPageOrRetry_and_HandleUserfault_results_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Vma.Flags & VmFlags.UffdMissing) != 0)
                        return Userfaultfd.HandleUserfault(vmf, UffdReason.Missing);
                    return Filemap.LockPageOrRetry(vmf.Page!, vmf);
                }
            }
            """);
    }

    [Fact]
    public async Task Retry_constant_spelling_out_the_LockPageOrRetry_result_is_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    var page = vmf.Page!;
                    if (Filemap.LockPageOrRetry(page, vmf) != VmFaultResult.None)
                        return VmFaultResult.Retry;
                    page.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }
}
