using System.Linq;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.FaultHandlers;

/// <summary>
/// Puts a statement at the top of a handler: before the first statement of a block body, or — for an expression body
/// <c>=&gt; expr</c> — in a new block body <c>{ statement; return expr; }</c> (the handler returns a VmFaultResult, so
/// the expression is its result; <c>=&gt; throw e</c> becomes <c>throw e;</c>). The expression node is kept as it is, so the nodes Fix All marked inside it are
/// still found afterwards.
/// </summary>
internal static class HandlerBodies
{
    private const string DefaultIndentUnit = "    ";

    /// <summary>
    /// The root with <paramref name="text"/> (a statement written with four-space indentation and <c>\n</c>) first
    /// in the handler, a blank line after it when <paramref name="blankLineAfter"/>; null when it cannot be placed.
    /// </summary>
    public static SyntaxNode? InsertFirst(SyntaxNode root, HandlerSyntax handler, string text, bool blankLineAfter)
    {
        if (handler.Block is { } block)
        {
            if (block.Statements.Count == 0)
            {
                return null;
            }

            var first = block.Statements[0];
            var statement = FixSyntax.ParseStatementLike(text, first);
            if (blankLineAfter)
            {
                statement = statement.WithTrailingTrivia(statement.GetTrailingTrivia().Add(SyntaxFactory.EndOfLine(FixSyntax.EndOfLine(first))));
            }

            return root.InsertNodesBefore(first, new[] { statement });
        }

        if (handler.ExpressionBody is null)
        {
            return null;
        }

        return handler.Function switch
        {
            MethodDeclarationSyntax method => ExpandMethod(root, method, text, blankLineAfter),
            AnonymousFunctionExpressionSyntax lambda => ExpandLambda(root, lambda, text, blankLineAfter),
            _ => null,
        };
    }

    private static SyntaxNode? ExpandMethod(SyntaxNode root, MethodDeclarationSyntax method, string text, bool blankLineAfter)
    {
        if (method.ExpressionBody is not { } arrow || HasComments(arrow.ArrowToken.GetPreviousToken().TrailingTrivia) || HasComments(arrow.ArrowToken.LeadingTrivia)
            || HasComments(arrow.ArrowToken.TrailingTrivia) || HasComments(method.SemicolonToken.LeadingTrivia))
        {
            return null;
        }

        var indentation = FixSyntax.IndentationOf(method);
        var unit = UnitInside(method, indentation);
        var endOfLine = FixSyntax.EndOfLine(method);
        var before = arrow.ArrowToken.GetPreviousToken();
        var updated = method.ReplaceToken(before, before.WithTrailingTrivia(SyntaxFactory.EndOfLine(endOfLine)));
        var body = Block(text, updated.ExpressionBody!.Expression, indentation, unit, endOfLine, blankLineAfter, updated.SemicolonToken.TrailingTrivia);
        updated = updated.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body);
        return root.ReplaceNode(method, updated);
    }

    private static SyntaxNode? ExpandLambda(SyntaxNode root, AnonymousFunctionExpressionSyntax lambda, string text, bool blankLineAfter)
    {
        var arrow = lambda switch
        {
            LambdaExpressionSyntax withArrow => withArrow.ArrowToken,
            _ => default,
        };
        if (!arrow.IsKind(SyntaxKind.EqualsGreaterThanToken) || HasComments(arrow.TrailingTrivia) || lambda.ExpressionBody is null)
        {
            return null;
        }

        var indentation = FixSyntax.IndentationOf(lambda);
        var unit = UnitAround(lambda);
        var endOfLine = FixSyntax.EndOfLine(lambda);
        var updated = lambda.ReplaceToken(arrow, arrow.WithTrailingTrivia(SyntaxFactory.EndOfLine(endOfLine)));
        var expression = updated.ExpressionBody!;
        var body = Block(text, expression, indentation, unit, endOfLine, blankLineAfter, expression.GetTrailingTrivia());
        return root.ReplaceNode(lambda, updated.WithExpressionBody(null).WithBlock(body));
    }

    private static BlockSyntax Block(
        string text, ExpressionSyntax expression, string indentation, string unit, string endOfLine, bool blankLineAfter, SyntaxTriviaList closeTrailing)
    {
        var inner = indentation + unit;
        var first = FixSyntax.ParseStatement(text, inner, unit, endOfLine);
        if (blankLineAfter)
        {
            first = first.WithTrailingTrivia(first.GetTrailingTrivia().Add(SyntaxFactory.EndOfLine(endOfLine)));
        }

        // `=> throw e` becomes `throw e;`: a throw expression has no value to return.
        StatementSyntax last = expression is ThrowExpressionSyntax thrown
            ? SyntaxFactory.ThrowStatement(
                SyntaxFactory.Token(SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(inner)), SyntaxKind.ThrowKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
                thrown.Expression.WithoutLeadingTrivia().WithoutTrailingTrivia(),
                SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.SemicolonToken, SyntaxFactory.TriviaList(SyntaxFactory.EndOfLine(endOfLine))))
            : SyntaxFactory.ReturnStatement(
            SyntaxFactory.Token(SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(inner)), SyntaxKind.ReturnKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space)),
            expression.WithoutLeadingTrivia().WithoutTrailingTrivia(),
            SyntaxFactory.Token(SyntaxFactory.TriviaList(), SyntaxKind.SemicolonToken, SyntaxFactory.TriviaList(SyntaxFactory.EndOfLine(endOfLine))));
        return SyntaxFactory.Block(
            SyntaxFactory.Token(SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(indentation)), SyntaxKind.OpenBraceToken, SyntaxFactory.TriviaList(SyntaxFactory.EndOfLine(endOfLine))),
            SyntaxFactory.List(new StatementSyntax[] { first, last }),
            SyntaxFactory.Token(SyntaxFactory.TriviaList(SyntaxFactory.Whitespace(indentation)), SyntaxKind.CloseBraceToken, closeTrailing));
    }

    /// <summary>One indentation level as the type around <paramref name="member"/> writes it.</summary>
    private static string UnitInside(MemberDeclarationSyntax member, string indentation)
    {
        if (member.Parent is TypeDeclarationSyntax type)
        {
            var outer = FixSyntax.IndentationOf(type.OpenBraceToken);
            if (indentation.Length > outer.Length && indentation.StartsWith(outer, System.StringComparison.Ordinal))
            {
                return indentation.Substring(outer.Length);
            }
        }

        return DefaultIndentUnit;
    }

    /// <summary>One indentation level as the code around <paramref name="node"/> writes it.</summary>
    private static string UnitAround(SyntaxNode node)
    {
        var statement = node.Ancestors().OfType<StatementSyntax>().FirstOrDefault(s => s.Parent is BlockSyntax);
        if (statement is not null)
        {
            return FixSyntax.IndentUnit(statement);
        }

        var member = node.Ancestors().OfType<MemberDeclarationSyntax>().FirstOrDefault(m => m.Parent is TypeDeclarationSyntax);
        return member is null ? DefaultIndentUnit : UnitInside(member, FixSyntax.IndentationOf(member));
    }

    private static bool HasComments(SyntaxTriviaList trivia) =>
        trivia.Any(t => !t.IsKind(SyntaxKind.WhitespaceTrivia) && !t.IsKind(SyntaxKind.EndOfLineTrivia));
}
