using System.Threading.Tasks;
using FaultLine.Analyzers.FaultHandlers;
using FaultLine.CodeFixes.FaultHandlers;
using Xunit;
using Fix2001 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2001SleepUnderRetryNowaitFix>;
using Fix2002 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2002RetryWithoutAllowRetryFix>;
using Fix2005 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2005UninterruptibleSleepFix>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

public class FaultHandlerFixTests
{
    private const string TwoHandlers = """
        using FaultLine;

        class A : VmOperations
        {
            private readonly KMutex mutex = new();

            public override VmFaultResult Fault(VmFault vmf)
            {
                {|#0:mutex.Lock()|};
                mutex.Unlock();
                {|#1:mutex.Lock()|};
                mutex.Unlock();
                return VmFaultResult.Nopage;
            }
        }

        class B : VmOperations
        {
            private readonly WaitQueueHead wq = new();
            private volatile bool ready;

            public override VmFaultResult Fault(VmFault fault)
            {
                {|#2:Wait.Event(wq, () => ready)|};
                return VmFaultResult.Nopage;
            }
        }
        """;

    [Fact]
    public async Task FL2001_early_Retry_guard_is_added_once_per_handler_including_Fix_All()
    {
        var test = new Fix2001.Test
        {
            TestCode = TwoHandlers,
            FixedCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private readonly KMutex mutex = new();

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;

                        {|#0:mutex.Lock()|};
                        mutex.Unlock();
                        {|#1:mutex.Lock()|};
                        mutex.Unlock();
                        return VmFaultResult.Nopage;
                    }
                }

                class B : VmOperations
                {
                    private readonly WaitQueueHead wq = new();
                    private volatile bool ready;

                    public override VmFaultResult Fault(VmFault fault)
                    {
                        if ((fault.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;

                        {|#2:Wait.Event(wq, () => ready)|};
                        return VmFaultResult.Nopage;
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.EarlyRetry,
        };
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("A.Fault", "calls KMutex.Lock"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(1).WithArguments("A.Fault", "calls KMutex.Lock"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(2).WithArguments("B.Fault", "calls Wait.Event"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "A.Fault", "KMutex.LockKillable"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(1).WithArguments("KMutex.Lock", "A.Fault", "KMutex.LockKillable"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(2).WithArguments("Wait.Event", "B.Fault", "Wait.EventKillable"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "A.Fault", "KMutex.LockKillable"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(1).WithArguments("KMutex.Lock", "A.Fault", "KMutex.LockKillable"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(2).WithArguments("Wait.Event", "B.Fault", "Wait.EventKillable"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2001_WarnOnOnce_is_added_at_the_top()
    {
        var test = new Fix2001.Test
        {
            TestCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private readonly KMutex mutex = new();

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ({|#0:mutex.LockKillable()|} != 0)
                            return VmFaultResult.Sigbus;
                        mutex.Unlock();
                        return VmFaultResult.Nopage;
                    }
                }
                """,
            FixedCode = """
                using FaultLine;

                class A : VmOperations
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
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.WarnOnOnce,
        };
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("A.Fault", "calls KMutex.LockKillable"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2001_trylock_or_Retry_replaces_each_lock_statement()
    {
        var test = new Fix2001.Test
        {
            TestCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private readonly RwSemaphore sem = new();

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        {|#0:sem.DownRead()|};
                        sem.UpRead();
                        {|#1:vmf.Page!.Lock()|};
                        vmf.Page!.Unlock();
                        return VmFaultResult.Nopage;
                    }
                }
                """,
            FixedCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private readonly RwSemaphore sem = new();

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        {
                            if (!sem.DownReadTrylock())
                                return VmFaultResult.Retry;
                        }
                        else
                        {
                            {|#0:sem.DownRead()|};
                        }
                        sem.UpRead();
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        {
                            if (!vmf.Page!.TryLock())
                                return VmFaultResult.Retry;
                        }
                        else
                        {
                            {|#1:vmf.Page!.Lock()|};
                        }
                        vmf.Page!.Unlock();
                        return VmFaultResult.Nopage;
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.TryLockOrRetry,
        };
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("A.Fault", "calls RwSemaphore.DownRead"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(1).WithArguments("A.Fault", "calls Page.Lock"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("RwSemaphore.DownRead", "A.Fault", "RwSemaphore.DownReadKillable"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(1).WithArguments("Page.Lock", "A.Fault", "Filemap.LockPageOrRetry"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("RwSemaphore.DownRead", "A.Fault", "RwSemaphore.DownReadKillable"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(1).WithArguments("Page.Lock", "A.Fault", "Filemap.LockPageOrRetry"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2002_Retry_becomes_Retry_or_Sigbus_on_AllowRetry()
    {
        var test = new Fix2002.Test
        {
            TestCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private bool busy;

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        vmf.Vma.Mm.MmapReadUnlock();
                        if (busy)
                            return {|#0:VmFaultResult.Retry | VmFaultResult.Major|};
                        return {|#1:VmFaultResult.Retry|};
                    }
                }
                """,
            FixedCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private bool busy;

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        vmf.Vma.Mm.MmapReadUnlock();
                        if (busy)
                            return (vmf.Flags & FaultFlags.AllowRetry) != 0 ? (VmFaultResult.Retry | VmFaultResult.Major) : VmFaultResult.Sigbus;
                        return (vmf.Flags & FaultFlags.AllowRetry) != 0 ? VmFaultResult.Retry : VmFaultResult.Sigbus;
                    }
                }
                """,
        };
        test.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2002").WithLocation(0).WithArguments("A.Fault"));
        test.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2002").WithLocation(1).WithArguments("A.Fault"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2005_killable_form_fails_the_fault_when_killed()
    {
        var test = new Fix2005.Test
        {
            TestCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private readonly KMutex mutex = new();
                    private readonly WaitQueueHead wq = new();
                    private volatile bool ready;

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        {|#0:mutex.Lock()|};
                        mutex.Unlock();
                        {|#1:Wait.Event(wq, () => ready)|};
                        return VmFaultResult.Nopage;
                    }
                }
                """,
            FixedCode = """
                using FaultLine;

                class A : VmOperations
                {
                    private readonly KMutex mutex = new();
                    private readonly WaitQueueHead wq = new();
                    private volatile bool ready;

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        if (mutex.LockKillable() != 0)
                            return VmFaultResult.Sigbus;
                        mutex.Unlock();
                        if (Wait.EventKillable(wq, () => ready) != 0)
                            return VmFaultResult.Sigbus;
                        return VmFaultResult.Nopage;
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2005UninterruptibleSleepFix.Killable,
        };
        test.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "A.Fault", "KMutex.LockKillable"));
        test.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2005").WithLocation(1).WithArguments("Wait.Event", "A.Fault", "Wait.EventKillable"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2005_page_lock_becomes_LockPageOrRetry()
    {
        var test = new Fix2005.Test
        {
            TestCode = """
                using FaultLine;

                class A : VmOperations
                {
                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        var page = vmf.Page!;
                        {|#0:page.Lock()|};
                        return VmFaultResult.Locked;
                    }
                }
                """,
            FixedCode = """
                using FaultLine;

                class A : VmOperations
                {
                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        var page = vmf.Page!;
                        var ret = Filemap.LockPageOrRetry(page, vmf);
                        if (ret != VmFaultResult.None)
                            return ret;
                        return VmFaultResult.Locked;
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2005UninterruptibleSleepFix.LockPageOrRetry,
        };
        test.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2005").WithLocation(0).WithArguments("Page.Lock", "A.Fault", "Filemap.LockPageOrRetry"));
        await test.RunAsync();
    }
}
