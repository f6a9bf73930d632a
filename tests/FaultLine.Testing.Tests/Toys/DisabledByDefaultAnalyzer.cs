using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>TOY003 (disabled by default): flags every method. The verifier must enable it anyway.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class DisabledByDefaultAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new("TOY003", "Method", "Method '{0}'", "Toy", DiagnosticSeverity.Info, isEnabledByDefault: false);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(
            nodeContext =>
            {
                var name = ((MethodDeclarationSyntax)nodeContext.Node).Identifier;
                nodeContext.ReportDiagnostic(Diagnostic.Create(Rule, name.GetLocation(), name.ValueText));
            },
            SyntaxKind.MethodDeclaration);
    }
}
