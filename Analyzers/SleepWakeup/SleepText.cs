using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>How the FL3xxx messages name calls: <c>Type.Method</c>, as the code writes them.</summary>
internal static class SleepText
{
    public static string CallName(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.MethodKind == MethodKind.PropertyGet && method.AssociatedSymbol is { } property)
        {
            return property.ContainingType.Name + "." + property.Name;
        }

        return method.ContainingType is null ? method.Name : method.ContainingType.Name + "." + method.Name;
    }

    /// <summary>
    /// Where to report a call: its syntax, or the <c>lock (x)</c> header for the <c>Monitor.Enter</c> (or
    /// <c>Lock.EnterScope</c>) a <c>lock</c> statement is lowered to, whose own syntax is just the locked expression.
    /// </summary>
    public static Location CallLocation(IInvocationOperation invocation)
    {
        var syntax = invocation.Syntax;
        if (invocation.IsImplicit
            && syntax.FirstAncestorOrSelf<LockStatementSyntax>() is { } lockStatement
            && (syntax == lockStatement || syntax == lockStatement.Expression))
        {
            return Location.Create(
                lockStatement.SyntaxTree,
                TextSpan.FromBounds(lockStatement.LockKeyword.SpanStart, lockStatement.CloseParenToken.Span.End));
        }

        return syntax.GetLocation();
    }

    /// <summary>1-based line of <paramref name="node"/>, as editors show it.</summary>
    public static int Line(SyntaxNode node) => node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
}
