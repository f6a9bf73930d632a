using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.Common;

/// <summary>
/// Syntax helpers shared by the fixes. New statements are built from text laid out with the document's own line
/// ending and indentation (not the workspace defaults), so a fix never changes the line endings of a file.
/// </summary>
internal static class FixSyntax
{
    private const string DefaultIndentUnit = "    ";

    /// <summary>Whether a node can be edited safely: it parsed without errors and nothing in it is missing.</summary>
    public static bool IsWellFormed(SyntaxNode? node) => node is not null && !node.ContainsDiagnostics && !node.IsMissing;

    /// <summary>The line ending the document uses near <paramref name="node"/> (<c>\n</c> when it has none).</summary>
    public static string EndOfLine(SyntaxNode node)
    {
        foreach (var trivia in node.GetTrailingTrivia())
        {
            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
            {
                return trivia.ToString();
            }
        }

        var first = node.SyntaxTree.GetRoot().DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        return first.IsKind(SyntaxKind.EndOfLineTrivia) ? first.ToString() : "\n";
    }

    /// <summary>The whitespace that starts the line of <paramref name="node"/>'s first token.</summary>
    public static string IndentationOf(SyntaxNode node) => IndentationOf(node.GetFirstToken());

    public static string IndentationOf(SyntaxToken token)
    {
        var text = token.SyntaxTree?.GetText();
        if (text is null)
        {
            return string.Empty;
        }

        var line = text.Lines.GetLineFromPosition(token.SpanStart);
        var builder = new StringBuilder();
        for (var i = line.Start; i < token.SpanStart; i++)
        {
            var c = text[i];
            if (c != ' ' && c != '\t')
            {
                break;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>One level of indentation as the document writes it: a statement's indentation beyond its block's brace.</summary>
    public static string IndentUnit(StatementSyntax statement)
    {
        if (statement.Parent is BlockSyntax block)
        {
            var inner = IndentationOf(statement);
            var outer = IndentationOf(block.OpenBraceToken);
            if (inner.Length > outer.Length && inner.StartsWith(outer, StringComparison.Ordinal))
            {
                return inner.Substring(outer.Length);
            }
        }

        return DefaultIndentUnit;
    }

    /// <summary>
    /// Parses a statement written with four spaces per level and <c>\n</c>, re-laid with the given indentation,
    /// unit and line ending; it ends with a line break so it can be placed on a line of its own.
    /// </summary>
    public static StatementSyntax ParseStatement(string text, string indentation, string unit, string endOfLine)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var builder = new StringBuilder();
        foreach (var line in lines)
        {
            var spaces = 0;
            while (spaces < line.Length && line[spaces] == ' ')
            {
                spaces++;
            }

            builder.Append(indentation);
            for (var level = 0; level < spaces / 4; level++)
            {
                builder.Append(unit);
            }

            builder.Append(line.Substring(spaces)).Append(endOfLine);
        }

        return SyntaxFactory.ParseStatement(builder.ToString());
    }

    /// <summary>Parses a statement laid out like <paramref name="anchor"/>: same indentation, unit and line ending.</summary>
    public static StatementSyntax ParseStatementLike(string text, StatementSyntax anchor) =>
        ParseStatement(text, IndentationOf(anchor), IndentUnit(anchor), EndOfLine(anchor));

    /// <summary>
    /// The statement directly in a block that contains <paramref name="node"/> within the same function (no lambda or
    /// local function in between), or null.
    /// </summary>
    public static StatementSyntax? StatementInBlock(SyntaxNode node)
    {
        for (var current = node; current is not null; current = current.Parent)
        {
            if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax && current != node)
            {
                return null;
            }

            if (current is StatementSyntax statement && statement.Parent is BlockSyntax)
            {
                return statement;
            }

            if (current is MemberDeclarationSyntax)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// The return type of the function (method, local function, lambda) whose body holds <paramref name="node"/>;
    /// null for async functions, iterators, accessors and anything else whose <c>return</c> we should not write.
    /// </summary>
    public static ITypeSymbol? ReturnTypeOfEnclosingFunction(SyntaxNode node, SemanticModel model, System.Threading.CancellationToken cancellationToken)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            IMethodSymbol? method = current switch
            {
                AnonymousFunctionExpressionSyntax lambda => model.GetSymbolInfo(lambda, cancellationToken).Symbol as IMethodSymbol,
                LocalFunctionStatementSyntax local => model.GetDeclaredSymbol(local, cancellationToken) as IMethodSymbol,
                MethodDeclarationSyntax declaration => model.GetDeclaredSymbol(declaration, cancellationToken),
                MemberDeclarationSyntax => null,
                _ => null,
            };

            if (current is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax)
            {
                if (method is null || method.IsAsync || method.ReturnType.TypeKind == TypeKind.Error)
                {
                    return null;
                }

                return IsIterator(current) ? null : method.ReturnType;
            }
        }

        return null;
    }

    /// <summary>
    /// How to return the <c>long</c> expression <paramref name="value"/> from a function returning
    /// <paramref name="returnType"/>: as is for <c>long</c>, cast for <c>int</c>; null for any other type.
    /// </summary>
    public static string? ReturnLong(string value, ITypeSymbol? returnType) => returnType?.SpecialType switch
    {
        SpecialType.System_Int64 => value,
        SpecialType.System_Int32 => "(int)" + value,
        _ => null,
    };

    /// <summary>Whether an errno constant (an <c>int</c>) can be returned: <c>int</c> or <c>long</c>.</summary>
    public static bool ReturnsErrno(ITypeSymbol? returnType) =>
        returnType?.SpecialType is SpecialType.System_Int64 or SpecialType.System_Int32;

    /// <summary>
    /// How to name a FaultLine type at <paramref name="position"/>: its simple name when that binds to it there
    /// (the usual <c>using FaultLine;</c>), otherwise fully qualified.
    /// </summary>
    public static string TypeName(SemanticModel model, int position, string simpleName)
    {
        foreach (var symbol in model.LookupNamespacesAndTypes(position, name: simpleName))
        {
            if (symbol is INamedTypeSymbol { ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } })
            {
                return simpleName;
            }
        }

        return "global::FaultLine." + simpleName;
    }

