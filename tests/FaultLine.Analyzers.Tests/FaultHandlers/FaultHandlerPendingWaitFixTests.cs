using System.Threading.Tasks;
using FaultLine.CodeFixes.FaultHandlers;
using Xunit;
using Fix2001 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2001SleepUnderRetryNowaitFix>;
using Fix2005 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2005UninterruptibleSleepFix>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

/// <summary>
/// The FL2001 / FL2005 fixes add a return in the middle of a handler. When a wait is pending there (an entry queued,
/// a sleep state set — the hugetlb userfaultfd shape), that return must leave as the handler's own cleanup does
/// (rules 40-46), in the same order; when that cleanup cannot be told, no fix.
/// </summary>
public class FaultHandlerPendingWaitFixTests
{
    // handle_userfault's hugetlb shape before 2ed5c0b3a8f1 moved the vma lock first: entry queued, state Killable,
    // then the sleeping lock (FL2001 and FL2005 on it).
    private const string Hugetlb = """
        using FaultLine;

        sealed class HugetlbUffdOps : VmOperations
        {
            private readonly KSpinLock faultPendingLock = new();
            private readonly WaitQueueHead faultPendingWqh = new();
            private readonly RwSemaphore vmaLock = new();
            private volatile bool pagePresent;

            public override VmFaultResult Fault(VmFault vmf)
            {
                var entry = new WaitQueueEntry(KernelTask.Current);
                faultPendingLock.Lock();
                Wait.AddWaitQueue(faultPendingWqh, entry);
                Sched.SetCurrentState(TaskState.Killable);
                faultPendingLock.Unlock();

                {|#0:vmaLock.DownRead()|};
                bool mustWait = !pagePresent;
                vmaLock.UpRead();

                {|#2:vmf.Vma.Mm.MmapReadUnlock()|};
                if (mustWait)
                    {|#1:Sched.Schedule()|};

                Sched.SetCurrentState(TaskState.Running);
                Wait.RemoveWaitQueue(faultPendingWqh, entry);
                return {|#3:VmFaultResult.Retry|};
            }
        }
        """;

