using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Package.Tests;

/// <summary>
/// Every rule the shipped analyzers can report, read the way the compiler reads them: by creating each
/// <see cref="DiagnosticAnalyzer"/> of FaultLine.Analyzers.dll and asking for its SupportedDiagnostics.
/// </summary>
internal static class RuleCatalog
{
    private static readonly Lazy<ImmutableArray<DiagnosticDescriptor>> LazyRules = new(Load);

    /// <summary>One descriptor per rule ID, ordered by ID.</summary>
    public static ImmutableArray<DiagnosticDescriptor> Rules => LazyRules.Value;

    private static ImmutableArray<DiagnosticDescriptor> Load()
    {
        var assembly = typeof(FaultLine.Analyzers.GupCallers.GupCallersAnalyzer).Assembly;
        var byId = new SortedDictionary<string, DiagnosticDescriptor>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            if (type.IsAbstract
                || !typeof(DiagnosticAnalyzer).IsAssignableFrom(type)
                || type.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not { } attribute
                || !attribute.Languages.Contains(LanguageNames.CSharp))
            {
                continue;
            }

            var analyzer = (DiagnosticAnalyzer)Activator.CreateInstance(type)!;
            foreach (var descriptor in analyzer.SupportedDiagnostics)
            {
                // Two analyzers may report the same rule; they must agree on it.
                if (byId.TryGetValue(descriptor.Id, out var seen) && seen.DefaultSeverity != descriptor.DefaultSeverity)
                {
                    throw new InvalidOperationException($"{descriptor.Id} is {seen.DefaultSeverity} in one analyzer and {descriptor.DefaultSeverity} in another.");
                }

                byId[descriptor.Id] = descriptor;
            }
        }

        return byId.Values.ToImmutableArray();
    }
}
