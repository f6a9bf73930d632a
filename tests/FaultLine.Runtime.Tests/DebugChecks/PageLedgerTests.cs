using FaultLine;
using Xunit;

namespace FaultLine.Runtime.Tests.DebugChecks;

/// <summary>
/// The per-task ledger behind the FL4005 exit check keeps its own hash table; it must count exactly
/// like a dictionary through growth and deletions, for pages with consecutive pfns as GUP takes them.
/// </summary>
public class PageLedgerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TheLedgerCountsLikeADictionaryThroughGrowthAndDeletion(int seed)
    {
        var random = new Random(seed);
        var pages = Enumerable.Range(0, 700).Select(_ => new Page()).ToArray();
        var ledger = new PageLedger();
        var pins = new Dictionary<Page, int>();
        var refs = new Dictionary<Page, int>();

        // Phases that mostly take, then mostly give back, so that the table both grows and empties.
        foreach (var takeShare in new[] { 0.8, 0.3, 0.7, 0.2 })
        {
            for (var step = 0; step < 20_000; step++)
            {
                var page = pages[random.Next(pages.Length)];
                var pin = random.Next(2) == 0;
                var book = pin ? pins : refs;
                if (random.NextDouble() < takeShare)
                {
                    ledger.Took(page, pin);
                    book[page] = book.GetValueOrDefault(page) + 1;
                    continue;
                }

                var holds = book.TryGetValue(page, out var n);
                Assert.Equal(holds, ledger.Gave(page, pin));
                if (n == 1)
                {
                    book.Remove(page);
                }
                else if (holds)
                {
                    book[page] = n - 1;
                }
            }

            Assert.Equal(pins.Values.Sum(), ledger.Outstanding(pin: true));
            Assert.Equal(refs.Values.Sum(), ledger.Outstanding(pin: false));
        }

        // Every page gives back exactly what it still holds, and then nothing more.
        foreach (var page in pages)
        {
            Assert.Equal(pins.GetValueOrDefault(page), GiveAll(ledger, page, pin: true));
            Assert.Equal(refs.GetValueOrDefault(page), GiveAll(ledger, page, pin: false));
        }

        Assert.Equal(0, ledger.Outstanding(pin: true));
        Assert.Equal(0, ledger.Outstanding(pin: false));
    }

    private static int GiveAll(PageLedger ledger, Page page, bool pin)
    {
        var given = 0;
        while (ledger.Gave(page, pin))
        {
            given++;
        }

        return given;
    }
}