    [Fact]
    public async Task FL2001_trylock_Retry_path_restores_Running_and_dequeues_as_the_cleanup_does()
    {
        var test = new Fix2001.Test
        {
            TestCode = Hugetlb,
            FixedCode = """
                using FaultLine;

                sealed class HugetlbUffdOps : VmOperations
                {
                    private readonly KSpinLock faultPendingLock = new();
                    private readonly WaitQueueHead faultPendingWqh = new();
                    private readonly RwSemaphore vmaLock = new();
                    private volatile bool pagePresent;

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        var entry = new WaitQueueEntry(KernelTask.Current);
                        faultPendingLock.Lock();
                        Wait.AddWaitQueue(faultPendingWqh, entry);
                        Sched.SetCurrentState(TaskState.Killable);
                        faultPendingLock.Unlock();

                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        {
                            if (!vmaLock.DownReadTrylock())
                            {
                                Sched.SetCurrentState(TaskState.Running);
                                Wait.RemoveWaitQueue(faultPendingWqh, entry);
                                return VmFaultResult.Retry;
                            }
                        }
                        else
                        {
                            {|#0:vmaLock.DownRead()|};
                        }
                        bool mustWait = !pagePresent;
                        vmaLock.UpRead();

                        {|#2:vmf.Vma.Mm.MmapReadUnlock()|};
                        if (mustWait)
                            {|#1:Sched.Schedule()|};

                        Sched.SetCurrentState(TaskState.Running);
                        Wait.RemoveWaitQueue(faultPendingWqh, entry);
                        return {|#3:VmFaultResult.Retry|};
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.TryLockOrRetry,
        };
        test.ExpectedDiagnostics.AddRange(HugetlbDiagnostics());

        // FL2001 on the sleeping lock is gone (the else branch runs without RetryNowait); its FL2005 stays, as do the
        // handler's other findings (the fix declines on Schedule(), which has no try form).
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("RwSemaphore.DownRead", "HugetlbUffdOps.Fault", "RwSemaphore.DownReadKillable"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(1).WithArguments("HugetlbUffdOps.Fault", "calls Sched.Schedule"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2004").WithLocation(2).WithArguments("HugetlbUffdOps.Fault"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2002").WithLocation(3).WithArguments("HugetlbUffdOps.Fault"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2005_killable_Sigbus_path_restores_Running_and_dequeues_as_the_cleanup_does()
    {
        var test = new Fix2005.Test
        {
            TestCode = Hugetlb,
            FixedCode = """
                using FaultLine;

                sealed class HugetlbUffdOps : VmOperations
                {
                    private readonly KSpinLock faultPendingLock = new();
                    private readonly WaitQueueHead faultPendingWqh = new();
                    private readonly RwSemaphore vmaLock = new();
                    private volatile bool pagePresent;

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        var entry = new WaitQueueEntry(KernelTask.Current);
                        faultPendingLock.Lock();
                        Wait.AddWaitQueue(faultPendingWqh, entry);
                        Sched.SetCurrentState(TaskState.Killable);
                        faultPendingLock.Unlock();

                        if ({|#0:vmaLock.DownReadKillable()|} != 0)
                        {
                            Sched.SetCurrentState(TaskState.Running);
                            Wait.RemoveWaitQueue(faultPendingWqh, entry);
                            return VmFaultResult.Sigbus;
                        }
                        bool mustWait = !pagePresent;
                        vmaLock.UpRead();

                        {|#2:vmf.Vma.Mm.MmapReadUnlock()|};
                        if (mustWait)
                            {|#1:Sched.Schedule()|};

                        Sched.SetCurrentState(TaskState.Running);
                        Wait.RemoveWaitQueue(faultPendingWqh, entry);
                        return {|#3:VmFaultResult.Retry|};
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2005UninterruptibleSleepFix.Killable,
        };
        test.ExpectedDiagnostics.AddRange(HugetlbDiagnostics());

        // FL2005 is gone; the killable lock still sleeps, so FL2001 stays on it (its own fixes apply there), as do the
        // handler's other findings.
        test.FixedState.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2001").WithLocation(0).WithArguments("HugetlbUffdOps.Fault", "calls RwSemaphore.DownReadKillable"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2001").WithLocation(1).WithArguments("HugetlbUffdOps.Fault", "calls Sched.Schedule"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2004").WithLocation(2).WithArguments("HugetlbUffdOps.Fault"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2002").WithLocation(3).WithArguments("HugetlbUffdOps.Fault"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2005_each_new_return_with_an_entry_queued_removes_it_first_including_Fix_All()
    {
        // Two sleeping locks while an entry is queued (the state still Running, so taking them is legal, rule 46):
        // both killable returns (Fix All) and the LockPageOrRetry return take the entry off, as the cleanup does.
        const string Source = """
            using FaultLine;

            class A : VmOperations
            {
                private readonly KMutex mutex = new();
                private readonly WaitQueueHead wq = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    var page = vmf.Page!;
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.AddWaitQueue(wq, entry);
                    {|FL2005:mutex.Lock()|};
                    mutex.Unlock();
                    {|FL2005:page.Lock()|};
                    page.Unlock();
                    Wait.RemoveWaitQueue(wq, entry);
                    return VmFaultResult.Nopage;
                }
            }
            """;
        await Fix2005.VerifyCodeFixAsync(Source, """
            using FaultLine;

            class A : VmOperations
            {
                private readonly KMutex mutex = new();
                private readonly WaitQueueHead wq = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    var page = vmf.Page!;
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.AddWaitQueue(wq, entry);
                    if (mutex.LockKillable() != 0)
                    {
                        Wait.RemoveWaitQueue(wq, entry);
                        return VmFaultResult.Sigbus;
                    }
                    mutex.Unlock();
                    if (page.LockKillable() != 0)
                    {
                        Wait.RemoveWaitQueue(wq, entry);
                        return VmFaultResult.Sigbus;
                    }
                    page.Unlock();
                    Wait.RemoveWaitQueue(wq, entry);
                    return VmFaultResult.Nopage;
                }
            }
            """, FL2005UninterruptibleSleepFix.Killable);

        // LockPageOrRetry is offered for the page lock only; the mutex keeps its finding.
        var test = new Fix2005.Test
        {
            TestCode = Source,
            FixedCode = """
            using FaultLine;

            class A : VmOperations
            {
                private readonly KMutex mutex = new();
                private readonly WaitQueueHead wq = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    var page = vmf.Page!;
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.AddWaitQueue(wq, entry);
                    {|#0:mutex.Lock()|};
                    mutex.Unlock();
                    var ret = Filemap.LockPageOrRetry(page, vmf);
                    if (ret != VmFaultResult.None)
                    {
                        Wait.RemoveWaitQueue(wq, entry);
                        return ret;
                    }
                    page.Unlock();
                    Wait.RemoveWaitQueue(wq, entry);
                    return VmFaultResult.Nopage;
                }
            }
            """,
            CodeActionEquivalenceKey = FL2005UninterruptibleSleepFix.LockPageOrRetry,
        };
        test.FixedState.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "A.Fault", "KMutex.LockKillable"));
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2001_and_FL2005_decline_when_the_undo_of_a_pending_wait_cannot_be_told()
    {
        // Finished in a finally (a return there already finishes it: copying the cleanup would run it twice), and
        // never finished at all (no cleanup to copy): neither fix adds a return.
        const string Source = """
            using FaultLine;

            class A : VmOperations
            {
                private readonly KMutex mutex = new();
                private readonly WaitQueueHead wq = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.PrepareToWait(wq, entry, TaskState.Killable);
                    try
                    {
                        {|#0:mutex.Lock()|};
                        mutex.Unlock();
                    }
                    finally
                    {
                        Wait.FinishWait(wq, entry);
                    }
                    return VmFaultResult.Nopage;
                }

                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    Wait.AddWaitQueue(wq, entry);
                    {|#1:mutex.Lock()|};
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """;
        var expected = new[]
        {
            Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("A.Fault", "calls KMutex.Lock"),
            Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "A.Fault", "KMutex.LockKillable"),
            Fix2001.Diagnostic("FL2001").WithLocation(1).WithArguments("A.PageMkwrite", "calls KMutex.Lock"),
            Fix2001.Diagnostic("FL2005").WithLocation(1).WithArguments("KMutex.Lock", "A.PageMkwrite", "KMutex.LockKillable"),
        };
        await Fix2001.VerifyCodeFixAsync(Source, Source, FL2001SleepUnderRetryNowaitFix.TryLockOrRetry, expected);
        await Fix2005.VerifyCodeFixAsync(Source, Source, FL2005UninterruptibleSleepFix.Killable, expected);
    }

    /// <summary>What the FL2xxx analyzer reports on <see cref="Hugetlb"/>.</summary>
    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult[] HugetlbDiagnostics() => new[]
    {
        Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("HugetlbUffdOps.Fault", "calls RwSemaphore.DownRead"),
        Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("RwSemaphore.DownRead", "HugetlbUffdOps.Fault", "RwSemaphore.DownReadKillable"),
        Fix2001.Diagnostic("FL2004").WithLocation(2).WithArguments("HugetlbUffdOps.Fault"),
        Fix2001.Diagnostic("FL2001").WithLocation(1).WithArguments("HugetlbUffdOps.Fault", "calls Sched.Schedule"),
        Fix2001.Diagnostic("FL2002").WithLocation(3).WithArguments("HugetlbUffdOps.Fault"),
    };
}
