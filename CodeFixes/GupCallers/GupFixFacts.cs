using System.Linq;
using System.Threading;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.GupCallers;

/// <summary>What the FL1xxx fixes check again on the syntax before they edit it.</summary>
internal static class GupFixFacts
{
    /// <summary>The invocation, when it binds to the <c>FaultLine.Gup</c> method named <paramref name="name"/> and is well formed.</summary>
    public static bool IsGupCall(InvocationExpressionSyntax? invocation, string? name, SemanticModel model, CancellationToken cancellationToken) =>
        invocation is not null && name is not null && FixSyntax.IsWellFormed(invocation)
        && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol
        {
            Name: var methodName,
            ContainingType: { Name: "Gup", ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } },
        }
        && methodName == name;

    /// <summary>The invocation a node at a diagnostic's span belongs to (the node itself, or the argument it is in).</summary>
    public static InvocationExpressionSyntax? InvocationAt(SyntaxNode target) =>
        target as InvocationExpressionSyntax
        ?? target.FirstAncestorOrSelf<ArgumentSyntax>()?.Parent?.Parent as InvocationExpressionSyntax;

    /// <summary>
    /// The statements right before and after <paramref name="statement"/> when they take and release the mmap read
    /// lock of <paramref name="mm"/>: <c>mm.MmapReadLock();</c> / <c>mm.MmapReadUnlock();</c>, or
    /// <c>mm.MmapLock.DownRead();</c> / <c>mm.MmapLock.UpRead();</c>.
    /// </summary>
    public static (ExpressionStatementSyntax Lock, ExpressionStatementSyntax Unlock)? LockAround(
        StatementSyntax statement, ExpressionSyntax mm, SemanticModel model, CancellationToken cancellationToken)
    {
        if (statement.Parent is not BlockSyntax block)
        {
            return null;
        }

        var index = block.Statements.IndexOf(statement);
        if (index <= 0 || index + 1 >= block.Statements.Count)
        {
            return null;
        }

        if (block.Statements[index - 1] is ExpressionStatementSyntax before && IsLockCall(before, mm, unlock: false, model, cancellationToken)
            && block.Statements[index + 1] is ExpressionStatementSyntax after && IsLockCall(after, mm, unlock: true, model, cancellationToken))
        {
            return (before, after);
        }

        return null;
    }

    /// <summary>
    /// Removes the lock and unlock statements around <paramref name="statement"/> and replaces the call in it.
    /// Comments above a removed statement move to the statement that follows it.
    /// </summary>
    public static SyntaxNode RemoveLockAround(
        SyntaxNode root, StatementSyntax statement, InvocationExpressionSyntax invocation, InvocationExpressionSyntax replacement,
        (ExpressionStatementSyntax Lock, ExpressionStatementSyntax Unlock) around)
    {
        var block = (BlockSyntax)statement.Parent!;
        var statements = block.Statements.ToList();
        var index = statements.IndexOf(statement);
        statements[index] = WithCommentsOf(around.Lock, statement.ReplaceNode(invocation, replacement));
        if (index + 2 < statements.Count)
        {
            statements[index + 2] = WithCommentsOf(around.Unlock, statements[index + 2]);
        }

        statements.RemoveAt(index + 1);
        statements.RemoveAt(index - 1);
        return root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(statements)));
    }

    /// <summary><paramref name="next"/> with the comment lines above <paramref name="removed"/> put above it.</summary>
    private static StatementSyntax WithCommentsOf(StatementSyntax removed, StatementSyntax next)
    {
        var leading = removed.GetLeadingTrivia();
        if (!leading.Any(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia)))
        {
            return next;
        }

        // The removed statement's own indentation (after its last line break) is replaced by the next one's.
        var lastBreak = -1;
        for (var i = 0; i < leading.Count; i++)
        {
            if (leading[i].IsKind(SyntaxKind.EndOfLineTrivia))
            {
                lastBreak = i;
            }
        }

        var comments = leading.Take(lastBreak + 1);
        return next.WithLeadingTrivia(comments.Concat(next.GetLeadingTrivia()));
    }

    /// <summary>
    /// Whether an mmap lock (or any <c>RwSemaphore</c>) the function itself took may still be held at
    /// <paramref name="position"/>: more lock calls than unlock calls written before it in the function body. A
    /// <c>return</c> inserted there would leak it, so the fixes that add one are not offered. A lock the caller holds
    /// (no lock call in the function) is the caller's to release, as in the kernel's fixup_user_fault.
    /// </summary>
    public static bool FunctionLockMayBeHeldAt(SyntaxNode near, int position, SemanticModel model, CancellationToken cancellationToken)
    {
        SyntaxNode? function = near.Parent;
        while (function is not null && function is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax or AccessorDeclarationSyntax))
        {
            function = function.Parent;
        }

        if (function is null)
        {
            return true;
        }

        var balance = 0;
        foreach (var invocation in function.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (invocation.SpanStart >= position)
            {
                continue;
            }

            if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol { ContainingType.Name: "MmStruct" or "RwSemaphore" } method)
            {
                continue;
            }

            switch (method.Name)
            {
                case "MmapReadLock" or "MmapReadLockKillable" or "MmapReadTrylock" or "MmapWriteLock"
                    or "DownRead" or "DownReadKillable" or "DownReadTrylock" or "DownWrite" or "DownWriteKillable" or "DownWriteTrylock":
                    balance++;
                    break;
                case "MmapReadUnlock" or "MmapWriteUnlock" or "UpRead" or "UpWrite":
                    balance--;
                    break;
            }
        }

        return balance > 0;
    }

    /// <summary>Whether the GUP form hands back a dropped lock through <c>ref locked</c> (a return after it must look at it).</summary>
    public static bool IsLockedForm(string? method) =>
        method is not null && method.EndsWith("Locked", System.StringComparison.Ordinal) && !method.EndsWith("Unlocked", System.StringComparison.Ordinal);

    private static bool IsLockCall(ExpressionStatementSyntax statement, ExpressionSyntax mm, bool unlock, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!FixSyntax.IsWellFormed(statement)
            || statement.Expression is not InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0, Expression: MemberAccessExpressionSyntax access } invocation
            || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method)
        {
            return false;
        }

        ExpressionSyntax? owner = null;
        if (method.Name == (unlock ? "MmapReadUnlock" : "MmapReadLock") && method.ContainingType?.Name == "MmStruct")
        {
            owner = access.Expression;
        }
        else if (method.Name == (unlock ? "UpRead" : "DownRead")
            && access.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "MmapLock" } lockAccess)
        {
            owner = lockAccess.Expression;
        }

        return owner is not null && SameValue(owner, mm, model, cancellationToken);
    }

    /// <summary>The same simple expression (name or member access) naming the same symbol.</summary>
    private static bool SameValue(ExpressionSyntax left, ExpressionSyntax right, SemanticModel model, CancellationToken cancellationToken)
    {
        left = FixSyntax.Unparenthesize(left)!;
        right = FixSyntax.Unparenthesize(right)!;
        if (!FixSyntax.IsSimpleExpression(left) || !SyntaxFactory.AreEquivalent(left, right))
        {
            return false;
        }

        var leftSymbol = model.GetSymbolInfo(left, cancellationToken).Symbol;
        var rightSymbol = model.GetSymbolInfo(right, cancellationToken).Symbol;
        return leftSymbol is not null && SymbolEqualityComparer.Default.Equals(leftSymbol, rightSymbol);
    }
}
