using System.Text.Json;
using Xunit;

namespace FaultLine.Package.Tests;

/// <summary>
/// A fresh console project that references only the FaultLine.Runtime package: the rules are on, and
/// .editorconfig, #pragma, dotnet format and SARIF output work on them as on any Roslyn rule.
/// </summary>
[Collection(PackedConsumerCollection.Name)]
public class ConsumerBuildTests
{
    private const string Call = "Gup.GetUserPages(";
    private const string Flags = "FollFlags.Write | FollFlags.Interruptible";
    private const string HelpUri = "https://github.com/faultline/faultline/blob/main/docs/rules/FL1001.md";

    private readonly PackedConsumer consumer;

    public ConsumerBuildTests(PackedConsumer consumer)
    {
        this.consumer = consumer;
    }

    private static BuildDiagnostic FL1001(string severity) =>
        new(PackedConsumer.SourceName, Sources.LineOf(Sources.Buggy, Call), Sources.ColumnOf(Sources.Buggy, Flags), severity, "FL1001");

    [Fact]
    public void A_plain_build_reports_FL1001_as_a_warning_on_the_flags()
    {
        consumer.Reset(Sources.Buggy);

        var build = consumer.Build();

        Assert.True(build.Succeeded, build.ToString());
        var diagnostics = PackedConsumer.Diagnostics(build);
        Assert.Contains(FL1001("warning"), diagnostics);
        // The analyzers loaded and ran cleanly: no AD0001 (an analyzer threw), no CS8032/CS8034 (one could not be loaded).
        Assert.DoesNotContain(diagnostics, d => d.Id is "AD0001" or "CS8032" or "CS8034");
    }

    [Fact]
    public void FL1001_raised_to_error_in_editorconfig_fails_the_build()
    {
        consumer.Reset(Sources.Buggy, editorConfigLines: "dotnet_diagnostic.FL1001.severity = error");

        var build = consumer.Build();

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains(FL1001("error"), PackedConsumer.Diagnostics(build));
    }

    [Fact]
    public void Pragma_warning_disable_FL1001_suppresses_it()
    {
        consumer.Reset(Sources.Suppressed);

        var build = consumer.Build();

        Assert.True(build.Succeeded, build.ToString());
        Assert.DoesNotContain(PackedConsumer.Diagnostics(build), d => d.Id == "FL1001");
        Assert.Contains("Build succeeded", build.Output);
    }

    [Fact]
    public void Dotnet_format_applies_the_FL1001_fix_and_the_build_is_then_clean_of_it()
    {
        consumer.Reset(Sources.Buggy);

        var format = consumer.Format("--diagnostics", "FL1001", "--severity", "warn");

        Assert.True(format.Succeeded, format.ToString());
        var fixedSource = File.ReadAllText(consumer.SourceFile);
        Assert.True(fixedSource != Sources.Buggy, $"dotnet format left the source as it was. {format}");
        // The first fix FL1001 offers for the lock / call / unlock shape: the ...Locked form with a 'locked'
        // local, and an unlock that only runs if GUP did not drop the lock.
        Assert.Contains("bool locked = true;", fixedSource);
        Assert.Contains("Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write | FollFlags.Interruptible, pages, ref locked)", fixedSource);
        Assert.Contains("if (locked)", fixedSource);
        Assert.DoesNotContain(Call, fixedSource);

        var build = consumer.Build();

        Assert.True(build.Succeeded, build.ToString());
        Assert.DoesNotContain(PackedConsumer.Diagnostics(build), d => d.Id == "FL1001" || d.Severity == "error");
    }

    [Fact]
    public void ErrorLog_writes_SARIF_2_1_whose_FL1001_rule_carries_the_help_uri()
    {
        consumer.Reset(Sources.Buggy);

        var build = consumer.Build("-p:ErrorLog=out.sarif%2Cversion=2.1");

        Assert.True(build.Succeeded, build.ToString());
        var path = Path.Combine(consumer.ProjectDirectory, "out.sarif");
        Assert.True(File.Exists(path), $"No {path}. {build}");
        using var sarif = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal("2.1.0", sarif.RootElement.GetProperty("version").GetString());
        var run = sarif.RootElement.GetProperty("runs")[0];
        var rule = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
            .SingleOrDefault(r => r.GetProperty("id").GetString() == "FL1001");
        Assert.True(rule.ValueKind == JsonValueKind.Object, $"No FL1001 rule in the SARIF log:{Environment.NewLine}{File.ReadAllText(path)}");
        Assert.Equal(HelpUri, rule.GetProperty("helpUri").GetString());
        Assert.Contains(run.GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "FL1001");
    }
}
