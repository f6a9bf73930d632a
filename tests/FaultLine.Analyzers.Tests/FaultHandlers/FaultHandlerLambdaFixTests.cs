using System.Threading.Tasks;
using FaultLine.CodeFixes.FaultHandlers;
using Xunit;
using Fix2001 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2001SleepUnderRetryNowaitFix>;
using Fix2002 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2002RetryWithoutAllowRetryFix>;
using Fix2005 = FaultLine.Analyzers.Tests.Verifiers.CodeFixVerifier<FaultLine.Analyzers.FaultHandlers.FaultHandlersAnalyzer, FaultLine.CodeFixes.FaultHandlers.FL2005UninterruptibleSleepFix>;

namespace FaultLine.Analyzers.Tests.FaultHandlers;

/// <summary>The FL2001, FL2002 and FL2005 fixes in lambda handlers and expression-bodied handlers, and where they decline.</summary>
public class FaultHandlerLambdaFixTests
{
    private const string LambdaOps = """
        sealed class LambdaOps : VmOperations
        {
            public Func<VmFault, VmFaultResult> Handler { get; init; } = _ => VmFaultResult.Sigbus;

            public override VmFaultResult Fault(VmFault vmf) => Handler(vmf);
        }
        """;

    private const string Handlers = $$"""
        using System;
        using FaultLine;

        {{LambdaOps}}

        class Ops : VmOperations
        {
            private readonly KMutex mutex = new();

            public override VmFaultResult Fault(VmFault vmf) => {|#0:mutex.LockKillable()|} != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;

            public VmOperations Make() => new LambdaOps
            {
                Handler = vmf =>
                {
                    if ({|#1:mutex.LockKillable()|} != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    if ({|#2:mutex.LockKillable()|} != 0)
                        return VmFaultResult.Sigbus;
                    mutex.Unlock();
                    return VmFaultResult.Nopage;
                },
            };

            public VmOperations MakeShort() => new LambdaOps
            {
                Handler = fault => {|#3:mutex.LockKillable()|} != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage,
            };

            public VmOperations MakeAnonymous() => new LambdaOps
            {
                Handler = delegate (VmFault f)
                {
                    return {|#4:mutex.LockKillable()|} != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                },
            };
        }
        """;

