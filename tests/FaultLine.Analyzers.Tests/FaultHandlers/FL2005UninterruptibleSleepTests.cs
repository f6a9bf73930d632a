using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

public class FL2005UninterruptibleSleepTests
{
    [Fact]
    public async Task Uninterruptible_primitives_where_sleeping_is_allowed_are_reported_with_the_killable_form()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();
                private readonly RwSemaphore sem = new();
                private readonly WaitQueueHead wq = new();
                private volatile bool ready;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    {|#0:vmf.Page!.Lock()|};
                    vmf.Page!.Unlock();
                    {|#1:mutex.Lock()|};
                    mutex.Unlock();
                    {|#2:sem.DownRead()|};
                    sem.UpRead();
                    {|#3:Wait.Event(wq, () => ready)|};
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2005").WithLocation(0).WithArguments("Page.Lock", "Ops.Fault", "Filemap.LockPageOrRetry"),
            Verify.Diagnostic("FL2005").WithLocation(1).WithArguments("KMutex.Lock", "Ops.Fault", "KMutex.LockKillable"),
            Verify.Diagnostic("FL2005").WithLocation(2).WithArguments("RwSemaphore.DownRead", "Ops.Fault", "RwSemaphore.DownReadKillable"),
            Verify.Diagnostic("FL2005").WithLocation(3).WithArguments("Wait.Event", "Ops.Fault", "Wait.EventKillable"));
    }

    [Fact]
    public async Task Killable_known_clear_and_killable_forms_are_silent()
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
                    if ((vmf.Flags & FaultFlags.Killable) == 0)
                    {
                        mutex.Lock();
                        mutex.Unlock();
                        return VmFaultResult.Nopage;
                    }

                    if (mutex.LockKillable() != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }
}
