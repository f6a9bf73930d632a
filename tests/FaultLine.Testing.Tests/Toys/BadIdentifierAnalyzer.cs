using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>TOY001: flags declared names (classes, methods, variables, fields) that start with "Bad".</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BadIdentifierAnalyzer : DiagnosticAnalyzer
{
    public const string Id = "TOY001";

    public static readonly DiagnosticDescriptor Rule = new(Id, "Bad identifier", "Identifier '{0}' is bad", "Toy", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterSyntaxNodeAction(Analyze, SyntaxKind.VariableDeclarator, SyntaxKind.ClassDeclaration, SyntaxKind.MethodDeclaration);
    }

    /// <summary>The declared name of a node this analyzer looks at.</summary>
    public static SyntaxToken DeclaredName(SyntaxNode node) => node switch
    {
        VariableDeclaratorSyntax declarator => declarator.Identifier,
        ClassDeclarationSyntax type => type.Identifier,
        MethodDeclarationSyntax method => method.Identifier,
        _ => default,
    };

    private static void Analyze(SyntaxNodeAnalysisContext context)
    {
        var name = DeclaredName(context.Node);
        if (name.ValueText.StartsWith("Bad", StringComparison.Ordinal))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, name.GetLocation(), name.ValueText));
        }
    }
}
