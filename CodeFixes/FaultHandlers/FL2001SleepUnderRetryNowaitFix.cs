using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using FaultLine.CodeFixes.SleepWakeup;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.FaultHandlers;

/// <summary>
/// FL2001: three ways to stop a handler from sleeping under RetryNowait.
/// <list type="bullet">
/// <item><see cref="EarlyRetry"/>: <c>if ((vmf.Flags &amp; FaultFlags.RetryNowait) != 0) return VmFaultResult.Retry;</c> at
/// the top of the handler (rule 34: Retry with the lock held, no sleep).</item>
/// <item><see cref="TryLockOrRetry"/>: where the call is a lock with a try form (<c>KMutex.Lock</c>, <c>Page.Lock</c>,
/// <c>RwSemaphore.DownRead</c>/<c>DownWrite</c>) written as a statement: under RetryNowait try it and return Retry
/// when it fails; otherwise take it as before. When a wait is pending there (an entry queued, a sleep state set), the
/// Retry path first undoes it as the handler's cleanup does (<c>SetCurrentState(Running)</c>, <c>RemoveWaitQueue</c>
/// ...); when that cleanup cannot be told, the action is not offered.</item>
/// <item><see cref="WarnOnOnce"/>: <c>KernelDebug.WarnOnOnce((vmf.Flags &amp; FaultFlags.RetryNowait) != 0);</c> at the top,
/// stating the handler is never called so (and warning at run time if it is).</item>
/// </list>
/// The handler may be a method or a lambda; an expression-bodied one gets a block body for the first two.
/// </summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(FL2001SleepUnderRetryNowaitFix))]
[Shared]
public sealed class FL2001SleepUnderRetryNowaitFix : SequentialFixProvider
{
    public const string EarlyRetry = "FL2001.EarlyRetry";
    public const string TryLockOrRetry = "FL2001.TryLockOrRetry";
    public const string WarnOnOnce = "FL2001.WarnOnOnce";

    protected override string DiagnosticId => Descriptors.FL2001SleepUnderRetryNowait.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Return Retry at once under RetryNowait", EarlyRetry);
        yield return ("Try the lock under RetryNowait and return Retry if it is taken", TryLockOrRetry);
        yield return ("State that the handler is never called with RetryNowait (WarnOnOnce)", WarnOnOnce);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || HandlerFixFacts.HandlerOf(target, model, cancellationToken) is not { Vmf: { } vmf } handler)
        {
            // Not in a handler, or its VmFault has no name to test (delegate { ... }).
            return null;
        }

        var position = handler.Function.SpanStart;
        var flags = FixSyntax.TypeName(model, position, "FaultFlags");
        var test = $"({vmf}.Flags & {flags}.RetryNowait) != 0";
        switch (equivalenceKey)
        {
            case EarlyRetry:
            case WarnOnOnce:
            {
                var text = equivalenceKey == EarlyRetry
                    ? $"if ({test})\n    return {FixSyntax.TypeName(model, position, "VmFaultResult")}.Retry;"
                    : $"{FixSyntax.TypeName(model, position, "KernelDebug")}.WarnOnOnce({test});";
                if (HandlerFixFacts.StartsWith(handler, text))
                {
                    return null;
                }

                var fixedRoot = HandlerBodies.InsertFirst(root, handler, text, blankLineAfter: equivalenceKey == EarlyRetry);
                return fixedRoot is null ? null : document.WithSyntaxRoot(fixedRoot);
            }

            case TryLockOrRetry:
            {
                if (target.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Expression: MemberAccessExpressionSyntax access } invocation
                    || invocation.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax } statement
                    || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol called
                    || TryForm(called) is not { } tryName
                    || invocation.ArgumentList.Arguments.Count != 0)
                {
                    return null;
                }

                // The Retry return leaves while a wait may be pending (an entry queued, a sleep state set): undo it
                // there as the handler's own cleanup does, or decline when that cleanup cannot be told.
                if (PendingWaitUndo.Before(statement, model, cancellationToken) is not { } undo)
                {
                    return null;
                }

                var receiver = access.Expression.ToString();
                var result = FixSyntax.TypeName(model, statement.SpanStart, "VmFaultResult");
                var leave = HandlerReturns.Text($"{result}.Retry", undo, "    ");
                var text = $"if ({test})\n{{\n    if (!{receiver}.{tryName}())\n{leave}\n}}\nelse\n{{\n    {statement.ToString().Trim()}\n}}";
                var replacement = FixSyntax.ParseStatementLike(text, statement).WithLeadingTrivia(statement.GetLeadingTrivia());
                return document.WithSyntaxRoot(root.ReplaceNode(statement, replacement));
            }

            default:
                return null;
        }
    }

    private static string? TryForm(IMethodSymbol method)
    {
        if (method.ContainingType is not { ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } } type)
        {
            return null;
        }

        return (type.Name, method.Name) switch
        {
            ("KMutex", "Lock") => "TryLock",
            ("Page", "Lock") => "TryLock",
            ("RwSemaphore", "DownRead") => "DownReadTrylock",
            ("RwSemaphore", "DownWrite") => "DownWriteTrylock",
            _ => null,
        };
    }
}
