using System.Threading;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.FaultHandlers;

/// <summary>What the FL2xxx fixes need to know about the handler a diagnostic is in.</summary>
internal static class HandlerFixFacts
{
    /// <summary>The block-bodied method around <paramref name="node"/> and the name of its VmFault parameter, or null.</summary>
    public static (MethodDeclarationSyntax Method, string Vmf)? HandlerOf(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        if (node.FirstAncestorOrSelf<MethodDeclarationSyntax>() is not { Body: { } } method || !FixSyntax.IsWellFormed(method))
        {
            return null;
        }

        // A lambda handler (or a local function) is its own function: the method around it is not the handler.
        for (var current = node; current is not null && current != method; current = current.Parent)
        {
            if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            {
                return null;
            }
        }

        foreach (var parameter in method.ParameterList.Parameters)
        {
            if (model.GetDeclaredSymbol(parameter, cancellationToken) is IParameterSymbol symbol
                && symbol.Type is INamedTypeSymbol { Name: "VmFault", ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } })
            {
                return (method, parameter.Identifier.ValueText);
            }
        }

        return null;
    }

    /// <summary>Whether the first statement of the handler already is <paramref name="text"/> (Fix All adds it once).</summary>
    public static bool StartsWith(MethodDeclarationSyntax method, string text) =>
        method.Body is { Statements.Count: > 0 } body
        && Normalize(body.Statements[0].ToString()) == Normalize(text);

    private static string Normalize(string text) => string.Concat(text.Split(new[] { ' ', '\t', '\r', '\n' }, System.StringSplitOptions.RemoveEmptyEntries));
}
