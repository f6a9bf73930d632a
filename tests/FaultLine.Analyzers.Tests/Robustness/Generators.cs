using System.Text;

namespace FaultLine.Analyzers.Tests.Robustness;

/// <summary>
/// The generators. Every shape carries the runtime API that each family pre-filters on, inside the pathological part.
/// </summary>
public static class Generators
{
    private const string Prologue = """
        using System;
        using FaultLine;

        #pragma warning disable CS0162, CS0219, CS8321

        """;

    /// <summary>Fields shared by the generated classes: a spin lock, a wait condition, a page array.</summary>
    private const string Fields = """
            private readonly KSpinLock lk = new("patho");
            private readonly MmStruct mm = new();
            private readonly Page[] pages = new Page[1];
            private volatile bool done;
            private long counter;

        """;

    /// <summary>A GUP call with its result used and its pins released.</summary>
    private static string Gup(string address) => $$"""
        { long got = Gup.PinUserPagesFast({{address}}, 1, FollFlags.Write, pages); if (got > 0) Gup.UnpinUserPages(pages, got); }
        """;

    /// <summary>A spin-locked critical section.</summary>
    private const string Locked = "lk.Lock(); counter++; lk.Unlock();";

    /// <summary>A correct interruptible wait loop.</summary>
    private const string WaitLoop = """
        for (;;) { Sched.SetCurrentState(TaskState.Interruptible); if (done) break; if (KernelTask.Current.SignalPending) break; Sched.Schedule(); } Sched.SetCurrentState(TaskState.Running);
        """;

    private static string Payload(string address) => Gup(address) + " " + Locked + " " + WaitLoop;

    private static StringBuilder HandlerClassStart(string name) =>
        new StringBuilder(Prologue)
            .Append("public sealed class ").Append(name).Append(" : VmOperations\n{\n").Append(Fields);