    /// <summary>
    /// A local name based on <paramref name="baseName"/> that is neither in scope at <paramref name="position"/> nor
    /// written anywhere in the enclosing member (a later nested declaration of the same name would clash).
    /// </summary>
    public static string UniqueLocalName(SemanticModel model, SyntaxNode near, string baseName)
    {
        var member = near.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? (SyntaxNode)near.SyntaxTree.GetRoot();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in member.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.IdentifierToken))
            {
                used.Add(token.ValueText);
            }
        }

        for (var suffix = 1; ; suffix++)
        {
            var candidate = suffix == 1 ? baseName : baseName + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!used.Contains(candidate) && model.LookupSymbols(near.SpanStart, name: candidate).IsEmpty)
            {
                return candidate;
            }
        }
    }

    /// <summary>
    /// A name for a local declared in a new nested scope (a <c>for</c> variable in an inserted block): only the names
    /// in scope there can clash, since nothing is nested inside the new code.
    /// </summary>
    public static string UniqueNestedLocalName(SemanticModel model, int position, string baseName)
    {
        for (var suffix = 1; ; suffix++)
        {
            var candidate = suffix == 1 ? baseName : baseName + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (model.LookupSymbols(position, name: candidate).IsEmpty)
            {
                return candidate;
            }
        }
    }

    /// <summary>The expression of an expression statement, or the initializer clause of a one-variable declaration.</summary>
    public static SyntaxNode? ValueOf(StatementSyntax statement) => statement switch
    {
        ExpressionStatementSyntax expression => expression.Expression,
        LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables } => variables[0].Initializer,
        _ => null,
    };

    /// <summary>The invocation with its method name replaced, keeping the receiver and trivia.</summary>
    public static InvocationExpressionSyntax? WithMethodName(InvocationExpressionSyntax invocation, string name)
    {
        switch (invocation.Expression)
        {
            case MemberAccessExpressionSyntax { Name: IdentifierNameSyntax identifier } access:
                return invocation.WithExpression(access.WithName(Rename(identifier, name)));
            case IdentifierNameSyntax identifier:
                return invocation.WithExpression(Rename(identifier, name));
            default:
                return null;
        }
    }

    /// <summary>Whether every argument is positional (no <c>name:</c>), so arguments can be added or removed by position.</summary>
    public static bool HasOnlyPositionalArguments(InvocationExpressionSyntax invocation) =>
        invocation.ArgumentList.Arguments.All(a => a.NameColon is null);

    /// <summary>An expression that can be written twice without changing what it does: names, member accesses, literals.</summary>
    public static bool IsSimpleExpression(ExpressionSyntax expression)
    {
        foreach (var node in expression.DescendantNodesAndSelf())
        {
            switch (node)
            {
                case IdentifierNameSyntax:
                case MemberAccessExpressionSyntax:
                case LiteralExpressionSyntax:
                case ThisExpressionSyntax:
                case PredefinedTypeSyntax:
                case QualifiedNameSyntax:
                case AliasQualifiedNameSyntax:
                case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression }:
                case ParenthesizedExpressionSyntax:
                    continue;
                default:
                    return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="expression"/> reads only the local or parameter named <paramref name="name"/>.</summary>
    public static bool IsName(ExpressionSyntax? expression, string name) =>
        Unparenthesize(expression) is IdentifierNameSyntax identifier && identifier.Identifier.ValueText == name;

    public static ExpressionSyntax? Unparenthesize(ExpressionSyntax? expression)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        return expression;
    }

    /// <summary>Whether <paramref name="condition"/> is <c>name &lt; 0</c> (or <c>0 &gt; name</c>).</summary>
    public static bool IsNegativeTest(ExpressionSyntax? condition, string name)
    {
        if (Unparenthesize(condition) is not BinaryExpressionSyntax binary)
        {
            return false;
        }

        return (binary.IsKind(SyntaxKind.LessThanExpression) && IsName(binary.Left, name) && IsZero(binary.Right))
            || (binary.IsKind(SyntaxKind.GreaterThanExpression) && IsZero(binary.Left) && IsName(binary.Right, name));
    }

    /// <summary>Whether <paramref name="condition"/> is <c>name &lt; 0</c>, <c>name &lt;= 0</c> or <c>name &lt; 1</c>: it catches every negative result.</summary>
    public static bool CatchesNegative(ExpressionSyntax? condition, string name)
    {
        if (IsNegativeTest(condition, name))
        {
            return true;
        }

        return Unparenthesize(condition) is BinaryExpressionSyntax binary
            && ((binary.IsKind(SyntaxKind.LessThanOrEqualExpression) && IsName(binary.Left, name) && IsZero(binary.Right))
                || (binary.IsKind(SyntaxKind.LessThanExpression) && IsName(binary.Left, name) && IsLiteral(binary.Right, 1)));
    }

    /// <summary>Whether the statement leaves the function on every path through it (return or throw, in a block or not).</summary>
    public static bool AlwaysLeaves(StatementSyntax statement) => statement switch
    {
        ReturnStatementSyntax or ThrowStatementSyntax => true,
        BlockSyntax block => block.Statements.Count > 0 && AlwaysLeaves(block.Statements[block.Statements.Count - 1]),
        _ => false,
    };

    private static bool IsZero(ExpressionSyntax? expression) => IsLiteral(expression, 0);

    private static bool IsLiteral(ExpressionSyntax? expression, int value) =>
        Unparenthesize(expression) is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal
        && literal.Token.Value is int number && number == value;

    private static IdentifierNameSyntax Rename(IdentifierNameSyntax identifier, string name) =>
        identifier.WithIdentifier(SyntaxFactory.Identifier(identifier.Identifier.LeadingTrivia, name, identifier.Identifier.TrailingTrivia));

    private static bool IsIterator(SyntaxNode function) =>
        function.DescendantNodes(n => n == function || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            .OfType<YieldStatementSyntax>().Any();
}
