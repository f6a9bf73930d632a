using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.FaultHandlers;

/// <summary>
/// FL2005: sleep killably. A statement <c>x.Lock();</c> (or <c>DownRead</c>, <c>MmapReadLock</c>, <c>Wait.Event</c>) becomes
/// <c>if (x.LockKillable() != 0) return VmFaultResult.Sigbus;</c> — the task is being killed, so failing the fault
/// is the legal way out whatever the flags. For <c>page.Lock();</c> a second action uses
/// <c>Filemap.LockPageOrRetry(page, vmf)</c> and returns its result when it did not lock the page.
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
            text = $"var {name} = {filemap}.LockPageOrRetry({access.Expression}, {handler.Vmf});\nif ({name} != {result}.None)\n    return {name};";
            var statements = ParseAll(text, statement);
            if (statements is null)
            {
                return null;
            }

            return document.WithSyntaxRoot(root.ReplaceNode(statement, statements));
        }

        if (equivalenceKey != Killable || KillableName(type.Name, called.Name) is not { } killable)
        {
            return null;
        }

        var call = $"{access.Expression}.{killable}{invocation.ArgumentList}";
        text = $"if ({call} != 0)\n    return {result}.Sigbus;";
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

    private static IEnumerable<StatementSyntax>? ParseAll(string text, StatementSyntax anchor)
    {
        var list = new List<StatementSyntax>();
        var lines = text.Split('\n');
        list.Add(FixSyntax.ParseStatementLike(lines[0], anchor).WithLeadingTrivia(anchor.GetLeadingTrivia()));
        list.Add(FixSyntax.ParseStatementLike(lines[1] + "\n" + lines[2], anchor));
        return list;
    }
}