    /// <summary>N nested ifs inside a fault handler, the runtime calls at the innermost level and every 500 levels.</summary>
    public static string NestedIfs(int depth)
    {
        var sb = HandlerClassStart("NestedIfs");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n");
        for (int i = 0; i < depth; i++)
        {
            sb.Append("if (a != ").Append(i).Append("UL) {\n");
            if (i % 500 == 0)
            {
                sb.Append(Payload("a")).Append('\n');
            }
        }

        sb.Append(Payload("a")).Append('\n');
        sb.Append(new string('}', depth)).Append('\n');
        sb.Append("        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>A switch with N cases in a fault handler; every tenth case pins pages, locks, or waits.</summary>
    public static string BigSwitch(int cases)
    {
        var sb = HandlerClassStart("BigSwitch");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n        switch ((long)vmf.Pgoff)\n        {\n");
        for (int i = 0; i < cases; i++)
        {
            sb.Append("case ").Append(i).Append(": ");
            // One case in ten calls the runtime; the rest are plain, which keeps the compiler's share of the time
            // (binding and flow-checking 10k sections) within the CI budget.
            switch (i % 10)
            {
                case 0: sb.Append(Gup("a")); break;
                case 3: sb.Append(Locked); break;
                case 6: sb.Append(WaitLoop); break;
                default: sb.Append("counter += ").Append(i).Append(';'); break;
            }

            sb.Append(" break;\n");
        }

        sb.Append("default: return VmFaultResult.Sigbus;\n        }\n        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>A fault handler of N straight-line statements, the runtime calls every 50 statements.</summary>
    public static string LongMethod(int statements)
    {
        var sb = HandlerClassStart("LongMethod");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n        long x = 0;\n");
        for (int i = 0; i < statements; i++)
        {
            if (i % 50 == 0)
            {
                sb.Append(Payload("a")).Append('\n');
            }
            else
            {
                sb.Append("x += ").Append(i).Append(";\n");
            }
        }

        sb.Append("        counter = x;\n        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>
    /// N lambdas each nested in the body of the previous one, each body with runtime calls, in a fault handler.
    /// Block-bodied lambdas are statements, not one nested expression, so the compiler binds this depth without
    /// CS8078 ("expression too complex").
    /// </summary>
    public static string NestedLambdas(int depth)
    {
        var sb = HandlerClassStart("NestedLambdas");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n");
        for (int i = 0; i < depth; i++)
        {
            sb.Append("Action f").Append(i).Append(" = () => {\n");
            if (i % 100 == 0)
            {
                sb.Append(Payload("a")).Append('\n');
            }
            else
            {
                sb.Append(Locked).Append('\n');
            }
        }

        sb.Append(Payload("a")).Append('\n');
        for (int i = depth - 1; i >= 0; i--)
        {
            sb.Append("};\nf").Append(i).Append("();\n");
        }

        sb.Append("        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>N helpers each calling the next (the last calls the first), each sleeping or pinning, called from a fault handler under a spin lock.</summary>
    public static string HelperCycle(int helpers)
    {
        var sb = HandlerClassStart("HelperCycle");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        lk.Lock();\n        long r = Helper0(vmf.Address, 0);\n        lk.Unlock();\n        return r < 0 ? VmFaultResult.Sigbus : VmFaultResult.None;\n    }\n");
        for (int i = 0; i < helpers; i++)
        {
            int next = (i + 1) % helpers;
            sb.Append("    private long Helper").Append(i).Append("(ulong a, int n)\n    {\n");
            sb.Append("        if (n > 1000) return 0;\n");
            switch (i % 3)
            {
                case 0: sb.Append("        ").Append(Gup("a")).Append('\n'); break;
                case 1: sb.Append("        ").Append(WaitLoop).Append('\n'); break;
                default: sb.Append("        ").Append(Locked).Append('\n'); break;
            }

            sb.Append("        return Helper").Append(next).Append("(a, n + 1) + Gup.GetUserPages(mm, a, 1, FollFlags.None, null);\n    }\n");
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>
    /// One statement whose expression is a left-nested chain of N additions with GUP calls in it: the operation tree
    /// of a single basic-block root is N deep, so any recursive walk over an operation's children overflows. The
    /// compiler binds, lowers and builds graphs for such chains without recursion (it special-cases them).
    /// </summary>
    public static string DeepExpression(int terms)
    {
        var sb = HandlerClassStart("DeepExpression");
        sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n        ").Append(Locked).Append("\n        long x = 0");
        for (int i = 0; i < terms; i++)
        {
            if (i % 1000 == 0)
            {
                sb.Append("\n + Gup.GetUserPagesFast(a, 1, FollFlags.None, pages)");
            }
            else
            {
                sb.Append(" + ").Append(i % 7);
            }
        }

        sb.Append(";\n        counter = x;\n        ").Append(WaitLoop).Append("\n        return VmFaultResult.None;\n    }\n}\n");
        return sb.ToString();
    }

    /// <summary>Ordinary-looking driver classes with fault handlers, GUP callers and wait loops, repeated up to the size.</summary>
    public static string BigFile(int bytes)
    {
        var sb = new StringBuilder(Prologue);
        for (int c = 0; sb.Length < bytes; c++)
        {
            sb.Append("public sealed class Driver").Append(c).Append(" : VmOperations\n{\n").Append(Fields);
            sb.Append("    public override VmFaultResult Fault(VmFault vmf)\n    {\n        ulong a = vmf.Address;\n");
            sb.Append("        if ((vmf.Flags & FaultFlags.AllowRetry) != 0 && done) return VmFaultResult.Retry;\n");
            sb.Append("        ").Append(Gup("a")).Append('\n');
            sb.Append("        return VmFaultResult.None;\n    }\n");
            for (int m = 0; m < 4; m++)
            {
                sb.Append("    public long Work").Append(m).Append("(ulong a)\n    {\n");
                sb.Append("        ").Append(Payload("a")).Append('\n');
                sb.Append("        for (int i = 0; i < 4; i++) { if (i == ").Append(m).Append(") continue; counter += i; }\n");
                sb.Append("        return Leaf").Append(m).Append("(a);\n    }\n");
                sb.Append("    private long Leaf").Append(m).Append("(ulong a) => (long)a;\n");
            }

            sb.Append("}\n");
        }

        return sb.ToString();
    }
}
