using System.Text;

namespace FaultLine.Benchmarks.Analyzers;

/// <summary>
/// Generates a realistic project for the analyzer benchmark: files of about 500 lines in which a
/// third of the methods use FaultLine (GUP callers of every form, fault handlers, wait loops; mostly
/// correct, some with the mistakes the rules catch) and the rest is ordinary code, as in a driver
/// or hypervisor code base where the mm-facing part is a minority. Deterministic for a given seed.
/// </summary>
internal static class CodeCorpus
{
    private const int LinesPerFile = 500;

    /// <summary>About <paramref name="lines"/> lines in files named File{n}.cs; <paramref name="useRuntime"/> false gives plain code only.</summary>
    public static IReadOnlyList<(string Name, string Text)> Generate(int lines, bool useRuntime, int seed = 42)
    {
        var random = new Random(seed);
        var files = new List<(string, string)>();
        var fileIndex = 0;
        var total = 0;
        while (total < lines)
        {
            var text = GenerateFile(fileIndex, random, useRuntime, LinesPerFile);
            files.Add(($"File{fileIndex}.cs", text));
            total += CountLines(text);
            fileIndex++;
        }

        return files;
    }

    /// <summary>One document of about <paramref name="lines"/> lines, for the IDE latency measurement.</summary>
    public static string GenerateDocument(int index, int lines, int seed = 7) =>
        GenerateFile(index, new Random(seed), useRuntime: true, lines);

    public static int CountLines(string text) => text.Count(c => c == '\n');

    private static string GenerateFile(int fileIndex, Random random, bool useRuntime, int targetLines)
    {
        var sb = new StringBuilder();
        sb.AppendLine("using System;");
        sb.AppendLine("using System.Collections.Generic;");
        if (useRuntime)
        {
            sb.AppendLine("using FaultLine;");
        }

        sb.AppendLine();
        sb.AppendLine($"namespace Corpus.N{fileIndex};");
        sb.AppendLine();
        sb.AppendLine($"public sealed class Driver{fileIndex}");
        sb.AppendLine("{");
        var method = 0;
        while (CountLines(sb.ToString()) < targetLines - 30)
        {
            var kind = useRuntime && random.Next(3) == 0 ? random.Next(6) : -1;
            sb.Append(kind switch
            {
                0 => GupCaller(method, random),
                1 => LockedCaller(method, random),
                2 => PinWithPartialCount(method, random),
                3 => WaitLoop(method, random),
                4 => SingleSleep(method),
                5 => PlainWithMmParameter(method),
                _ => PlainMethod(method, random),
            });
            method++;
        }

        sb.AppendLine("}");
        if (useRuntime)
        {
            sb.Append(Handler(fileIndex, random));
        }

        return sb.ToString();
    }

    private static string GupCaller(int i, Random random)
    {
        var flags = random.Next(4) switch
        {
            0 => "FollFlags.Write",
            1 => "FollFlags.Write | FollFlags.Interruptible",
            2 => "FollFlags.None",
            _ => "flags",
        };
        var call = random.Next(2) == 0 ? "Gup.GetUserPagesUnlocked(mm, address, 1, " + flags + ", pages)" : "Gup.GetUserPagesFast(address, 1, FollFlags.Write, pages)";
        return $$"""
                public long Fault{{i}}(MmStruct mm, ulong address, FollFlags flags)
                {
                    var pages = new Page[1];
                    var ret = {{call}};
                    if (ret == -Errno.EINTR || ret == -Errno.EAGAIN)
                    {
                        return ret;
                    }

                    if (ret != 1)
                    {
                        return -Errno.EFAULT;
                    }

                    var data = pages[0].Data[0];
                    Gup.PutPage(pages[0]);
                    return data;
                }

            """;
    }

    private static string LockedCaller(int i, Random random)
    {
        var unlock = random.Next(4) == 0 ? "mm.MmapReadUnlock();" : "if (locked)\n            {\n                mm.MmapReadUnlock();\n            }";
        return $$"""
                public long Populate{{i}}(MmStruct mm, ulong start, long count)
                {
                    var locked = true;
                    mm.MmapReadLock();
                    var pages = new Page[count];
                    var ret = Gup.GetUserPagesLocked(mm, start, count, FollFlags.Write | FollFlags.Interruptible, pages, ref locked);
                    {{unlock}}
                    for (var j = 0; j < ret; j++)
                    {
                        Gup.PutPage(pages[j]);
                    }

                    return ret;
                }

            """;
    }

