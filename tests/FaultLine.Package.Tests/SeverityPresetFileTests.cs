using Microsoft.CodeAnalysis;
using Xunit;

namespace FaultLine.Package.Tests;

/// <summary>
/// The presets shipped in buildTransitive/ against the analyzers' descriptors: generated text, and what each
/// file says rule by rule, read back with a parser of its own so that a slip in the generator shows too.
/// </summary>
public class SeverityPresetFileTests
{
    [Fact]
    public void The_analyzers_report_every_rule_that_has_a_docs_page_and_no_other()
    {
        var documented = Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs", "rules"), "FL*.md")
            .Select(Path.GetFileNameWithoutExtension)
            .OrderBy(id => id, StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(documented, RuleCatalog.Rules.Select(rule => rule.Id).ToArray());
    }

    [Theory]
    [InlineData("default")]
    [InlineData("strict")]
    public void The_preset_file_is_what_the_descriptors_generate(string preset)
    {
        var path = RepoPaths.PresetFile(preset);
        var expected = SeverityPresets.Render(preset, RuleCatalog.Rules);
        if (Environment.GetEnvironmentVariable(SeverityPresets.UpdateVariable) == "1")
        {
            File.WriteAllText(path, expected);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run the tests with {SeverityPresets.UpdateVariable}=1 to write it.");
        var actual = File.ReadAllText(path).Replace("\r\n", "\n");
        Assert.True(
            expected == actual,
            $"{path} no longer matches the analyzers' descriptors; run the tests with {SeverityPresets.UpdateVariable}=1 to regenerate it."
            + $"{Environment.NewLine}Expected:{Environment.NewLine}{expected}{Environment.NewLine}Actual:{Environment.NewLine}{actual}");
    }

    [Fact]
    public void The_default_preset_gives_every_rule_the_severity_of_its_descriptor()
    {
        var entries = ReadPreset("default");

        foreach (var rule in RuleCatalog.Rules)
        {
            var expected = rule.DefaultSeverity switch
            {
                DiagnosticSeverity.Error => "error",
                DiagnosticSeverity.Warning => "warning",
                DiagnosticSeverity.Info => "suggestion",
                _ => "silent",
            };
            Assert.Equal(expected, entries[$"dotnet_diagnostic.{rule.Id}.severity"]);
        }
    }

    [Fact]
    public void The_strict_preset_makes_warnings_errors_and_suggestions_warnings()
    {
        var entries = ReadPreset("strict");

        foreach (var rule in RuleCatalog.Rules)
        {
            var expected = rule.DefaultSeverity switch
            {
                DiagnosticSeverity.Error => "error",
                DiagnosticSeverity.Warning => "error",
                DiagnosticSeverity.Info => "warning",
                _ => "silent",
            };
            Assert.Equal(expected, entries[$"dotnet_diagnostic.{rule.Id}.severity"]);
        }

        // Not a copy of the default preset under another name.
        Assert.Contains(RuleCatalog.Rules, rule => rule.DefaultSeverity == DiagnosticSeverity.Warning);
        Assert.Contains(RuleCatalog.Rules, rule => rule.DefaultSeverity == DiagnosticSeverity.Info);
    }

    /// <summary>
    /// The key/value entries of a preset, checked for the global-config header, one entry per rule and nothing
    /// else: a stray key (a misspelt rule ID, an option) would be silently ignored by the compiler.
    /// </summary>
    private static Dictionary<string, string> ReadPreset(string preset)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in File.ReadAllLines(RepoPaths.PresetFile(preset)))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith(';'))
            {
                continue;
            }

            Assert.False(line.StartsWith('['), $"A global config has no sections: '{line}' in the {preset} preset.");
            var equals = line.IndexOf('=');
            Assert.True(equals > 0, $"Not a key = value line: '{line}' in the {preset} preset.");
            var key = line[..equals].Trim();
            Assert.True(entries.TryAdd(key, line[(equals + 1)..].Trim()), $"{key} is set twice in the {preset} preset.");
        }

        Assert.Equal("true", entries["is_global"]);
        Assert.Equal(SeverityPresets.GlobalLevel.ToString(), entries["global_level"]);
        var ruleKeys = RuleCatalog.Rules.Select(rule => $"dotnet_diagnostic.{rule.Id}.severity").ToHashSet();
        Assert.Equal(
            ruleKeys.OrderBy(k => k, StringComparer.Ordinal),
            entries.Keys.Where(k => k is not "is_global" and not "global_level").OrderBy(k => k, StringComparer.Ordinal));
        return entries;
    }
}
