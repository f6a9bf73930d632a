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
/// FL2005: sleep killably. A statement <c>x.Lock();</c> (or <c>DownRead</c>, <c>MmapReadLock</c>, <c>Wait.Event</c>) becomes
/// <c>if (x.LockKillable() != 0) return VmFaultResult.Sigbus;</c> — the task is being killed, so failing the fault
/// is the legal way out whatever the flags. For <c>page.Lock();</c> a second action uses
/// <c>Filemap.LockPageOrRetry(page, vmf)</c> and returns its result when it did not lock the page. When a wait is
/// pending at the call (an entry queued, a sleep state set), the new return first undoes it as the handler's cleanup
/// does (<c>SetCurrentState(Running)</c>, <c>RemoveWaitQueue</c> ...); when that cleanup cannot be told, no action.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL2005UninterruptibleSleepFix))]
[Shared]
public sealed class FL2005UninterruptibleSleepFix : SequentialFixProvider
{
    public const string Killable = "FL2005.Killable";
    public const string LockPageOrRetry = "FL2005.LockPageOrRetry";

    protected override string DiagnosticId => Descriptors.FL2005UninterruptibleSleep.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Use the killable form and fail the fault when killed", Killable);
        yield return ("Use Filemap.LockPageOrRetry", LockPageOrRetry);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null
            || target.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { Expression: MemberAccessExpressionSyntax access } invocation
            || invocation.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax } statement
            || !FixSyntax.IsWellFormed(statement)
            || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol called
            || called.ContainingType is not { ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } } type
            || HandlerFixFacts.HandlerOf(target, model, cancellationToken) is not { } handler)
        {
            return null;
        }

        // The new return leaves while a wait may be pending (an entry queued, a sleep state set): undo it there as
        // the handler's own cleanup does, or decline when that cleanup cannot be told.
        if (PendingWaitUndo.Before(statement, model, cancellationToken) is not { } undo)
        {
            return null;
        }

        var result = FixSyntax.TypeName(model, statement.SpanStart, "VmFaultResult");
        string text;
        if (equivalenceKey == LockPageOrRetry)
        {
            if ((type.Name, called.Name) != ("Page", "Lock") || invocation.ArgumentList.Arguments.Count != 0 || handler.Vmf is null)
            {
                return null;
            }

            var name = FixSyntax.UniqueLocalName(model, statement, "ret");
            var filemap = FixSyntax.TypeName(model, statement.SpanStart, "Filemap");
            var declaration = FixSyntax.ParseStatementLike($"var {name} = {filemap}.LockPageOrRetry({access.Expression}, {handler.Vmf});", statement)
                .WithLeadingTrivia(statement.GetLeadingTrivia());
            var check = FixSyntax.ParseStatementLike($"if ({name} != {result}.None)\n{HandlerReturns.Text(name, undo, "")}", statement);
            return document.WithSyntaxRoot(root.ReplaceNode(statement, new[] { declaration, check }));
        }

        if (equivalenceKey != Killable || KillableName(type.Name, called.Name) is not { } killable)
        {
            return null;
        }

        var call = $"{access.Expression}.{killable}{invocation.ArgumentList}";
        text = $"if ({call} != 0)\n{HandlerReturns.Text($"{result}.Sigbus", undo, "")}";
        var replacement = FixSyntax.ParseStatementLike(text, statement).WithLeadingTrivia(statement.GetLeadingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(statement, replacement));
    }

    private static string? KillableName(string type, string method) => (type, method) switch
    {
        ("Page", "Lock") => "LockKillable",
        ("KMutex", "Lock") => "LockKillable",
        ("RwSemaphore", "DownRead") => "DownReadKillable",
        ("RwSemaphore", "DownWrite") => "DownWriteKillable",
        ("MmStruct", "MmapReadLock") => "MmapReadLockKillable",
        ("Wait", "Event") => "EventKillable",
        _ => null,
    };
}
