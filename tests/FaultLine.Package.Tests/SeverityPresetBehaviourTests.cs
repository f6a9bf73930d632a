using System.Text.Json;
using Xunit;

namespace FaultLine.Package.Tests;

/// <summary>
/// The presets in a real consumer: nothing is applied unless asked for; 'default' changes no diagnostic;
/// 'strict' fails the build on a Warning rule; the user's own .editorconfig and .globalconfig still win.
/// </summary>
[Collection(PackedConsumerCollection.Name)]
public class SeverityPresetBehaviourTests
{
    private readonly PackedConsumer consumer;

    public SeverityPresetBehaviourTests(PackedConsumer consumer)
    {
        this.consumer = consumer;
    }

    private static string Preset(string name) => $"<FaultLineSeverityPreset>{name}</FaultLineSeverityPreset>";

    [Fact]
    public void Without_a_preset_a_category_wide_setting_in_editorconfig_still_applies()
    {
        // An ID-specific entry from the package, even one that repeated the default, would outrank this line.
        consumer.Reset(Sources.Buggy, editorConfigLines: "dotnet_analyzer_diagnostic.category-FaultLine.GupCallers.severity = error");

        var build = consumer.Build();

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains(PackedConsumer.Diagnostics(build), d => d is { Id: "FL1001", Severity: "error" });
    }

    [Fact]
    public void The_default_preset_changes_no_diagnostic_of_any_severity()
    {
        consumer.Reset(Sources.OneOfEachSeverity);
        var without = SarifResults(consumer.Build("-p:ErrorLog=none.sarif%2Cversion=2.1"), "none.sarif");
        consumer.Reset(Sources.OneOfEachSeverity, projectProperties: Preset("default"));
        var with = SarifResults(consumer.Build("-p:ErrorLog=default.sarif%2Cversion=2.1"), "default.sarif");

        // The comparison means something only if all three severities are there.
        Assert.Contains(without, r => r.StartsWith("FL1001 warning ", StringComparison.Ordinal));
        Assert.Contains(without, r => r.StartsWith("FL1008 note ", StringComparison.Ordinal));
        Assert.Contains(without, r => r.StartsWith("FL4006 error ", StringComparison.Ordinal));
        Assert.Equal(without, with);
    }

    [Fact]
    public void The_default_preset_is_applied_and_pins_each_rule_against_category_wide_settings()
    {
        // The other side of the first test, and the proof that the 'default' preset is really in the build: its
        // ID-specific entry outranks the category-wide line, so FL1001 stays a warning.
        consumer.Reset(
            Sources.Buggy,
            editorConfigLines: "dotnet_analyzer_diagnostic.category-FaultLine.GupCallers.severity = error",
            projectProperties: Preset("default"));

        var build = consumer.Build();

        Assert.True(build.Succeeded, build.ToString());
        Assert.Contains(PackedConsumer.Diagnostics(build), d => d is { Id: "FL1001", Severity: "warning" });
    }

    [Fact]
    public void The_strict_preset_set_in_the_project_file_fails_the_build_on_FL1001()
    {
        consumer.Reset(Sources.Buggy, projectProperties: Preset("strict"));

        var build = consumer.Build();

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains(PackedConsumer.Diagnostics(build), d => d is { Id: "FL1001", Severity: "error" });
    }

    [Fact]
    public void The_strict_preset_makes_an_Info_rule_a_warning()
    {
        consumer.Reset(Sources.OneOfEachSeverity, projectProperties: Preset("strict"));

        var results = SarifResults(consumer.Build("-p:ErrorLog=strict.sarif%2Cversion=2.1"), "strict.sarif");

        Assert.Contains(results, r => r.StartsWith("FL1008 warning ", StringComparison.Ordinal));
        Assert.Contains(results, r => r.StartsWith("FL1001 error ", StringComparison.Ordinal));
        Assert.Contains(results, r => r.StartsWith("FL4006 error ", StringComparison.Ordinal));
    }

    [Fact]
    public void Under_the_strict_preset_the_users_editorconfig_still_wins()
    {
        consumer.Reset(Sources.Buggy, editorConfigLines: "dotnet_diagnostic.FL1001.severity = warning", projectProperties: Preset("strict"));

        var build = consumer.Build();

        Assert.True(build.Succeeded, build.ToString());
        Assert.Contains(PackedConsumer.Diagnostics(build), d => d is { Id: "FL1001", Severity: "warning" });
    }

    [Fact]
    public void Under_the_strict_preset_the_users_own_global_config_wins_without_a_conflict()
    {
        // A global config the user adds as a GlobalAnalyzerConfigFiles item has global_level 0 (a file named
        // .globalconfig has 100). Two global configs at the same level that set the same key conflict: the key is
        // unset and the compiler warns MultipleGlobalAnalyzerKeys. The preset's level, -50, is below both.
        consumer.Reset(
            Sources.Buggy,
            projectProperties: Preset("strict"),
            globalConfig: "is_global = true\ndotnet_diagnostic.FL1001.severity = none\n");

        var build = consumer.Build();

        Assert.True(build.Succeeded, build.ToString());
        Assert.DoesNotContain(PackedConsumer.Diagnostics(build), d => d.Id == "FL1001");
        Assert.DoesNotContain("MultipleGlobalAnalyzerKeys", build.Output);
    }

    [Fact]
    public void A_misspelt_preset_fails_the_build_and_names_the_accepted_values()
    {
        consumer.Reset(Sources.Buggy, projectProperties: Preset("stirct"));

        var build = consumer.Build();

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains(PackedConsumer.Diagnostics(build), d => d is { Id: "FLPKG001", Severity: "error" });
        Assert.Contains("'stirct'", build.Output);
        Assert.Contains("'strict'", build.Output);
    }

    /// <summary>
    /// The FaultLine results of a SARIF 2.1 log as "ID level file(line,column)", sorted. The build itself may fail
    /// (an Error rule); the log is written either way.
    /// </summary>
    private List<string> SarifResults(CliResult build, string fileName)
    {
        var path = Path.Combine(consumer.ProjectDirectory, fileName);
        Assert.True(File.Exists(path), $"No {path}. {build}");
        using var sarif = JsonDocument.Parse(File.ReadAllText(path));
        var results = new List<string>();
        foreach (var result in sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray())
        {
            var id = result.GetProperty("ruleId").GetString()!;
            if (!id.StartsWith("FL", StringComparison.Ordinal))
            {
                continue;
            }

            var level = result.TryGetProperty("level", out var l) ? l.GetString() : "warning"; // SARIF's default level
            var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
            var region = location.GetProperty("region");
            results.Add($"{id} {level} {Path.GetFileName(location.GetProperty("artifactLocation").GetProperty("uri").GetString())}"
                + $"({region.GetProperty("startLine").GetInt32()},{region.GetProperty("startColumn").GetInt32()})");
        }

        results.Sort(StringComparer.Ordinal);
        return results;
    }
}
