using System.Collections.Concurrent;
using System.Diagnostics;

namespace FaultLine.Benchmarks;

/// <summary>
/// Runtime throughput (issue 8, item 3): the lockless fast GUP against ConcurrentDictionary lookups
/// of the same pages, the userfaultfd fault-to-resolution round trip, and GUP of 1M pages across 4
/// tasks.
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

    /// <summary>
    /// GetUserPagesFast on resident pages, per page, against a ConcurrentDictionary of the same pages.
    /// All the loops see the same 4096 addresses in the same order, in the same 512-page batches,
    /// each batch timed alone and its release done off the clock. They run interleaved, in a rotating
    /// order, so that noise from other processes falls on all of them alike; the ratios are taken
    /// pass by pass. The warm-up lasts long enough for tiered compilation to finish (tier 1 and
    /// on-stack replacement), which one warm-up pass did not: early passes ran up to ten times slower.
    /// </summary>
    private static IEnumerable<Result> FastGupVersusDictionary()
    {
        const int pages = 4096;
        const int batch = 512;
        const int rounds = 50;
        const int passes = 15;
        var warmUp = TimeSpan.FromSeconds(2);
        var mm = new MmStruct();
        mm.Mmap(Base, pages * (ulong)Page.Size, VmFlags.Read | VmFlags.Write, null);

        var samples = new Samples();
        var trackedBefore = KernelDebug.TrackPageOwners;
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

            // The same pages behind a dictionary, each with a count to take, as a hashed page table would hold them.
            var dictionary = new ConcurrentDictionary<ulong, Frame>();
            var frames = new Frame[pages];
            for (var i = 0; i < pages; i++)
            {
                frames[i] = new Frame(all[i]);
                dictionary[Base + ((ulong)i << Page.Shift)] = frames[i];
            }

            var loops = new BatchLoop[]
            {
                new(got => LookupOnly(dictionary, got), ReleaseNothing, trackOwners: false),
                new(got => LookupAndTake(dictionary, got), ReleaseFrames, trackOwners: false),
                new(FastGup, PutPages, trackOwners: false),
                new(FastGup, PutPages, trackOwners: true),
                new(got => TakeWithoutLookup(frames, got), ReleaseFrames, trackOwners: false),
            };
            var clock = Stopwatch.StartNew();
            for (var pass = 0; clock.Elapsed < warmUp || pass < 5; pass++)
            {
                foreach (var loop in loops)
                {
                    loop.TimePass(pages, batch, rounds);
                }
            }

            for (var pass = 0; pass < passes; pass++)
            {
                var perPage = new double[loops.Length];
                for (var k = 0; k < loops.Length; k++)
                {
                    var which = (pass + k) % loops.Length;
                    perPage[which] = loops[which].TimePass(pages, batch, rounds) / (pages * (double)rounds);
                }

                samples.Add(perPage);
            }
        });
        try
        {
            task.Join();
        }
        finally
        {
            KernelDebug.TrackPageOwners = trackedBefore;
        }

        var lookup = samples.Median(0);
        var take = samples.Median(1);
        var plain = samples.Median(2);
        var debug = samples.Median(3);
        var floor = samples.Median(4);
        var plainToLookup = samples.Ratio(2, 0);
        var plainToTake = samples.Ratio(2, 1);
        yield return new Result("ConcurrentDictionary lookup, per page", Measure.Ns(lookup), "baseline", null);
        yield return new Result("ConcurrentDictionary lookup + refcount increment + store, per page (lookup+take)", Measure.Ns(take), "baseline (the work of a GUP)", null);
        yield return new Result("refcount increment + store alone, no lookup, per page", $"{Measure.Ns(floor)} = {samples.Ratio(4, 0)} lookup", "floor of any GUP", null);
        yield return new Result("GetUserPagesFast per resident page (owner ledger off)",
            $"{Measure.Ns(plain)} = {plainToTake} lookup+take, {plainToLookup} lookup", "<= 2x lookup+take", plainToTake.Median <= 2.0);
        yield return new Result("GetUserPagesFast per resident page (owner ledger on, the default)",
            $"{Measure.Ns(debug)} = {samples.Ratio(3, 1)} lookup+take, {samples.Ratio(3, 0)} lookup", "informational", null);
    }

    /// <summary>The pure lookups: how many of the batch's pages are present.</summary>
    private static int LookupOnly(ConcurrentDictionary<ulong, Frame> dictionary, BatchRequest got)
    {
        var n = 0;
        for (; n < got.Count; n++)
        {
            if (!dictionary.TryGetValue(got.Start + ((ulong)n << Page.Shift), out _))
            {
                break;
            }
        }

        got.Found = n;
        return 0;
    }

    /// <summary>What a fast GUP does per page on a hashed page table: look up, take a count atomically, store what was taken.</summary>
    private static int LookupAndTake(ConcurrentDictionary<ulong, Frame> dictionary, BatchRequest got)
    {
        var n = 0;
        for (; n < got.Count; n++)
        {
            if (!dictionary.TryGetValue(got.Start + ((ulong)n << Page.Shift), out var frame))
            {
                break;
            }

            Interlocked.Increment(ref frame.Count);
            got.Frames[n] = frame;
        }

        return n;
    }

    /// <summary>The part of a take no page table can save: the atomic increment and the store, on the frames in address order.</summary>
    private static int TakeWithoutLookup(Frame[] frames, BatchRequest got)
    {
        var first = (int)((got.Start - Base) >> Page.Shift);
        for (var n = 0; n < got.Count; n++)
        {
            var frame = frames[first + n];
            Interlocked.Increment(ref frame.Count);
            got.Frames[n] = frame;
        }

        return got.Count;
    }

    private static int FastGup(BatchRequest got)
    {
        var n = Gup.GetUserPagesFast(got.Start, got.Count, FollFlags.Write, got.Pages);
        if (n != got.Count)
        {
            throw new InvalidOperationException($"fast GUP took {n} of {got.Count} resident pages");
        }

        return (int)n;
    }

    private static void ReleaseNothing(BatchRequest got, int n)
    {
    }

    private static void ReleaseFrames(BatchRequest got, int n)
    {
        for (var i = 0; i < n; i++)
        {
            Interlocked.Decrement(ref got.Frames[i].Count);
        }
    }

    private static void PutPages(BatchRequest got, int n)
    {
        for (var i = 0; i < n; i++)
        {
            Gup.PutPage(got.Pages[i]);
        }
    }

    /// <summary>A userfaultfd round trip in microseconds: a vCPU faults on a page, a resolver reads the message and copies the page in.</summary>
    private static double UserfaultRoundTripOnce(int faults)
    {
        var mm = new MmStruct();
        mm.Mmap(Base, (ulong)faults * Page.Size, VmFlags.Read | VmFlags.Write, null);
        var uffd = Userfaultfd.Create(mm);
        uffd.Register(Base, (ulong)faults * Page.Size, UffdRegisterMode.Missing);
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
        return elapsed.TotalMicroseconds / faults;
    }

    /// <summary>The median of five runs of 2000 round trips, after one warm-up run.</summary>
    private static Result UserfaultRoundTrip()
    {
        UserfaultRoundTripOnce(500);
        var runs = Enumerable.Range(0, 5).Select(_ => UserfaultRoundTripOnce(2000)).Order().ToArray();
        return new Result("userfaultfd fault-to-resolution round trip (median of 5 runs)",
            $"{runs[2]:0.0} us (runs {runs[0]:0.0}-{runs[^1]:0.0})", "informational", null);
    }

    /// <summary>Four tasks each fault in and take <paramref name="perTask"/> anonymous pages with the unlocked slow path; the elapsed time.</summary>
    private static TimeSpan PagesAcrossFourTasks(int perTask)
    {
        const int tasks = 4;
        const int batch = 1024;
        var mm = new MmStruct();
        mm.Mmap(Base, tasks * (ulong)perTask * Page.Size, VmFlags.Read | VmFlags.Write, null);
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, tasks).Select(t => KernelTask.Start($"gup-{t}", mm, () =>
        {
            var got = new Page[batch];
            var start = Base + (ulong)t * (ulong)perTask * Page.Size;
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
        return sw.Elapsed;
    }

    /// <summary>The median of three runs of 4 × 256k first-touch pages, after a smaller warm-up run.</summary>
    private static Result MillionPagesAcrossFourTasks()
    {
        const int perTask = 262_144;
        PagesAcrossFourTasks(16_384);
        var runs = Enumerable.Range(0, 3).Select(_ => PagesAcrossFourTasks(perTask).TotalMilliseconds).Order().ToArray();
        var pagesPerSecond = 4 * (double)perTask / (runs[1] / 1000);
        return new Result("GUP of 1M pages (first touch) across 4 tasks (median of 3 runs)",
            $"{runs[1]:0} ms (runs {runs[0]:0}-{runs[^1]:0}), {pagesPerSecond / 1e6:0.00} M pages/s", "informational", null);
    }

    /// <summary>A page behind the benchmark's dictionary, with the count a take increments.</summary>
    private sealed class Frame(Page page)
    {
        public readonly Page Page = page;
        public int Count;
    }

    /// <summary>One batch: where it starts, how many pages, and the arrays the take fills in place.</summary>
    private sealed class BatchRequest(int capacity)
    {
        public ulong Start;
        public int Count;
        public int Found;
        public readonly Page[] Pages = new Page[capacity];
        public readonly Frame[] Frames = new Frame[capacity];
    }

    /// <summary>
    /// One of the compared loops: <c>take</c> fills a batch and returns how many pages <c>release</c>
    /// gives back off the clock, with page-owner tracking set for the whole pass.
    /// </summary>
    private sealed class BatchLoop(Func<BatchRequest, int> take, Action<BatchRequest, int> release, bool trackOwners)
    {
        /// <summary>Nanoseconds spent in <c>take</c> over one pass: every batch of every round, releases not counted.</summary>
        public double TimePass(int pages, int batch, int rounds)
        {
            KernelDebug.TrackPageOwners = trackOwners;
            var got = new BatchRequest(batch) { Count = batch };
            long ticks = 0;
            for (var r = 0; r < rounds; r++)
            {
                for (var first = 0; first < pages; first += batch)
                {
                    got.Start = Base + ((ulong)first << Page.Shift);
                    var t0 = Stopwatch.GetTimestamp();
                    var n = take(got);
                    ticks += Stopwatch.GetTimestamp() - t0;
                    release(got, n);
                }
            }

            return ticks * 1e9 / Stopwatch.Frequency;
        }
    }

    /// <summary>Per-pass nanoseconds per page of each loop; medians and per-pass ratios with their spread.</summary>
    private sealed class Samples
    {
        private readonly List<double[]> passes = new();

        public void Add(double[] perPage) => passes.Add(perPage);

        public double Median(int loop) => MedianOf(passes.Select(p => p[loop]));

        public Spread Ratio(int loop, int baseline)
        {
            var ratios = passes.Select(p => p[loop] / p[baseline]).Order().ToArray();
            return new Spread(MedianOf(ratios), ratios[0], ratios[^1]);
        }

        private static double MedianOf(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
    }

    /// <summary>A per-pass ratio: its median and the lowest and highest pass.</summary>
    private readonly record struct Spread(double Median, double Min, double Max)
    {
        public override string ToString() => $"{Median:0.00}x ({Min:0.00}-{Max:0.00})";
    }
}
