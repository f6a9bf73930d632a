using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// TOY005: flags classes named "Bad..." but never configures generated-code analysis, so Roslyn's default applies
/// and it reports inside <c>// &lt;auto-generated&gt;</c> files too — what the generated-code re-run must catch.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GeneratedCodeIgnorantAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new("TOY005", "Bad class", "Class '{0}' is bad", "Toy", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    // Not configuring generated-code analysis is the point of this toy.
#pragma warning disable RS1025
    public override void Initialize(AnalysisContext context)
#pragma warning restore RS1025
    {
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(BadClassReporter.Report(Rule), SyntaxKind.ClassDeclaration);
    }
}

/// <summary>TOY010: like TOY005 but states that it reports in generated code, which exempts it from the re-run.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class GeneratedCodeReportingAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new("TOY010", "Bad class", "Class '{0}' is bad", "Toy", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(BadClassReporter.Report(Rule), SyntaxKind.ClassDeclaration);
    }
}

/// <summary>The shared syntax action of the two analyzers above.</summary>
internal static class BadClassReporter
{
    public static Action<SyntaxNodeAnalysisContext> Report(DiagnosticDescriptor rule) => context =>
    {
        var name = ((ClassDeclarationSyntax)context.Node).Identifier;
        if (name.ValueText.StartsWith("Bad", StringComparison.Ordinal))
        {
            context.ReportDiagnostic(Diagnostic.Create(rule, name.GetLocation(), name.ValueText));
        }
    };
}