    private static string PinWithPartialCount(int i, Random random)
    {
        var release = random.Next(3) == 0 ? "" : "Gup.UnpinUserPages(pages, got);";
        return $$"""
                public int Pin{{i}}(ulong buffer, int count)
                {
                    var pages = new Page[count];
                    var got = Gup.PinUserPagesFast(buffer, count, FollFlags.Write | FollFlags.Longterm, pages);
                    if (got < 0)
                    {
                        return (int)got;
                    }

                    if (got != count)
                    {
                        {{release}}
                        return -Errno.EFAULT;
                    }

                    var sum = 0;
                    for (var j = 0; j < got; j++)
                    {
                        sum += pages[j].Data[j % Page.Size];
                    }

                    Gup.UnpinUserPages(pages, got);
                    return sum;
                }

            """;
    }

    private static string WaitLoop(int i, Random random)
    {
        var signalExit = random.Next(3) == 0 ? "" : "if (KernelTask.Current.SignalPending)\n                {\n                    ret = -Errno.ERESTARTSYS;\n                    break;\n                }\n";
        return $$"""
                public int Wait{{i}}(WaitQueueHead wq, Func<bool> done)
                {
                    var entry = new WaitQueueEntry(KernelTask.Current);
                    var ret = 0;
                    for (;;)
                    {
                        Wait.PrepareToWait(wq, entry, TaskState.Interruptible);
                        if (done())
                        {
                            break;
                        }

                        {{signalExit}}
                        Sched.Schedule();
                    }

                    Wait.FinishWait(wq, entry);
                    return ret;
                }

            """;
    }

    private static string SingleSleep(int i) => $$"""
            public int Doorbell{{i}}(WaitQueueHead wq, Func<bool> rang)
            {
                return Wait.EventInterruptible(wq, rang);
            }

        """;

    private static string PlainWithMmParameter(int i) => $$"""
            public int CountVmas{{i}}(MmStruct mm)
            {
                mm.MmapReadLock();
                var n = mm.Vmas.Count;
                mm.MmapReadUnlock();
                return n;
            }

        """;

    private static string PlainMethod(int i, Random random)
    {
        var bound = random.Next(4, 64);
        return $$"""
                public int Checksum{{i}}(IReadOnlyList<byte> data, string label)
                {
                    var sum = label.Length;
                    for (var j = 0; j < data.Count && j < {{bound}}; j++)
                    {
                        sum = unchecked(sum * 31 + data[j]);
                        if ((sum & 1) == 0)
                        {
                            sum ^= j;
                        }
                    }

                    var parts = label.Split(',');
                    foreach (var part in parts)
                    {
                        sum += part.Trim().Length;
                    }

                    return sum;
                }

            """;
    }

    private static string Handler(int fileIndex, Random random)
    {
        var nowaitGuard = random.Next(3) == 0 ? "" : "if ((vmf.Flags & FaultFlags.RetryNowait) != 0)\n            {\n                return VmFaultResult.Retry;\n            }\n";
        return $$"""

            public sealed class BarOps{{fileIndex}} : VmOperations
            {
                private readonly KMutex deviceLock = new();

                public override VmFaultResult Fault(VmFault vmf)
                {
                    if (!deviceLock.TryLock())
                    {
                        {{nowaitGuard}}
                        if ((vmf.Flags & FaultFlags.AllowRetry) == 0)
                        {
                            return VmFaultResult.Sigbus;
                        }

                        vmf.Vma.Mm.MmapReadUnlock();
                        deviceLock.LockKillable();
                        deviceLock.Unlock();
                        return VmFaultResult.Retry;
                    }

                    vmf.Page = new Page();
                    deviceLock.Unlock();
                    return VmFaultResult.None;
                }
            }

            """;
    }
}
