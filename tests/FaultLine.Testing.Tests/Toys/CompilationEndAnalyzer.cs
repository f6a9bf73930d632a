using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// Reports TOY001 for "Bad..." classes, but only at compilation end. Roslyn treats such diagnostics as non-local, so
/// the IDE would never offer <see cref="RenameToGoodFixer"/> for them.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class CompilationEndAnalyzer : DiagnosticAnalyzer
{
    // Same ID as BadIdentifierAnalyzer on purpose, so RenameToGoodFixer applies to it.
#pragma warning disable RS1019
    public static readonly DiagnosticDescriptor Rule = new(BadIdentifierAnalyzer.Id, "Bad identifier", "Identifier '{0}' is bad", "Toy", DiagnosticSeverity.Warning, isEnabledByDefault: true, customTags: WellKnownDiagnosticTags.CompilationEnd);
#pragma warning restore RS1019

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var badTypes = new ConcurrentBag<INamedTypeSymbol>();
            start.RegisterSymbolAction(
                symbolContext =>
                {
                    if (symbolContext.Symbol.Name.StartsWith("Bad", StringComparison.Ordinal))
                    {
                        badTypes.Add((INamedTypeSymbol)symbolContext.Symbol);
                    }
                },
                SymbolKind.NamedType);
            start.RegisterCompilationEndAction(endContext =>
            {
                foreach (var type in badTypes)
                {
                    endContext.ReportDiagnostic(Diagnostic.Create(Rule, type.Locations[0], type.Name));
                }
            });
        });
    }
}
