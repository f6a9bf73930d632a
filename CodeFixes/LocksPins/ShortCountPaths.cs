using System.Linq;
using System.Threading;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.LocksPins;

/// <summary>
/// Whether a <c>return ret;</c> hands back a GUP count that is known to be short: every way into the return passes a
/// test <c>ret != n</c> (or <c>ret &lt; n</c>) against the count the call asked for. That is the kpc2000 shape
/// (SEMANTICS.md §2 case 21): <c>rv = get_user_pages(...); if (rv != page_count) goto err; ... err: return rv;</c>, where
/// the positive rv went back to the caller as if it were an error code. Read from the syntax alone, so it answers
/// "yes" only when the shape leaves no doubt: the result local is written once (by the GUP call), the requested count
/// is a simple expression whose locals and parameters are never written after their declaration, and the return is
/// entered only from such tests (directly, through blocks, or through <c>goto</c>s to its label).
/// </summary>
internal static class ShortCountPaths
{
    public static bool ReturnsShortCount(ReturnStatementSyntax statement, string countLocal, SemanticModel model, CancellationToken cancellationToken)
    {
        if (FixSyntax.Unparenthesize(statement.Expression) is not IdentifierNameSyntax returned || returned.Identifier.ValueText != countLocal
            || model.GetSymbolInfo(returned, cancellationToken).Symbol is not ILocalSymbol local
            || EnclosingFunction(statement) is not { } function
            || RequestedCount(function, local, model, cancellationToken) is not { } requested)
        {
            return false;
        }

        var facts = new Facts(local, requested, model, cancellationToken);
        return statement.Parent is LabeledStatementSyntax labeled
            ? ReachedOnlyThroughGuardedGotos(labeled, function, facts)
            : IsGuarded(statement, facts);
    }

    private sealed class Facts
    {
        public Facts(ILocalSymbol result, ExpressionSyntax requested, SemanticModel model, CancellationToken cancellationToken)
        {
            Result = result;
            Requested = requested;
            Model = model;
            CancellationToken = cancellationToken;
        }

        public ILocalSymbol Result { get; }

        public ExpressionSyntax Requested { get; }

        public SemanticModel Model { get; }

        public CancellationToken CancellationToken { get; }
    }