    private static void ExpectHandlers(Fix2001.Test test)
    {
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls KMutex.LockKillable"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(1).WithArguments("lambda in Ops.Make", "calls KMutex.LockKillable"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(2).WithArguments("lambda in Ops.Make", "calls KMutex.LockKillable"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(3).WithArguments("lambda in Ops.MakeShort", "calls KMutex.LockKillable"));
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(4).WithArguments("lambda in Ops.MakeAnonymous", "calls KMutex.LockKillable"));
    }

    [Fact]
    public async Task FL2001_early_Retry_in_lambda_anonymous_and_expression_bodied_handlers_including_Fix_All()
    {
        var test = new Fix2001.Test
        {
            TestCode = Handlers,
            FixedCode = $$"""
                using System;
                using FaultLine;

                {{LambdaOps}}

                class Ops : VmOperations
                {
                    private readonly KMutex mutex = new();

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;

                        return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                    }

                    public VmOperations Make() => new LambdaOps
                    {
                        Handler = vmf =>
                        {
                            if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                                return VmFaultResult.Retry;

                            if (mutex.LockKillable() != 0)
                                return VmFaultResult.Sigbus;
                            mutex.Unlock();
                            if (mutex.LockKillable() != 0)
                                return VmFaultResult.Sigbus;
                            mutex.Unlock();
                            return VmFaultResult.Nopage;
                        },
                    };

                    public VmOperations MakeShort() => new LambdaOps
                    {
                        Handler = fault =>
                        {
                            if ((fault.Flags & FaultFlags.RetryNowait) != 0)
                                return VmFaultResult.Retry;

                            return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                        },
                    };

                    public VmOperations MakeAnonymous() => new LambdaOps
                    {
                        Handler = delegate (VmFault f)
                        {
                            if ((f.Flags & FaultFlags.RetryNowait) != 0)
                                return VmFaultResult.Retry;

                            return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                        },
                    };
                }
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.EarlyRetry,
        };
        ExpectHandlers(test);
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2001_WarnOnOnce_in_lambda_and_expression_bodied_handlers()
    {
        var test = new Fix2001.Test
        {
            TestCode = Handlers,
            FixedCode = $$"""
                using System;
                using FaultLine;

                {{LambdaOps}}

                class Ops : VmOperations
                {
                    private readonly KMutex mutex = new();

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        KernelDebug.WarnOnOnce((vmf.Flags & FaultFlags.RetryNowait) != 0);
                        return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                    }

                    public VmOperations Make() => new LambdaOps
                    {
                        Handler = vmf =>
                        {
                            KernelDebug.WarnOnOnce((vmf.Flags & FaultFlags.RetryNowait) != 0);
                            if (mutex.LockKillable() != 0)
                                return VmFaultResult.Sigbus;
                            mutex.Unlock();
                            if (mutex.LockKillable() != 0)
                                return VmFaultResult.Sigbus;
                            mutex.Unlock();
                            return VmFaultResult.Nopage;
                        },
                    };

                    public VmOperations MakeShort() => new LambdaOps
                    {
                        Handler = fault =>
                        {
                            KernelDebug.WarnOnOnce((fault.Flags & FaultFlags.RetryNowait) != 0);
                            return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                        },
                    };

                    public VmOperations MakeAnonymous() => new LambdaOps
                    {
                        Handler = delegate (VmFault f)
                        {
                            KernelDebug.WarnOnOnce((f.Flags & FaultFlags.RetryNowait) != 0);
                            return mutex.LockKillable() != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
                        },
                    };
                }
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.WarnOnOnce,
        };
        ExpectHandlers(test);
        await test.RunAsync();
    }

    [Fact]
    public async Task FL2001_trylock_or_Retry_and_FL2005_killable_in_a_lambda_handler()
    {
        const string Source = """
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
                    return new HandlerOps(vmf =>
                    {
                        {|#0:mutex.Lock()|};
                        mutex.Unlock();
                        return VmFaultResult.Nopage;
                    });
                }
            }
            """;
        var tryLock = new Fix2001.Test
        {
            TestCode = Source,
            FixedCode = """
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
                        return new HandlerOps(vmf =>
                        {
                            if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            {
                                if (!mutex.TryLock())
                                    return VmFaultResult.Retry;
                            }
                            else
                            {
                                {|#0:mutex.Lock()|};
                            }
                            mutex.Unlock();
                            return VmFaultResult.Nopage;
                        });
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.TryLockOrRetry,
        };
        tryLock.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("lambda in Driver.Make", "calls KMutex.Lock"));
        tryLock.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "lambda in Driver.Make", "KMutex.LockKillable"));
        tryLock.FixedState.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "lambda in Driver.Make", "KMutex.LockKillable"));
        await tryLock.RunAsync();

        var killable = new Fix2005.Test
        {
            TestCode = Source,
            FixedCode = """
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
                        return new HandlerOps(vmf =>
                        {
                            if ({|#0:mutex.LockKillable()|} != 0)
                                return VmFaultResult.Sigbus;
                            mutex.Unlock();
                            return VmFaultResult.Nopage;
                        });
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2005UninterruptibleSleepFix.Killable,
        };
        killable.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2001").WithLocation(0).WithArguments("lambda in Driver.Make", "calls KMutex.Lock"));
        killable.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "lambda in Driver.Make", "KMutex.LockKillable"));
        killable.FixedState.ExpectedDiagnostics.Add(Fix2005.Diagnostic("FL2001").WithLocation(0).WithArguments("lambda in Driver.Make", "calls KMutex.LockKillable"));
        await killable.RunAsync();
    }

    [Fact]
    public async Task FL2002_in_expression_bodied_and_lambda_handlers_including_Fix_All()
    {
        var test = new Fix2002.Test
        {
            TestCode = """
                using System;
                using FaultLine;

                sealed class HandlerOps : VmOperations
                {
                    private readonly Func<VmFault, VmFaultResult> handler;

                    public HandlerOps(Func<VmFault, VmFaultResult> handler) => this.handler = handler;

                    public override VmFaultResult Fault(VmFault vmf) => handler(vmf);

                    public override VmFaultResult PageMkwrite(VmFault vmf) => {|#0:VmFaultResult.Retry|};
                }

                static class Factory
                {
                    private static bool busy;

                    public static VmOperations Make() => new HandlerOps(f => {|#1:VmFaultResult.Retry|});

                    public static VmOperations MakeBlock() => new HandlerOps(f =>
                    {
                        if ((f.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        f.Vma.Mm.MmapReadUnlock();
                        return busy ? {|#2:VmFaultResult.Retry|} : VmFaultResult.Nopage;
                    });
                }
                """,
            FixedCode = """
                using System;
                using FaultLine;

                sealed class HandlerOps : VmOperations
                {
                    private readonly Func<VmFault, VmFaultResult> handler;

                    public HandlerOps(Func<VmFault, VmFaultResult> handler) => this.handler = handler;

                    public override VmFaultResult Fault(VmFault vmf) => handler(vmf);

                    public override VmFaultResult PageMkwrite(VmFault vmf) => (vmf.Flags & FaultFlags.AllowRetry) != 0 ? {|#0:VmFaultResult.Retry|} : VmFaultResult.Sigbus;
                }

                static class Factory
                {
                    private static bool busy;

                    public static VmOperations Make() => new HandlerOps(f => (f.Flags & FaultFlags.AllowRetry) != 0 ? {|#1:VmFaultResult.Retry|} : VmFaultResult.Sigbus);

                    public static VmOperations MakeBlock() => new HandlerOps(f =>
                    {
                        if ((f.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;
                        f.Vma.Mm.MmapReadUnlock();
                        return busy ? ((f.Flags & FaultFlags.AllowRetry) != 0 ? VmFaultResult.Retry : VmFaultResult.Sigbus) : VmFaultResult.Nopage;
                    });
                }
                """,
        };
        test.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2002").WithLocation(0).WithArguments("HandlerOps.PageMkwrite"));
        test.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2003").WithLocation(0).WithArguments("HandlerOps.PageMkwrite", RetryHeld));
        test.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2002").WithLocation(1).WithArguments("lambda in Factory.Make"));
        test.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2003").WithLocation(1).WithArguments("lambda in Factory.Make", RetryHeld));
        test.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2002").WithLocation(2).WithArguments("lambda in Factory.MakeBlock"));
        test.FixedState.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2003").WithLocation(0).WithArguments("HandlerOps.PageMkwrite", RetryHeld));
        test.FixedState.ExpectedDiagnostics.Add(Fix2002.Diagnostic("FL2003").WithLocation(1).WithArguments("lambda in Factory.Make", RetryHeld));
        await test.RunAsync();
    }

    [Fact]
    public async Task An_expression_body_that_throws_becomes_a_throw_statement()
    {
        var test = new Fix2001.Test
        {
            TestCode = """
                using System;
                using FaultLine;

                class Ops : VmOperations
                {
                    private readonly KMutex mutex = new();

                    private static Exception Fail(int error) => new InvalidOperationException(error.ToString());

                    public override VmFaultResult Fault(VmFault vmf) => throw Fail({|#0:mutex.LockKillable()|});
                }
                """,
            FixedCode = """
                using System;
                using FaultLine;

                class Ops : VmOperations
                {
                    private readonly KMutex mutex = new();

                    private static Exception Fail(int error) => new InvalidOperationException(error.ToString());

                    public override VmFaultResult Fault(VmFault vmf)
                    {
                        if ((vmf.Flags & FaultFlags.RetryNowait) != 0)
                            return VmFaultResult.Retry;

                        throw Fail(mutex.LockKillable());
                    }
                }
                """,
            CodeActionEquivalenceKey = FL2001SleepUnderRetryNowaitFix.EarlyRetry,
        };
        test.ExpectedDiagnostics.Add(Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("Ops.Fault", "calls KMutex.LockKillable"));
        await test.RunAsync();
    }

    private const string Unnamed = $$"""
        using System;
        using FaultLine;

        {{LambdaOps}}

        class Ops : VmOperations
        {
            private readonly KMutex mutex = new();

            public VmOperations Make() => new LambdaOps
            {
                Handler = delegate
                {
                    {|#0:mutex.Lock()|};
                    mutex.Unlock();
                    return {|#1:VmFaultResult.Retry|};
                },
            };

            public override VmFaultResult Fault(VmFault vmf) // a comment where the brace would go
                => {|#2:mutex.LockKillable()|} != 0 ? VmFaultResult.Sigbus : VmFaultResult.Nopage;
        }
        """;

    /// <summary>
    /// <c>delegate { ... }</c> gives its VmFault no name, so nothing can test the flags there: the FL2001 and FL2002
    /// fixes decline (the FL2005 one, which needs no name, still applies); an expression body with a comment where
    /// the new brace would go is left alone.
    /// </summary>
    [Fact]
    public async Task Fixes_decline_where_the_VmFault_has_no_name_or_the_layout_is_not_theirs()
    {
        var fix2001 = new Fix2001.Test { TestCode = Unnamed, FixedCode = Unnamed };
        fix2001.ExpectedDiagnostics.AddRange(UnnamedDiagnostics("calls KMutex.Lock"));
        await fix2001.RunAsync();

        var fix2002 = new Fix2002.Test { TestCode = Unnamed, FixedCode = Unnamed };
        fix2002.ExpectedDiagnostics.AddRange(UnnamedDiagnostics("calls KMutex.Lock"));
        await fix2002.RunAsync();

        var fix2005 = new Fix2005.Test
        {
            TestCode = Unnamed,
            FixedCode = Unnamed.Replace("""
                            {|#0:mutex.Lock()|};
                """, """
                            if ({|#0:mutex.LockKillable()|} != 0)
                                return VmFaultResult.Sigbus;
                """),
            CodeActionEquivalenceKey = FL2005UninterruptibleSleepFix.Killable,
        };
        fix2005.ExpectedDiagnostics.AddRange(UnnamedDiagnostics("calls KMutex.Lock"));
        fix2005.FixedState.ExpectedDiagnostics.AddRange(UnnamedDiagnostics("calls KMutex.LockKillable", withFL2005: false));
        await fix2005.RunAsync();
    }

    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult[] UnnamedDiagnostics(string chain, bool withFL2005 = true)
    {
        var list = new System.Collections.Generic.List<Microsoft.CodeAnalysis.Testing.DiagnosticResult>
        {
            Fix2001.Diagnostic("FL2001").WithLocation(0).WithArguments("lambda in Ops.Make", chain),
            Fix2001.Diagnostic("FL2002").WithLocation(1).WithArguments("lambda in Ops.Make"),
            Fix2001.Diagnostic("FL2003").WithLocation(1).WithArguments("lambda in Ops.Make", RetryHeld),
            Fix2001.Diagnostic("FL2001").WithLocation(2).WithArguments("Ops.Fault", "calls KMutex.LockKillable"),
        };
        if (withFL2005)
        {
            list.Add(Fix2001.Diagnostic("FL2005").WithLocation(0).WithArguments("KMutex.Lock", "lambda in Ops.Make", "KMutex.LockKillable"));
        }

        return list.ToArray();
    }

    private const string RetryHeld = "returns VmFaultResult.Retry without releasing the mmap lock on a path where FaultFlags.RetryNowait is not known to be set";
}
