using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.GupCallers;

/// <summary>
/// FL1004: hand the negative GUP result on unchanged instead of another errno.
/// <list type="bullet">
/// <item>Under <c>if (ret &lt; 0)</c>: <c>return -Errno.EFAULT;</c> becomes <c>return ret;</c>, and
/// <c>ret = -Errno.EFAULT;</c> is removed (with its <c>if</c> when nothing else is left in it).</item>
/// <item>Elsewhere (the path may also be a short positive count): keep the errno for that case only,
/// <c>return ret &lt; 0 ? ret : -Errno.EFAULT;</c>.</item>
/// </list>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1004InterruptConvertedFix))]
[Shared]
public sealed class FL1004InterruptConvertedFix : SequentialFixProvider
{
    public const string Propagate = "FL1004.Propagate";

    protected override string DiagnosticId => Descriptors.FL1004InterruptConverted.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        if (diagnostic.Properties.TryGetValue(Descriptors.Properties.ResultLocal, out var local) && local is not null)
        {
            yield return ($"Return the negative '{local}' unchanged", Propagate);
        }
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != Propagate
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.ResultLocal, out var local) || local is null
            || !FixSyntax.IsWellFormed(target))
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !IsLongLocal(target, local, model, cancellationToken))
        {
            return null;
        }

        // return -Errno.EFAULT;
        if (target is ExpressionSyntax returned && returned.Parent is ReturnStatementSyntax returnStatement && returnStatement.Expression == returned)
        {
            var returnType = FixSyntax.ReturnTypeOfEnclosingFunction(returnStatement, model, cancellationToken);
            if (FixSyntax.ReturnLong(local, returnType) is not { } value)
            {
                return null;
            }

            var text = UnderNegativeTest(returnStatement, local) is not null ? value : $"{local} < 0 ? {value} : {returned}";
            return document.WithSyntaxRoot(root.ReplaceNode(returned, SyntaxFactory.ParseExpression(text).WithTriviaFrom(returned)));
        }

        // ret = -Errno.EFAULT;
        if (target is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: var left, Right: var right } assignment
            && FixSyntax.IsName(left, local))
        {
            if (assignment.Parent is ExpressionStatementSyntax statement && UnderNegativeTest(statement, local) is { } test)
            {
                // The result is negative here: leaving it as it is hands it on.
                if (test.Statement == statement || test.Statement is BlockSyntax { Statements.Count: 1 })
                {
                    return test.Else is null && test.Parent is BlockSyntax
                        ? document.WithSyntaxRoot(root.RemoveNode(test, SyntaxRemoveOptions.KeepNoTrivia)!)
                        : null;
                }

                return statement.Parent is BlockSyntax
                    ? document.WithSyntaxRoot(root.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia)!)
                    : null;
            }

            var conditional = SyntaxFactory.ParseExpression($"{local} < 0 ? {local} : {right}").WithTriviaFrom(right);
            return document.WithSyntaxRoot(root.ReplaceNode(right, conditional));
        }

        return null;
    }

    /// <summary>The <c>if (local &lt; 0)</c> whose then-branch holds <paramref name="statement"/> (directly or in its block).</summary>
    private static IfStatementSyntax? UnderNegativeTest(StatementSyntax statement, string local)
    {
        var parent = statement.Parent;
        if (parent is BlockSyntax block)
        {
            parent = block.Parent;
            if (parent is IfStatementSyntax blockIf && blockIf.Statement == block && FixSyntax.IsNegativeTest(blockIf.Condition, local))
            {
                return blockIf;
            }

            return null;
        }

        return parent is IfStatementSyntax ifStatement && ifStatement.Statement == statement && FixSyntax.IsNegativeTest(ifStatement.Condition, local)
            ? ifStatement
            : null;
    }

    /// <summary>The named local is in scope at <paramref name="node"/> and holds a <c>long</c> (the GUP result).</summary>
    private static bool IsLongLocal(SyntaxNode node, string local, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var symbol in model.LookupSymbols(node.SpanStart, name: local))
        {
            if (symbol is ILocalSymbol { Type.SpecialType: SpecialType.System_Int64 })
            {
                return true;
            }
        }

        return false;
    }
}
