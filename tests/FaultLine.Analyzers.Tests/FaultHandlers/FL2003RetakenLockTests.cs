using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

/// <summary>FL2003's re-take case: the lock released, taken again, and a non-Retry result returned as if it had been held all along.</summary>
public class FL2003RetakenLockTests
{
    internal static string Retaken(string result) =>
        $"returns {result} after releasing the mmap lock and re-taking it, as if it had been held all along "
        + "(the VMAs may have changed meanwhile): return VmFaultResult.Retry after releasing the lock instead of re-taking it";

    [Fact]
    public async Task Killable_and_try_retakes_followed_by_a_non_Retry_result_are_reported_where_they_succeeded()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly WaitQueueHead wq = new();
                private bool ready;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var mm = vmf.Vma.Mm;
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    mm.MmapReadUnlock();
                    if (Wait.EventKillable(wq, () => ready) != 0)
                        return VmFaultResult.Retry;
                    if (mm.MmapReadLockKillable() != 0)
                        return VmFaultResult.Retry;
                    return {|#0:VmFaultResult.Nopage|};
                }

                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    var mm = vmf.Vma.Mm;
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    mm.MmapLock.UpRead();
                    if (!mm.MmapLock.DownReadTrylock())
                        return VmFaultResult.Retry;
                    return ready ? {|#1:VmFaultResult.Sigbus|} : {|#2:VmFaultResult.Locked|};
                }
            }
            """,
            Verify.Diagnostic("FL2003").WithLocation(0).WithArguments("Ops.Fault", Retaken("VmFaultResult.Nopage")),
            Verify.Diagnostic("FL2003").WithLocation(1).WithArguments("Ops.PageMkwrite", Retaken("VmFaultResult.Sigbus")),
            Verify.Diagnostic("FL2003").WithLocation(2).WithArguments("Ops.PageMkwrite", Retaken("VmFaultResult.Locked")));
    }

    [Fact]
    public async Task Lambda_handlers_are_checked_too()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System;
            using FaultLine;

            sealed class LambdaOps : VmOperations
            {
                public Func<VmFault, VmFaultResult> Handler { get; init; } = _ => VmFaultResult.Sigbus;

                public override VmFaultResult Fault(VmFault vmf) => Handler(vmf);
            }

            static class Factory
            {
                public static VmOperations Make() => new LambdaOps
                {
                    Handler = vmf =>
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                            return VmFaultResult.Sigbus;
                        vmf.Vma.Mm.MmapReadUnlock();
                        if (vmf.Vma.Mm.MmapReadLockKillable() == 0)
                            return {|#0:VmFaultResult.Nopage|};
                        return VmFaultResult.Retry;
                    },
                };
            }
            """,
            Verify.Diagnostic("FL2003").WithLocation(0).WithArguments("lambda in Factory.Make", Retaken("VmFaultResult.Nopage")));
    }

    [Fact]
    public async Task Legal_and_uncertain_shapes_stay_silent()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            static class Helper
            {
                public static void Drop(VmFault vmf) => vmf.Vma.Mm.MmapReadUnlock();
            }

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();
                private readonly RwSemaphore tableLock = new();
                private bool slow;

                // Released, and Retry returned: the contract.
                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        return VmFaultResult.Sigbus;
                    vmf.Vma.Mm.MmapReadUnlock();
                    return VmFaultResult.Retry;
                }

                // The mmap lock never touched; other locks taken and released.
                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    if (mutex.LockKillable() != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    if (tableLock.DownReadKillable() != 0)
                        return VmFaultResult.Sigbus;
                    tableLock.UpRead();
                    return VmFaultResult.Nopage;
                }

                // Released and re-taken on one path only: not certain, silent.
                public VmFaultResult OnePath(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    var mm = vmf.Vma.Mm;
                    if (slow)
                    {
                        mm.MmapReadUnlock();
                        if (mm.MmapReadLockKillable() != 0)
                            return VmFaultResult.Retry;
                    }

                    return VmFaultResult.Nopage;
                }

                // Released by a helper (the handler cannot tell), then re-taken: silent.
                public VmFaultResult ThroughHelper(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    Helper.Drop(vmf);
                    if (vmf.Vma.Mm.MmapReadLockKillable() != 0)
                        return VmFaultResult.Retry;
                    return VmFaultResult.Nopage;
                }

                // The re-take's result kept in a local: not followed, silent.
                public VmFaultResult StoredResult(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    vmf.Vma.Mm.MmapReadUnlock();
                    var err = vmf.Vma.Mm.MmapReadLockKillable();
                    return err != 0 ? VmFaultResult.Retry : VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task Under_RetryNowait_the_release_is_FL2004s_and_the_retake_is_not_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    var mm = vmf.Vma.Mm;
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                    {
                        {|#0:mm.MmapReadUnlock()|};
                        if (!mm.MmapReadTrylock())
                            return VmFaultResult.Sigbus;
                        return VmFaultResult.Nopage;
                    }

                    return VmFaultResult.Sigbus;
                }
            }
            """,
            Verify.Diagnostic("FL2004").WithLocation(0).WithArguments("Ops.Fault"));
    }
}
