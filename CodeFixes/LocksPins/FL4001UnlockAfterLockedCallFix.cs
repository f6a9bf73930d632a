using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.LocksPins;

/// <summary>FL4001: release the mmap lock only if the ...Locked call left it held: <c>if (locked) mm.MmapReadUnlock();</c>.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(FL4001UnlockAfterLockedCallFix))]
[Shared]
public sealed class FL4001UnlockAfterLockedCallFix : SequentialFixProvider
{
    public const string GuardUnlock = "FL4001.GuardUnlock";

    protected override string DiagnosticId => Descriptors.FL4001UnlockAfterLockedCall.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        if (diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedLocal, out var local) && local is not null)
        {
            yield return ($"Unlock only if '{local}'", GuardUnlock);
        }
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != GuardUnlock
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedLocal, out var local) || local is null
            || target.FirstAncestorOrSelf<InvocationExpressionSyntax>() is not { } invocation
            || invocation.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax } statement
            || !FixSyntax.IsWellFormed(statement))
        {
            return null;
        }

        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return null;
        }

        var guarded = FixSyntax.ParseStatementLike($"if ({local})\n    {statement.WithoutTrivia().ToFullString()}", statement)
            .WithLeadingTrivia(statement.GetLeadingTrivia())
            .WithTrailingTrivia(statement.GetTrailingTrivia());
        return document.WithSyntaxRoot(root.ReplaceNode(statement, guarded));
    }
}
