namespace FaultLine.Package.Tests;

/// <summary>The consumer's source: a GUP caller from the FL1001 tests, as a user would write it.</summary>
internal static class Sources
{
    /// <summary>
    /// Interruptible on GetUserPages, which never drops the mmap lock and so ignores it (FL1001), in the
    /// lock / call / unlock shape for which the code fix moves to GetUserPagesLocked.
    /// </summary>
    public const string Buggy = """
        using FaultLine;

        namespace Consumer;

        public static class Driver
        {
            public static long Grab(MmStruct mm, ulong start, Page[] pages)
            {
                mm.MmapReadLock();
                long ret = Gup.GetUserPages(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages);
                mm.MmapReadUnlock();
                return ret;
            }

            public static void Main()
            {
            }
        }
        """;

    /// <summary>The same call with the warning suppressed around it.</summary>
    public const string Suppressed = """
        using FaultLine;

        namespace Consumer;

        public static class Driver
        {
            public static long Grab(MmStruct mm, ulong start, Page[] pages)
            {
                mm.MmapReadLock();
        #pragma warning disable FL1001 // the caller is never signalled
                long ret = Gup.GetUserPages(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages);
        #pragma warning restore FL1001
                mm.MmapReadUnlock();
                return ret;
            }

            public static void Main()
            {
            }
        }
        """;

    /// <summary>
    /// One rule of each default severity: FL1001 (Warning), FL1008 (Info: lock / GetUserPages / unlock is
    /// GetUserPagesUnlocked) and FL4006 (Error: pinned pages released with PutPage).
    /// </summary>
    public const string OneOfEachSeverity = """
        using FaultLine;

        namespace Consumer;

        public static class Driver
        {
            public static long Grab(MmStruct mm, ulong start, Page[] pages)
            {
                mm.MmapReadLock();
                long ret = Gup.GetUserPages(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages);
                mm.MmapReadUnlock();
                return ret;
            }

            public static long Simpler(MmStruct mm, ulong start, Page[] page)
            {
                mm.MmapReadLock();
                long ret = Gup.GetUserPages(mm, start, 1, FollFlags.Write, page);
                mm.MmapReadUnlock();
                if (ret == 1)
                    Gup.PutPage(page[0]);
                return ret;
            }

            public static long Mismatch(MmStruct mm, ulong start, long count, Page[] pages)
            {
                long ret = Gup.PinUserPagesUnlocked(mm, start, count, FollFlags.Write, pages);
                if (ret <= 0)
                    return ret;
                for (long i = 0; i < ret; i++)
                    Gup.PutPage(pages[i]);
                return 0;
            }

            public static void Main()
            {
            }
        }
        """;

    /// <summary>The 1-based line of the first line of <paramref name="source"/> that contains <paramref name="text"/>.</summary>
    public static int LineOf(string source, string text)
    {
        var lines = source.Split('\n');
        var index = Array.FindIndex(lines, line => line.Contains(text, StringComparison.Ordinal));
        if (index < 0)
        {
            throw new ArgumentException($"'{text}' is not in the source.", nameof(text));
        }

        return index + 1;
    }

    /// <summary>The 1-based column where <paramref name="text"/> starts on its line.</summary>
    public static int ColumnOf(string source, string text)
    {
        var line = source.Split('\n')[LineOf(source, text) - 1];
        return line.IndexOf(text, StringComparison.Ordinal) + 1;
    }
}