    private static SyntaxNode? EnclosingFunction(SyntaxNode node) =>
        node.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
            or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax);

    /// <summary>
    /// The count argument of the one GUP call that writes <paramref name="result"/> (its only write in the function),
    /// when it is a simple expression nothing in the function writes after its declaration; otherwise null.
    /// </summary>
    private static ExpressionSyntax? RequestedCount(SyntaxNode function, ILocalSymbol result, SemanticModel model, CancellationToken cancellationToken)
    {
        ExpressionSyntax? value = null;
        var writes = 0;
        foreach (var node in function.DescendantNodes())
        {
            if (node is VariableDeclaratorSyntax declarator
                && SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(declarator, cancellationToken), result))
            {
                if (declarator.Initializer is { } initializer)
                {
                    writes++;
                    value = initializer.Value;
                }
            }
            else if (WrittenSymbol(node, model, cancellationToken) is { } written && SymbolEqualityComparer.Default.Equals(written, result))
            {
                writes++;
                value = node is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment ? assignment.Right : null;
            }
        }

        if (writes != 1 || FixSyntax.Unparenthesize(value) is not InvocationExpressionSyntax call
            || !FixSyntax.HasOnlyPositionalArguments(call)
            || model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol
            {
                ContainingType: { Name: "Gup", ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } },
            } method
            || method.Parameters.FirstOrDefault(p => p.Name == "nrPages") is not { } parameter
            || parameter.Ordinal >= call.ArgumentList.Arguments.Count)
        {
            return null;
        }

        var requested = call.ArgumentList.Arguments[parameter.Ordinal].Expression;
        if (!FixSyntax.IsSimpleExpression(requested))
        {
            return null;
        }

        // A count that changes between the call and the test would make "ret != n" mean something else.
        foreach (var name in requested.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(name, cancellationToken).Symbol is ISymbol symbol and (ILocalSymbol or IParameterSymbol)
                && function.DescendantNodes().Any(node => WrittenSymbol(node, model, cancellationToken) is { } written
                    && SymbolEqualityComparer.Default.Equals(written, symbol)))
            {
                return null;
            }
        }

        return requested;
    }

    /// <summary>The local or parameter a node writes after its declaration (assignment, ++/--, ref/out argument), or null.</summary>
    private static ISymbol? WrittenSymbol(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        ExpressionSyntax? target = node switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand,
            ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(SyntaxKind.None) => argument.Expression,
            _ => null,
        };
        return FixSyntax.Unparenthesize(target) is { } written ? model.GetSymbolInfo(written, cancellationToken).Symbol : null;
    }

    /// <summary>
    /// Whether <paramref name="statement"/> is entered only from the true branch of a short-count test: it is that
    /// branch, or sits in blocks that are, with no label before it in those blocks (a goto could enter there).
    /// </summary>
    private static bool IsGuarded(StatementSyntax statement, Facts facts)
    {
        for (SyntaxNode current = statement; ;)
        {
            switch (current.Parent)
            {
                case IfStatementSyntax test when test.Statement == current:
                    return IsShortTest(test.Condition, facts);

                case BlockSyntax block when block.Statements.TakeWhile(s => s != current).All(s => s is not LabeledStatementSyntax):
                    current = block;
                    continue;

                default:
                    return false;
            }
        }
    }

    /// <summary>An error label: not entered by falling through from above, and every goto to it is guarded.</summary>
    private static bool ReachedOnlyThroughGuardedGotos(LabeledStatementSyntax labeled, SyntaxNode function, Facts facts)
    {
        if (labeled.Parent is not BlockSyntax block)
        {
            return false;
        }

        var index = block.Statements.IndexOf(labeled);
        if (index < 1 || !NeverFallsThrough(block.Statements[index - 1]))
        {
            return false;
        }

        var label = labeled.Identifier.ValueText;
        var gotos = function
            .DescendantNodes(node => node == function || node is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            .OfType<GotoStatementSyntax>()
            .Where(jump => jump.IsKind(SyntaxKind.GotoStatement) && jump.Expression is IdentifierNameSyntax { Identifier.ValueText: var target } && target == label)
            .ToList();
        return gotos.Count > 0 && gotos.All(jump => IsGuarded(jump, facts));
    }

    private static bool NeverFallsThrough(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax or GotoStatementSyntax => true,
        BlockSyntax block => block.Statements.Count > 0 && NeverFallsThrough(block.Statements[block.Statements.Count - 1]),
        _ => false,
    };

    /// <summary><c>ret != n</c>, <c>n != ret</c>, <c>ret &lt; n</c> or <c>n &gt; ret</c>, with n the count the call asked for.</summary>
    private static bool IsShortTest(ExpressionSyntax condition, Facts facts)
    {
        if (FixSyntax.Unparenthesize(condition) is not BinaryExpressionSyntax binary)
        {
            return false;
        }

        return binary.Kind() switch
        {
            SyntaxKind.NotEqualsExpression => (IsResult(binary.Left, facts) && IsRequested(binary.Right, facts))
                || (IsRequested(binary.Left, facts) && IsResult(binary.Right, facts)),
            SyntaxKind.LessThanExpression => IsResult(binary.Left, facts) && IsRequested(binary.Right, facts),
            SyntaxKind.GreaterThanExpression => IsRequested(binary.Left, facts) && IsResult(binary.Right, facts),
            _ => false,
        };
    }

    private static bool IsResult(ExpressionSyntax expression, Facts facts) =>
        FixSyntax.Unparenthesize(expression) is IdentifierNameSyntax name
        && SymbolEqualityComparer.Default.Equals(facts.Model.GetSymbolInfo(name, facts.CancellationToken).Symbol, facts.Result);

    private static bool IsRequested(ExpressionSyntax expression, Facts facts) =>
        SyntaxFactory.AreEquivalent(FixSyntax.Unparenthesize(expression)!, FixSyntax.Unparenthesize(facts.Requested)!);
}
