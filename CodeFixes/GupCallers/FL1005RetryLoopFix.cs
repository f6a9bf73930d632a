using System.Collections.Generic;
using System.Composition;
using System.Linq;
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
/// FL1005: give the retry loop its exit on a signal.
/// <list type="bullet">
/// <item>GUP re-issued after a failure: right after <c>ret = Gup.X(...)</c>, <c>if (ret == -Errno.EINTR) return ret;</c>
/// (and <c>-EAGAIN</c> for the ...Unlocked forms, which return it when their first killable lock fails). GUP itself
/// returns -EINTR for whatever signals its flags make it stop on, so the test follows the call's own rules.</item>
/// <item>HandleMmFault re-issued after Retry: at the top of the loop body,
/// <c>if (KernelTask.Current.FatalSignalPending) return -Errno.EINTR;</c>, as the kernel's fault-retry loops do.</item>
/// </list>
/// Offered in functions returning <c>int</c> or <c>long</c> (an errno), not after a ...Locked call (the lock may be
/// held or not), and not where a lock the function took may be held at the new <c>return</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1005RetryLoopFix))]
[Shared]
public sealed class FL1005RetryLoopFix : SequentialFixProvider
{
    public const string ExitOnSignal = "FL1005.ExitOnSignal";

    protected override string DiagnosticId => Descriptors.FL1005RetryLoopIgnoresSignals.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        diagnostic.Properties.TryGetValue(Descriptors.Properties.Retried, out var retried);
        if (retried == "gup")
        {
            yield return ("Return when the call was interrupted by a signal (-EINTR)", ExitOnSignal);
        }
        else if (retried == "fault")
        {
            yield return ("Return -EINTR when a fatal signal is pending", ExitOnSignal);
        }
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != ExitOnSignal
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Retried, out var retried)
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Method, out var method) || method is null
            || target is not InvocationExpressionSyntax invocation || !FixSyntax.IsWellFormed(invocation))
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || EnclosingLoop(invocation) is not { } loop
            || FixSyntax.ReturnTypeOfEnclosingFunction(loop, model, cancellationToken) is not { } returnType
            || !FixSyntax.ReturnsErrno(returnType))
        {
            return null;
        }

        var errno = FixSyntax.TypeName(model, invocation.SpanStart, "Errno");
        if (retried == "gup")
        {
            return GupCall(document, root, invocation, method, loop, errno, returnType, model, cancellationToken);
        }

        if (retried == "fault" && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { Name: "HandleMmFault" }
            && !GupFixFacts.FunctionLockMayBeHeldAt(loop, loop.SpanStart, model, cancellationToken))
        {
            // At the loop top the lock is the caller's (taken before the call, or re-taken after Retry), as in
            // fixup_user_fault: returning -EINTR with it held is that contract. A lock the function took before the
            // loop would leak, so then no fix is offered.
            var task = FixSyntax.TypeName(model, invocation.SpanStart, "KernelTask");
            return AtLoopTop(document, root, loop, $"if ({task}.Current.FatalSignalPending)\n    return -{errno}.EINTR;");
        }

        return null;
    }

    private static Document? GupCall(Document document, SyntaxNode root, InvocationExpressionSyntax invocation, string method,
        StatementSyntax loop, string errno, ITypeSymbol returnType, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!GupFixFacts.IsGupCall(invocation, method, model, cancellationToken) || ResultLocal(invocation, model, cancellationToken) is not { } local
            || FixSyntax.ReturnLong(local, returnType) is not { } value
            || GupFixFacts.IsLockedForm(method)
            || GupFixFacts.FunctionLockMayBeHeldAt(invocation, invocation.Span.End, model, cancellationToken))
        {
            // The new return would leave a lock the function took behind.
            return null;
        }

        var condition = $"{local} == -{errno}.EINTR";
        if (method.EndsWith("Unlocked", System.StringComparison.Ordinal))
        {
            condition += $" || {local} == -{errno}.EAGAIN";
        }

        var check = $"if ({condition})\n    return {value};";

        // ret = Gup.X(...); as a statement of the loop body: test right after it.
        if (FixSyntax.StatementInBlock(invocation) is { } statement && FixSyntax.ValueOf(statement) == invocation.Parent
            && statement.Ancestors().Contains(loop))
        {
            if (NextStatement(statement) is { } next && next.IsEquivalentTo(FixSyntax.ParseStatementLike(check, statement).WithoutTrivia()))
            {
                return null;
            }

            return document.WithSyntaxRoot(root.InsertNodesAfter(statement, new[] { FixSyntax.ParseStatementLike(check, statement) }));
        }

        return null;
    }

    /// <summary>The local the call's result is stored in: <c>ret = Gup.X(...)</c> or <c>long ret = Gup.X(...)</c>.</summary>
    private static string? ResultLocal(InvocationExpressionSyntax invocation, SemanticModel model, CancellationToken cancellationToken)
    {
        switch (invocation.Parent)
        {
            case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax name } assignment
                when assignment.Right == invocation && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol { Type.SpecialType: SpecialType.System_Int64 }:
                return name.Identifier.ValueText;
            case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                when model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol { Type.SpecialType: SpecialType.System_Int64 }:
                return declarator.Identifier.ValueText;
            default:
                return null;
        }
    }

    /// <summary>
    /// Puts <paramref name="text"/> first in the loop body. Only for a body that is a block with statements: an
    /// embedded statement or an empty body is left to the author rather than re-laid out.
    /// </summary>
    private static Document? AtLoopTop(Document document, SyntaxNode root, StatementSyntax loop, string text)
    {
        if (LoopBody(loop) is not BlockSyntax { Statements.Count: > 0 } block)
        {
            return null;
        }

        var first = block.Statements[0];
        var check = FixSyntax.ParseStatementLike(text, first);
        if (first.IsEquivalentTo(check.WithoutTrivia()))
        {
            // Fix All: another call in the same loop already added it.
            return null;
        }

        return document.WithSyntaxRoot(root.InsertNodesBefore(first, new[] { check }));
    }

    private static StatementSyntax? EnclosingLoop(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or ForEachStatementSyntax:
                    return (StatementSyntax)current;
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }

    private static StatementSyntax? LoopBody(StatementSyntax loop) => loop switch
    {
        WhileStatementSyntax w => w.Statement,
        DoStatementSyntax d => d.Statement,
        ForStatementSyntax f => f.Statement,
        ForEachStatementSyntax e => e.Statement,
        _ => null,
    };

    private static StatementSyntax? NextStatement(StatementSyntax statement) =>
        statement.Parent is BlockSyntax block && block.Statements.IndexOf(statement) is var index && index + 1 < block.Statements.Count
            ? block.Statements[index + 1]
            : null;
}
