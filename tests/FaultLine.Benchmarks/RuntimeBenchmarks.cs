using System.Collections.Concurrent;
using System.Diagnostics;

namespace FaultLine.Benchmarks;

/// <summary>
/// Runtime throughput (issue 8, item 3): the lockless fast GUP against the dictionary lookup it is
/// built on, the userfaultfd fault-to-resolution round trip, and GUP of 1M pages across 4 tasks.
/// </summary>
internal static class RuntimeBenchmarks
{
    private const ulong Base = 0x10000000;

    public static IEnumerable<Result> Run()
    {
        foreach (var r in FastGupVersusDictionary())
        {
            yield return r;
        }

        yield return UserfaultRoundTrip();
        yield return MillionPagesAcrossFourTasks();
    }

    /// <summary>GetUserPagesFast on resident pages, per page, against a ConcurrentDictionary lookup per page.</summary>
    private static IEnumerable<Result> FastGupVersusDictionary()
    {
        const int pages = 4096;
        const int batch = 512;
        const int rounds = 50;
        var mm = new MmStruct();
        mm.Mmap(Base, pages * (ulong)Page.Size, VmFlags.Read | VmFlags.Write, null);
        var dictionary = new ConcurrentDictionary<ulong, object>();
        for (var i = 0; i < pages; i++)
        {
            dictionary[Base + ((ulong)i << Page.Shift)] = new object();
        }

        TimeSpan lookups = default, gupDebug = default, gupPlain = default;
        var task = KernelTask.Start("bench-fast", mm, () =>
        {
            // Fault everything in first: the fast path is for resident pages.
            var all = new Page[pages];
            if (Gup.GetUserPagesUnlocked(mm, Base, pages, FollFlags.Write, all) != pages)
            {
                throw new InvalidOperationException("populate failed");
            }

            foreach (var p in all)
            {
                Gup.PutPage(p);
            }

            var sink = 0;
            lookups = Measure.Median(() =>
            {
                for (var r = 0; r < rounds; r++)
                {
                    for (var i = 0; i < pages; i++)
                    {
                        if (dictionary.TryGetValue(Base + ((ulong)i << Page.Shift), out var o) && o is not null)
                        {
                            sink++;
                        }
                    }
                }
            });

            gupDebug = TimeFast(mm, pages, batch, rounds, trackOwners: true);
            gupPlain = TimeFast(mm, pages, batch, rounds, trackOwners: false);
            GC.KeepAlive(sink);
        });
        task.Join();

        var perLookup = lookups.TotalNanoseconds / (pages * (double)rounds);
        var perPagePlain = gupPlain.TotalNanoseconds / (pages * (double)rounds);
        var perPageDebug = gupDebug.TotalNanoseconds / (pages * (double)rounds);
        yield return new Result("ConcurrentDictionary lookup, per page", Measure.Ns(perLookup), "baseline", null);
        yield return new Result("GetUserPagesFast per resident page (owner ledger off)", $"{Measure.Ns(perPagePlain)} = {perPagePlain / perLookup:0.00}x lookup", "<= 2x lookup", perPagePlain / perLookup <= 2.0);
        yield return new Result("GetUserPagesFast per resident page (owner ledger on, the default)", $"{Measure.Ns(perPageDebug)} = {perPageDebug / perLookup:0.00}x lookup", "informational", null);
    }

    /// <summary>Times only the GUP calls (median of several passes); the releases run off the clock.</summary>
    private static TimeSpan TimeFast(MmStruct mm, int pages, int batch, int rounds, bool trackOwners)
    {
        var previous = KernelDebug.TrackPageOwners;
        KernelDebug.TrackPageOwners = trackOwners;
        try
        {
            var got = new Page[batch];
            var samples = new List<TimeSpan>();
            for (var pass = 0; pass < 6; pass++)
            {
                var inGup = new Stopwatch();
                for (var r = 0; r < rounds; r++)
                {
                    for (var first = 0; first < pages; first += batch)
                    {
                        inGup.Start();
                        var n = Gup.GetUserPagesFast(Base + ((ulong)first << Page.Shift), batch, FollFlags.Write, got);
                        inGup.Stop();
                        for (var i = 0; i < n; i++)
                        {
                            Gup.PutPage(got[i]);
                        }
                    }
                }

                if (pass > 0)
                {
                    samples.Add(inGup.Elapsed);
                }
            }

            samples.Sort();
            return samples[samples.Count / 2];
        }
        finally
        {
            KernelDebug.TrackPageOwners = previous;
        }
    }

    /// <summary>A vCPU faults on a userfaultfd page; a resolver reads the message and copies the page in.</summary>
    private static Result UserfaultRoundTrip()
    {
        const int faults = 2000;
        var mm = new MmStruct();
        mm.Mmap(Base, faults * (ulong)Page.Size, VmFlags.Read | VmFlags.Write, null);
        var uffd = Userfaultfd.Create(mm);
        uffd.Register(Base, faults * (ulong)Page.Size, UffdRegisterMode.Missing);
        var resolver = KernelTask.Start("resolver", mm, () =>
        {
            var data = new byte[Page.Size];
            for (var i = 0; i < faults; i++)
            {
                var msg = uffd.Read();
                uffd.Copy(msg.Address, data);
            }
        });

        var elapsed = TimeSpan.Zero;
        var vcpu = KernelTask.Start("vcpu", mm, () =>
        {
            var page = new Page[1];
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < faults; i++)
            {
                if (Gup.GetUserPagesUnlocked(mm, Base + ((ulong)i << Page.Shift), 1, FollFlags.Write, page) != 1)
                {
                    throw new InvalidOperationException("fault not resolved");
                }

                Gup.PutPage(page[0]);
            }

            elapsed = sw.Elapsed;
        });
        vcpu.Join();
        resolver.Join();
        var perFault = elapsed.TotalMicroseconds / faults;
        return new Result("userfaultfd fault-to-resolution round trip", $"{perFault:0.0} us", "informational", null);
    }

    /// <summary>Four tasks each fault in and take 256k anonymous pages with the unlocked slow path.</summary>
    private static Result MillionPagesAcrossFourTasks()
    {
        const int tasks = 4;
        const int perTask = 262_144;
        const int batch = 1024;
        var mm = new MmStruct();
        mm.Mmap(Base, tasks * (ulong)perTask * Page.Size, VmFlags.Read | VmFlags.Write, null);
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, tasks).Select(t => KernelTask.Start($"gup-{t}", mm, () =>
        {
            var got = new Page[batch];
            var start = Base + (ulong)t * perTask * Page.Size;
            for (var done = 0; done < perTask; done += batch)
            {
                var n = Gup.GetUserPagesUnlocked(mm, start + ((ulong)done << Page.Shift), batch, FollFlags.Write, got);
                if (n != batch)
                {
                    throw new InvalidOperationException($"short GUP: {n}");
                }

                for (var i = 0; i < n; i++)
                {
                    Gup.PutPage(got[i]);
                }
            }
        })).ToList();
        workers.ForEach(w => w.Join());
        var elapsed = sw.Elapsed;
        var pagesPerSecond = tasks * (double)perTask / elapsed.TotalSeconds;
        return new Result("GUP of 1M pages (first touch) across 4 tasks", $"{elapsed.TotalMilliseconds:0} ms, {pagesPerSecond / 1e6:0.00} M pages/s", "informational", null);
    }
}
