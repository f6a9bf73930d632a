using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>
/// Two overlapping diagnostics on <c>int x = 1</c>: TOY008 on "int x", TOY009 on "x = 1". Overlapping spans need
/// the keyed end markup <c>|#n}</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class OverlapAnalyzer : DiagnosticAnalyzer
{
    public static readonly DiagnosticDescriptor TypeAndName = new("TOY008", "Type and name", "Type and name", "Toy", DiagnosticSeverity.Info, isEnabledByDefault: true);
    public static readonly DiagnosticDescriptor NameAndValue = new("TOY009", "Name and value", "Name and value", "Toy", DiagnosticSeverity.Info, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(TypeAndName, NameAndValue);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.VariableDeclaration);
    }

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        var declaration = (VariableDeclarationSyntax)context.Node;
        if (declaration.Variables.Count != 1 || declaration.Variables[0].Initializer is null)
        {
            return;
        }

        var declarator = declaration.Variables[0];
        var tree = context.Node.SyntaxTree;
        context.ReportDiagnostic(Diagnostic.Create(TypeAndName, Location.Create(tree, TextSpan.FromBounds(declaration.Type.SpanStart, declarator.Identifier.Span.End))));
        context.ReportDiagnostic(Diagnostic.Create(NameAndValue, Location.Create(tree, TextSpan.FromBounds(declarator.Identifier.SpanStart, declarator.Span.End))));
    }
}
