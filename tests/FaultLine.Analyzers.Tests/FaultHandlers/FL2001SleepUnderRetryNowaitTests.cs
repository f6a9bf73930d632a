using System.Threading.Tasks;
using Xunit;
using Verify = FaultLine.Analyzers.Tests.Verifiers.AnalyzerVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

public class FL2001SleepUnderRetryNowaitTests
{
    [Fact]
    public async Task Direct_page_lock_without_any_flag_test_is_reported_at_the_call()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    var page = vmf.Page!;
                    {|#0:page.Lock()|};
                    page.Unlock();
                    return VmFaultResult.None;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls Page.Lock"),
            Verify.Diagnostic("FL2005").WithLocation(0).WithArguments("Page.Lock", "Ops.Fault", "Filemap.LockPageOrRetry"));
    }

    [Fact]
    public async Task Chain_through_helpers_is_named_in_the_message()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class FrameBuffer
            {
                private readonly WaitQueueHead wq = new();
                private bool ready;

                public void WaitForPage() => Wait.Event(wq, () => ready);
            }

            class Ops : VmOperations
            {
                private readonly FrameBuffer fb = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    {|#0:fb.WaitForPage()|};
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls FrameBuffer.WaitForPage, which calls Wait.Event"));
    }

    [Fact]
    public async Task Deep_and_recursive_helpers_terminate_and_report_the_shortest_chain()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            static class Deep
            {
                public static void A(int n) { if (n > 0) B(n - 1); }
                public static void B(int n) { if (n > 0) A(n - 1); C(); }
                public static void C() => Sched.Schedule();
                public static void Ping(int n) { if (n > 0) Pong(n - 1); }
                public static void Pong(int n) { if (n > 0) Ping(n - 1); }
            }

            class Ops : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    Deep.Ping(3);
                    {|#0:Deep.A(3)|};
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls Deep.A, which calls Deep.B, which calls Deep.C, which calls Sched.Schedule"));
    }

    [Fact]
    public async Task DotNet_blocking_apis_are_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System.Threading;
            using System.Threading.Tasks;
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly object gate = new();
                private readonly SemaphoreSlim semaphore = new(1);
                private Task<int> pending = Task.FromResult(1);

                public override VmFaultResult Fault(VmFault vmf)
                {
                    {|#0:Thread.Sleep(1)|};
                    {|#1:lock (gate)|}
                    {
                    }

                    {|#2:semaphore.Wait()|};
                    var n = {|#3:pending.Result|};
                    return n > 0 ? VmFaultResult.Nopage : VmFaultResult.Sigbus;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls Thread.Sleep"),
            Verify.Diagnostic("FL2001").WithLocation(1).WithArguments("Ops.Fault", "calls Monitor.Enter"),
            Verify.Diagnostic("FL2001").WithLocation(2).WithArguments("Ops.Fault", "calls SemaphoreSlim.Wait"),
            Verify.Diagnostic("FL2001").WithLocation(3).WithArguments("Ops.Fault", "calls Task.Result"));
    }

    [Fact]
    public async Task User_MaySleep_attribute_on_an_interface_member_is_a_seed()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            interface IBackend
            {
                [MaySleep]
                void Fetch(ulong address);

                void Peek(ulong address);
            }

            class Ops : VmOperations
            {
                private readonly IBackend backend;

                public Ops(IBackend backend) => this.backend = backend;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    backend.Peek(vmf.Address);
                    {|#0:backend.Fetch(vmf.Address)|};
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls IBackend.Fetch"));
    }

    [Fact]
    public async Task Unannotated_virtual_interface_and_delegate_calls_are_not_assumed_to_sleep()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System;
            using FaultLine;

            interface IBackend { void Fetch(ulong address); }

            abstract class Base
            {
                public virtual void Prepare() => Sched.Schedule();
            }

            class Ops : VmOperations
            {
                private readonly IBackend backend;
                private readonly Base other;
                private readonly Action callback;

                public Ops(IBackend backend, Base other, Action callback)
                {
                    this.backend = backend;
                    this.other = other;
                    this.callback = callback;
                }

                public override VmFaultResult Fault(VmFault vmf)
                {
                    backend.Fetch(vmf.Address);
                    other.Prepare();
                    callback();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task Trylocks_and_spinlocks_do_not_sleep()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();
                private readonly KSpinLock spin = new();
                private readonly RwSemaphore sem = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    spin.Lock();
                    spin.Unlock();
                    if (!vmf.Vma.Mm.MmapReadTrylock())
                        return VmFaultResult.Sigbus;
                    vmf.Vma.Mm.MmapReadUnlock();
                    if (!mutex.TryLock())
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    if (!sem.DownReadTrylock())
                        return VmFaultResult.Sigbus;
                    sem.UpRead();
                    if (vmf.Page is { } page && page.TryLock())
                        page.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Theory]
    [InlineData("if ((vmf.Flags & FaultFlags.RetryNowait) != 0) return VmFaultResult.Retry;")]
    [InlineData("if ((FaultFlags.RetryNowait & vmf.Flags) == FaultFlags.RetryNowait) return VmFaultResult.Retry;")]
    [InlineData("if (vmf.Flags.HasFlag(FaultFlags.RetryNowait)) return VmFaultResult.Retry;")]
    [InlineData("bool nowait = (vmf.Flags & FaultFlags.RetryNowait) != 0; if (nowait) return VmFaultResult.Retry;")]
    [InlineData("var flags = vmf.Flags; if ((flags & FaultFlags.RetryNowait) != 0) return VmFaultResult.Retry;")]
    [InlineData("if (Helpers.IsNowait(vmf)) return VmFaultResult.Retry;")]
    [InlineData("if (vmf.NoWait()) return VmFaultResult.Retry;")]
    [InlineData("if (!((vmf.Flags & FaultFlags.RetryNowait) == 0)) return VmFaultResult.Retry;")]
    [InlineData("if ((vmf.Flags & FaultFlags.AllowRetry) == 0) return VmFaultResult.Sigbus; if ((vmf.Flags & FaultFlags.RetryNowait) != 0) return VmFaultResult.Retry;")]
    [InlineData("KernelDebug.WarnOnOnce((vmf.Flags & FaultFlags.RetryNowait) != 0);")]
    public async Task A_dominating_RetryNowait_guard_in_any_spelling_silences_the_rule(string guard)
    {
        await Verify.VerifyAnalyzerAsync($$"""
            using FaultLine;

            static class Helpers
            {
                public static bool IsNowait(VmFault vmf) => (vmf.Flags & FaultFlags.RetryNowait) != 0;

                public static bool NoWait(this VmFault vmf)
                {
                    return vmf.Flags.HasFlag(FaultFlags.RetryNowait);
                }
            }

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    {{guard}}
                    if (mutex.LockKillable() != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """);
    }

    [Fact]
    public async Task A_guard_that_does_not_leave_the_handler_does_not_silence()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();
                private int nowaitFaults;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        nowaitFaults++;
                    if ({|#0:mutex.LockKillable()|} != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls KMutex.LockKillable"));
    }

    [Fact]
    public async Task Sleeping_only_on_the_branch_where_RetryNowait_is_set_is_reported()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) == 0)
                        return VmFaultResult.Sigbus;
                    {|#0:mutex.LockKillable()|};
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls KMutex.LockKillable"));
    }

    [Fact]
    public async Task RetryNowait_aware_runtime_helpers_are_not_may_sleep_under_RetryNowait()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class FileOps : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf)
                {
                    var page = vmf.Page!;
                    var ret = Filemap.LockPageOrRetry(page, vmf);
                    if (ret != VmFaultResult.None)
                        return ret;
                    page.Unlock();
                    return VmFaultResult.Locked;
                }
            }

            class UffdOps : VmOperations
            {
                public override VmFaultResult Fault(VmFault vmf) => Userfaultfd.HandleUserfault(vmf, UffdReason.Missing);
            }
            """);
    }

    [Fact]
    public async Task Helper_receiving_the_VmFault_is_read_under_RetryNowait_and_its_own_guard_counts()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            static class Io
            {
                public static VmFaultResult Guarded(VmFault vmf, KMutex mutex)
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return mutex.TryLock() ? VmFaultResult.None : VmFaultResult.Retry;
                    mutex.LockKillable();
                    return VmFaultResult.None;
                }

                public static void Unguarded(VmFault vmf, KMutex mutex) => mutex.Lock();
            }

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var fault = vmf;
                    var ret = Io.Guarded(fault, mutex);
                    if (ret != VmFaultResult.None)
                        return ret;
                    mutex.Unlock();
                    {|#0:Io.Unguarded(vmf, mutex)|};
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls Io.Unguarded, which calls KMutex.Lock"));
    }

    [Fact]
    public async Task PageMkwrite_override_is_a_handler_and_plain_methods_are_not()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf) => VmFaultResult.Sigbus;

                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    {|#0:mutex.Lock()|};
                    mutex.Unlock();
                    return VmFaultResult.None;
                }

                public void NotAHandler() => mutex.Lock();
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.PageMkwrite", "calls KMutex.Lock"),
            Verify.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "Ops.PageMkwrite", "KMutex.LockKillable"));
    }

    [Fact]
    public async Task Lambda_handlers_are_handlers_and_other_lambdas_are_not()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System;
            using FaultLine;

            sealed class HandlerOps : VmOperations
            {
                private readonly Func<VmFault, VmFaultResult> handler;

                public HandlerOps(Func<VmFault, VmFaultResult> handler) => this.handler = handler;

                public override VmFaultResult Fault(VmFault vmf) => handler(vmf);
            }

            class Driver
            {
                private readonly KMutex mutex = new();

                public VmOperations Make()
                {
                    Action<VmFault> notAHandler = vmf => mutex.LockKillable();
                    notAHandler(null!);
                    return new HandlerOps(vmf =>
                    {
                        if ({|#0:mutex.LockKillable()|} != 0)
                            return VmFaultResult.Sigbus;
                        mutex.Unlock();
                        return VmFaultResult.Nopage;
                    });
                }

                public VmOperations Guarded() => new HandlerOps(vmf =>
                {
                    if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                        return VmFaultResult.Retry;
                    return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                });
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("lambda in Driver.Make", "calls KMutex.LockKillable"));
    }

    [Fact]
    public async Task Compound_bool_locals_and_helpers_keep_what_each_side_proves()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            static class Policy
            {
                public static bool CanWait(VmFault v) => (v.Flags & FaultFlags.AllowRetry) != 0 && (v.Flags & FaultFlags.RetryNowait) == 0;
            }

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();
                private bool busy;

                public override VmFaultResult Fault(VmFault vmf)
                {
                    bool skip = (vmf.Flags & FaultFlags.RetryNowait) != 0 || busy;
                    if (skip)
                        return VmFaultResult.Sigbus;
                    return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                }

                public override VmFaultResult PageMkwrite(VmFault vmf)
                {
                    if (Policy.CanWait(vmf))
                    {
                        vmf.Vma.Mm.MmapReadUnlock();
                        mutex.LockKillable();
                        mutex.Unlock();
                        return VmFaultResult.Retry;
                    }

                    bool both = (vmf.Flags & FaultFlags.RetryNowait) != 0 && busy;
                    if (both)
                        return VmFaultResult.Sigbus;
                    return {|#0:mutex.LockKillable()|} != 0 ? VmFaultResult.Sigbus : VmFaultResult.None;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.PageMkwrite", "calls KMutex.LockKillable"));
    }

    [Fact]
    public async Task More_seeds_file_io_awaiters_annotated_user_methods_and_annotated_base_members()
    {
        await Verify.VerifyAnalyzerAsync("""
            using System.IO;
            using System.Threading.Tasks;
            using FaultLine;

            abstract class Backend
            {
                [MaySleep]
                public abstract void Fetch();
            }

            sealed class DiskBackend : Backend
            {
                public override void Fetch() { }
            }

            static class Native
            {
                [MaySleep]
                public static void Doorbell() { }
            }

            class Ops : VmOperations
            {
                private readonly DiskBackend disk = new();
                private readonly MemoryStream memory = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    var bytes = {|#0:File.ReadAllBytes("/dev/mem")|};
                    {|#1:Task.Delay(1).GetAwaiter().GetResult()|};
                    {|#2:Native.Doorbell()|};
                    {|#3:disk.Fetch()|};
                    memory.Read(bytes, 0, 0);
                    return VmFaultResult.Nopage;
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls File.ReadAllBytes"),
            Verify.Diagnostic("FL2001").WithLocation(1).WithArguments("Ops.Fault", "calls TaskAwaiter.GetResult"),
            Verify.Diagnostic("FL2001").WithLocation(2).WithArguments("Ops.Fault", "calls Native.Doorbell"),
            Verify.Diagnostic("FL2001").WithLocation(3).WithArguments("Ops.Fault", "calls DiskBackend.Fetch"));
    }

    [Fact]
    public async Task Local_functions_are_followed()
    {
        await Verify.VerifyAnalyzerAsync("""
            using FaultLine;

            class Ops : VmOperations
            {
                private readonly KMutex mutex = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    {|#0:Take(vmf)|};
                    mutex.Unlock();
                    {|#1:Again()|};
                    mutex.Unlock();
                    return VmFaultResult.Nopage;

                    void Take(VmFault fault) => mutex.LockKillable();
                    void Again() => mutex.LockKillable();
                }
            }
            """,
            Verify.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls Ops.Take, which calls KMutex.LockKillable"),
            Verify.Diagnostic("FL2001").WithLocation(1).WithArguments("Ops.Fault", "calls Ops.Again, which calls KMutex.LockKillable"));
    }

    [Fact]
    public async Task Nothing_is_reported_without_the_runtime()
    {
        await Verify.VerifyWithoutRuntimeAsync("""
            class VmFault { }
            abstract class VmOperations { public abstract int Fault(VmFault vmf); }
            class Ops : VmOperations
            {
                public override int Fault(VmFault vmf) { System.Threading.Thread.Sleep(1); return 0; }
            }
            """);
    }
}
