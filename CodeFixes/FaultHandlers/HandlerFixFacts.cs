using System.Threading;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.FaultHandlers;

/// <summary>
/// The handler a diagnostic is in, as the fixes see it: the function (a method, or a lambda or anonymous method that
/// takes a VmFault and returns a VmFaultResult), its body — a block or an expression — and the name of its VmFault
/// parameter.
/// </summary>
internal sealed class HandlerSyntax
{
    public HandlerSyntax(SyntaxNode function, BlockSyntax? block, ExpressionSyntax? expressionBody, string? vmf)
    {
        Function = function;
        Block = block;
        ExpressionBody = expressionBody;
        Vmf = vmf;
    }

    /// <summary>A <see cref="MethodDeclarationSyntax"/> or an <see cref="AnonymousFunctionExpressionSyntax"/>.</summary>
    public SyntaxNode Function { get; }

    public BlockSyntax? Block { get; }

    public ExpressionSyntax? ExpressionBody { get; }

    /// <summary>The VmFault parameter's name; null for <c>delegate { ... }</c>, whose parameters have none.</summary>
    public string? Vmf { get; }
}

/// <summary>What the FL2xxx fixes need to know about the handler a diagnostic is in.</summary>
internal static class HandlerFixFacts
{
    /// <summary>
    /// The innermost function around <paramref name="node"/> when it is a handler: a method with a VmFault parameter,
    /// or a lambda / anonymous method taking a VmFault and returning VmFaultResult. Null for a local function, a lambda
    /// that is not a handler (a <c>return</c> written there would leave that lambda, not the handler), and code that
    /// does not parse cleanly. An anonymous method without a parameter list is a handler whose VmFault has no name:
    /// fixes that test the flags decline there.
    /// </summary>
    public static HandlerSyntax? HandlerOf(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case AnonymousFunctionExpressionSyntax lambda:
                    return FromLambda(lambda, model, cancellationToken);
                case LocalFunctionStatementSyntax:
                    return null;
                case MethodDeclarationSyntax method:
                    return FromMethod(method, model, cancellationToken);
                case MemberDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }

    /// <summary>Whether the first statement of the handler already is <paramref name="text"/> (Fix All adds it once).</summary>
    public static bool StartsWith(HandlerSyntax handler, string text) =>
        handler.Block is { Statements.Count: > 0 } body
        && Normalize(body.Statements[0].ToString()) == Normalize(text);

    private static HandlerSyntax? FromMethod(MethodDeclarationSyntax method, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!FixSyntax.IsWellFormed(method) || (method.Body is null && method.ExpressionBody is null))
        {
            return null;
        }

        foreach (var parameter in method.ParameterList.Parameters)
        {
            if (model.GetDeclaredSymbol(parameter, cancellationToken) is IParameterSymbol symbol && IsFaultLine(symbol.Type, "VmFault"))
            {
                return new HandlerSyntax(method, method.Body, method.ExpressionBody?.Expression, parameter.Identifier.ValueText);
            }
        }

        return null;
    }

    private static HandlerSyntax? FromLambda(AnonymousFunctionExpressionSyntax lambda, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!FixSyntax.IsWellFormed(lambda)
            || model.GetSymbolInfo(lambda, cancellationToken).Symbol is not IMethodSymbol { IsAsync: false } function
            || !IsFaultLine(function.ReturnType, "VmFaultResult"))
        {
            return null;
        }

        // The parameters as they are in the tree (a list built here would hold copies the model does not know).
        System.Collections.Generic.IReadOnlyList<ParameterSyntax> parameters = lambda switch
        {
            SimpleLambdaExpressionSyntax simple => new[] { simple.Parameter },
            ParenthesizedLambdaExpressionSyntax parenthesized => parenthesized.ParameterList.Parameters,
            AnonymousMethodExpressionSyntax { ParameterList: { } list } => list.Parameters,
            _ => System.Array.Empty<ParameterSyntax>(),
        };

        if (lambda is AnonymousMethodExpressionSyntax { ParameterList: null })
        {
            return HasVmFault(function) ? new HandlerSyntax(lambda, lambda.Block, null, null) : null;
        }

        IParameterSymbol? vmf = null;
        string? name = null;
        foreach (var parameter in parameters)
        {
            if (model.GetDeclaredSymbol(parameter, cancellationToken) is IParameterSymbol symbol && IsFaultLine(symbol.Type, "VmFault"))
            {
                vmf = symbol;
                name = parameter.Identifier.ValueText;
                break;
            }
        }

        if (vmf is null || string.IsNullOrEmpty(name) || IsDiscard(vmf, parameters.Count))
        {
            return null;
        }

        return new HandlerSyntax(lambda, lambda.Block, lambda.ExpressionBody, name!);
    }

    private static bool HasVmFault(IMethodSymbol function)
    {
        foreach (var parameter in function.Parameters)
        {
            if (IsFaultLine(parameter.Type, "VmFault"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>(_, _) =&gt;</c>: two or more <c>_</c> are discards that cannot be read (one <c>_</c> is a name).</summary>
    private static bool IsDiscard(IParameterSymbol parameter, int count) => parameter.Name == "_" && count > 1;

    private static bool IsFaultLine(ITypeSymbol? type, string name) =>
        type is INamedTypeSymbol { ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } } named
        && named.Name == name;

    private static string Normalize(string text) => string.Concat(text.Split(new[] { ' ', '\t', '\r', '\n' }, System.StringSplitOptions.RemoveEmptyEntries));
}
