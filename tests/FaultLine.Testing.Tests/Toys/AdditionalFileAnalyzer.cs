using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>TOY007: flags every "Bad" in additional files.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AdditionalFileAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new("TOY007", "Bad word", "Bad word in additional file", "Toy", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterAdditionalFileAction(fileContext =>
        {
            var text = fileContext.AdditionalFile.GetText(fileContext.CancellationToken);
            if (text is null)
            {
                return;
            }

            var content = text.ToString();
            for (var index = content.IndexOf("Bad", StringComparison.Ordinal); index >= 0; index = content.IndexOf("Bad", index + 1, StringComparison.Ordinal))
            {
                var span = new TextSpan(index, 3);
                var location = Location.Create(fileContext.AdditionalFile.Path, span, text.Lines.GetLinePositionSpan(span));
                fileContext.ReportDiagnostic(Diagnostic.Create(Rule, location));
            }
        });
    }
}
