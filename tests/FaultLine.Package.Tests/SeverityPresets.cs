using System.Text;
using Microsoft.CodeAnalysis;

namespace FaultLine.Package.Tests;

/// <summary>
/// Writes the severity presets that ship in the package (Runtime/buildTransitive/FaultLine.*.globalconfig)
/// from the analyzers' own descriptors, so that the files can be compared with them and never drift.
/// <list type="bullet">
/// <item><c>default</c>: every rule at the default severity of its descriptor.</item>
/// <item><c>strict</c>: every Warning rule an error, every Info rule a warning; errors stay errors.</item>
/// </list>
/// </summary>
internal static class SeverityPresets
{
    public static readonly string[] Names = { "default", "strict" };

    /// <summary>
    /// Below any global config of the user's (0 by default, 100 for a file named .globalconfig), so that their
    /// own global entries for the same rule win instead of conflicting; above the SDK's analysis-level files (-100).
    /// </summary>
    public const int GlobalLevel = -50;

    public const string UpdateVariable = "FAULTLINE_UPDATE_PRESETS";

    public static string Render(string preset, IEnumerable<DiagnosticDescriptor> rules)
    {
        var text = new StringBuilder();
        text.Append("# FaultLine severity preset '").Append(preset).Append("': ").Append(Summary(preset)).Append('\n');
        text.Append("# Applied with <FaultLineSeverityPreset>").Append(preset).Append("</FaultLineSeverityPreset>; see docs/configuration.md.\n");
        text.Append("# Generated from the analyzers' descriptors by tests/FaultLine.Package.Tests; do not edit by hand:\n");
        text.Append("# ").Append(UpdateVariable).Append("=1 dotnet test tests/FaultLine.Package.Tests --filter SeverityPresetFileTests\n");
        text.Append("is_global = true\n");
        text.Append("global_level = ").Append(GlobalLevel).Append('\n');
        foreach (var rule in rules)
        {
            text.Append('\n');
            text.Append("# ").Append(rule.Id).Append(": ").Append(rule.Title.ToString()).Append(" (default: ").Append(EditorConfigSeverity(rule.DefaultSeverity)).Append(")\n");
            text.Append("dotnet_diagnostic.").Append(rule.Id).Append(".severity = ").Append(EditorConfigSeverity(Severity(preset, rule.DefaultSeverity))).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The severity a preset gives a rule whose descriptor says <paramref name="defaultSeverity"/>.</summary>
    public static DiagnosticSeverity Severity(string preset, DiagnosticSeverity defaultSeverity) => preset switch
    {
        "default" => defaultSeverity,
        "strict" => defaultSeverity switch
        {
            DiagnosticSeverity.Warning => DiagnosticSeverity.Error,
            DiagnosticSeverity.Info => DiagnosticSeverity.Warning,
            _ => defaultSeverity,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "no such preset"),
    };

    /// <summary>The .editorconfig spelling of a severity.</summary>
    public static string EditorConfigSeverity(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => "error",
        DiagnosticSeverity.Warning => "warning",
        DiagnosticSeverity.Info => "suggestion",
        DiagnosticSeverity.Hidden => "silent",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, null),
    };

    private static string Summary(string preset) => preset switch
    {
        "default" => "every rule pinned by ID at the default severity of its descriptor.",
        "strict" => "every Warning rule an error, every Info rule a warning; errors stay errors.",
        _ => throw new ArgumentOutOfRangeException(nameof(preset), preset, "no such preset"),
    };
}
