using System.Text.RegularExpressions;
using FaultLine.Demo;
using Xunit;
using static FaultLine.Samples.Tests.SampleKit;

namespace FaultLine.Samples.Tests;

/// <summary>
/// The demo of the README (`dotnet run --project Samples/FaultLine.Demo`), run in-process through the
/// same entry point Main uses: it must tell the whole postcopy story with the sample's vCPUs, end on
/// its own, and exit 0 only when the story played out as designed.
/// </summary>
public sealed class DemoTests
{
    [Fact]
    public void Demo_TellsTheStoryAsDesignedAndExitsZero()
    {
        Reset();
        var output = new StringWriter();
        var exit = PostcopyDemo.Run(output);
        var text = output.ToString();
        Assert.True(exit == 0, "the demo did not exit 0:\n" + text);

        // Act 1: the buggy vCPU's page request is lost, it sleeps Killable, SIGUSR1 does nothing, the
        // watchdog reports the hang and SIGKILL ends it.
        var buggy = Section(text, "== 1. ", "== 2. ");
        Assert.Contains("[fault thread] userfault at hva 0x7f0000003000 (write); asked the source for the page: request lost", buggy);
        Assert.Contains("[vcpu0]   asleep in handle_userfault, state Killable", buggy);
        Assert.Contains("[watchdog] HUNG: vcpu0 still asleep", buggy);
        Assert.Contains("pending SIGUSR1", buggy);
        Assert.Contains("[watchdog] sending SIGKILL", buggy);
        Assert.Contains("[vcpu0]   PageFault returned -EINTR: exit reason Intr", buggy);

        // Act 2: the fixed vCPU sleeps Interruptible and leaves on the kick, no watchdog needed.
        var fixedAct = Section(text, "== 2. ", "== 3. ");
        Assert.Contains("[vcpu0]   asleep in handle_userfault, state Interruptible", fixedAct);
        Assert.Contains("[vcpu0]   left KVM_RUN after SIGUSR1", fixedAct);
        Assert.Contains("[vcpu0]   PageFault returned -EINTR: exit reason Intr", fixedAct);
        Assert.DoesNotContain("[watchdog]", fixedAct);
        Assert.DoesNotContain("SIGKILL", fixedAct);

        // Act 3: the analyzers, run on Postcopy/Buggy.cs read from disk, list FL1001.
        var analysis = Section(text, "== 3. ", "== Summary");
        Assert.Matches(new Regex(@"Samples/FaultLine\.Samples/Postcopy/Buggy\.cs:\d+:\d+: FL1001 warning"), analysis);

        var summary = Section(text, "== Summary", null);
        Assert.Contains("[ok] buggy vCPU: asleep Killable, ignored SIGUSR1, reported hung by the watchdog; left only on SIGKILL (-EINTR)", summary);
        Assert.Contains("[ok] fixed vCPU: asleep Interruptible, left KVM_RUN on SIGUSR1 with -EINTR", summary);
        Assert.Contains("[ok] kernel debug checks: 0 warning(s)", summary);
        Assert.Contains("[ok] analyzers on Postcopy/Buggy.cs:", summary);
        Assert.DoesNotContain("UNEXPECTED", text);
        Assert.Contains("RESULT: the story played out as designed", summary);
        AssertNoWarnings();
    }

    [Fact]
    public void Demo_WithoutTheSampleSource_ExitsNonZeroAndSaysWhy()
    {
        // The runtime half still plays out, but the analyzers have no Buggy.cs to read: that is not the
        // story as designed, and the demo must say so rather than exit 0.
        Reset();
        var empty = Directory.CreateTempSubdirectory("faultline-demo-");
        try
        {
            var output = new StringWriter();
            var exit = PostcopyDemo.Run(output, empty.FullName);
            var text = output.ToString();

            Assert.True(exit == 1, "the demo was expected to exit 1:\n" + text);
            Assert.Contains("[ok] buggy vCPU:", text);
            Assert.Contains("[ok] fixed vCPU:", text);
            Assert.Contains("[UNEXPECTED] analyzers on Postcopy/Buggy.cs: not run", text);
            Assert.Contains("RESULT: the story did NOT play out as designed. Exit code 1, because:", text);
            Assert.Contains("  - the analyzers could not be run on the buggy source: Samples/FaultLine.Samples/Postcopy/Buggy.cs", text);
            Assert.Contains("not found under " + empty.FullName, text);
            AssertNoWarnings();
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    /// <summary>The text from the line starting with <paramref name="start"/> up to the one starting with <paramref name="end"/> (null: to the end).</summary>
    private static string Section(string text, string start, string? end)
    {
        var from = text.IndexOf("\n" + start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"no section '{start}' in:\n{text}");
        var to = end is null ? -1 : text.IndexOf("\n" + end, from + 1, StringComparison.Ordinal);
        Assert.True(end is null || to >= 0, $"no section '{end}' after '{start}' in:\n{text}");
        return end is null ? text[from..] : text[from..to];
    }
}
