using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.SleepWakeup;

/// <summary>Syntax helpers of the FL3xxx fixes.</summary>
internal static class SleepFixSyntax
{
    /// <summary>The invocation a diagnostic is on (the target node or the invocation just around it).</summary>
    public static InvocationExpressionSyntax? Invocation(SyntaxNode target) =>
        target as InvocationExpressionSyntax ?? target.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();

    /// <summary>The <c>call();</c> statement whose whole expression is <paramref name="invocation"/>, or null.</summary>
    public static ExpressionStatementSyntax? OwnStatement(InvocationExpressionSyntax invocation) =>
        invocation.Parent is ExpressionStatementSyntax statement && statement.Expression == invocation ? statement : null;

    /// <summary>Whether <paramref name="invocation"/> calls <c>FaultLine.{type}.{one of names}</c>.</summary>
    public static bool Calls(InvocationExpressionSyntax invocation, SemanticModel model, string type, CancellationToken cancellationToken, params string[] names) =>
        model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method
        && names.Contains(method.Name)
        && method.ContainingType is { Name: var name, ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } }
        && name == type;

    /// <summary>The innermost loop around <paramref name="node"/> in the same function, or null.</summary>
    public static StatementSyntax? EnclosingLoop(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or ForEachStatementSyntax:
                    return (StatementSyntax)current;
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// The signal exit of a wait loop, as <c>___wait_event</c> writes it: <c>if (KernelTask.Current.SignalPending)
    /// { undo; return -Errno.ERESTARTSYS; }</c>, with <c>FatalSignalPending</c> for a Killable sleep (rule 42). Text with
    /// four-space indentation and <c>\n</c>, for <see cref="FixSyntax.ParseStatementLike"/>; the caller checks that the
    /// function returns an errno.
    /// </summary>
    public static string LeaveOnSignal(bool killable, IEnumerable<string> undo, SemanticModel model, int position)
    {
        var task = FixSyntax.TypeName(model, position, "KernelTask");
        var errno = FixSyntax.TypeName(model, position, "Errno");
        var lines = new List<string> { $"if ({task}.Current.{(killable ? "FatalSignalPending" : "SignalPending")})", "{" };
        foreach (var statement in undo)
        {
            lines.Add("    " + statement);
        }

        lines.Add($"    return -{errno}.ERESTARTSYS;");
        lines.Add("}");
        return string.Join("\n", lines);
    }

    /// <summary>The statement that follows <paramref name="statement"/> in its block, or null.</summary>
    public static StatementSyntax? Next(StatementSyntax statement)
    {
        if (statement.Parent is not BlockSyntax block)
        {
            return null;
        }

        var index = block.Statements.IndexOf(statement);
        return index >= 0 && index + 1 < block.Statements.Count ? block.Statements[index + 1] : null;
    }

    /// <summary>
    /// <paramref name="statement"/>'s text with its own indentation removed from every line, so that
    /// <see cref="FixSyntax.ParseStatement"/> can lay it out one level deeper.
    /// </summary>
    public static string Relative(StatementSyntax statement, string extraIndent)
    {
        var indentation = FixSyntax.IndentationOf(statement);
        var unit = FixSyntax.IndentUnit(statement);
        var lines = statement.WithoutLeadingTrivia().WithoutTrailingTrivia().ToFullString().Replace("\r\n", "\n").Split('\n');
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = i > 0 && lines[i].StartsWith(indentation, System.StringComparison.Ordinal) ? lines[i].Substring(indentation.Length) : lines[i];

            // ParseStatement counts levels of four spaces: rewrite the document's unit that way.
            var levels = 0;
            while (unit.Length > 0 && line.StartsWith(unit, System.StringComparison.Ordinal))
            {
                line = line.Substring(unit.Length);
                levels++;
            }

            builder.Append(extraIndent).Append(new string(' ', levels * 4)).Append(line);
            if (i + 1 < lines.Length)
            {
                builder.Append('\n');
            }
        }

        return builder.ToString();
    }

    public static bool IsEmbedded(StatementSyntax statement) =>
        statement.Parent is WhileStatementSyntax or ForStatementSyntax or ForEachStatementSyntax or DoStatementSyntax or IfStatementSyntax or ElseClauseSyntax;

    /// <summary>The statement an embedded statement belongs to (the <c>while</c>, <c>if</c>, ...).</summary>
    public static StatementSyntax? Owner(StatementSyntax embedded) => embedded.Parent switch
    {
        ElseClauseSyntax elseClause => elseClause.Parent as StatementSyntax,
        StatementSyntax owner => owner,
        _ => null,
    };

    public static SyntaxKind Kind(SyntaxNode node) => (SyntaxKind)node.RawKind;

    /// <summary>The negation of a condition as a reader would write it: <c>!done</c> → <c>done</c>, <c>a == b</c> → <c>a != b</c>.</summary>
    public static string Negate(ExpressionSyntax condition)
    {
        var inner = FixSyntax.Unparenthesize(condition) ?? condition;
        switch (inner)
        {
            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not:
                return (FixSyntax.Unparenthesize(not.Operand) is { } operand && IsPrimary(operand) ? operand : not.Operand).ToString();
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression } equals:
                return equals.Left + " != " + equals.Right;
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.NotEqualsExpression } notEquals:
                return notEquals.Left + " == " + notEquals.Right;
            case var primary when IsPrimary(primary):
                return "!" + primary;
            default:
                return "!(" + inner + ")";
        }
    }

    private static bool IsPrimary(ExpressionSyntax expression) =>
        expression is IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ElementAccessExpressionSyntax
            or ThisExpressionSyntax or LiteralExpressionSyntax;

    /// <summary>Whether <paramref name="statement"/> is a call of <c>FaultLine.{type}.{names}</c> on its own.</summary>
    public static bool IsCall(StatementSyntax? statement, SemanticModel model, CancellationToken cancellationToken, string type, params string[] names) =>
        statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call }
        && Calls(call, model, type, cancellationToken, names);

    /// <summary>The statement inside an embedded statement or a one-statement block, or null.</summary>
    public static StatementSyntax? Single(StatementSyntax statement) => statement switch
    {
        BlockSyntax { Statements.Count: 1 } block => block.Statements[0],
        BlockSyntax => null,
        _ => statement,
    };
}
