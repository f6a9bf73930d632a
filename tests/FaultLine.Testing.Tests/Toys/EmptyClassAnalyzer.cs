using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>TOY004: flags a whole class declaration that has no members (its span contains the class name).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmptyClassAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor Rule = new("TOY004", "Empty class", "Class '{0}' is empty", "Toy", DiagnosticSeverity.Info, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(
            nodeContext =>
            {
                var type = (ClassDeclarationSyntax)nodeContext.Node;
                if (type.Members.Count == 0)
                {
                    nodeContext.ReportDiagnostic(Diagnostic.Create(Rule, type.GetLocation(), type.Identifier.ValueText));
                }
            },
            SyntaxKind.ClassDeclaration);
    }
}
