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
/// FL1008: the simpler form the analyzer found, which it reports only where the meaning is kept.
/// <list type="bullet">
/// <item>Lock / GetUserPages / unlock: drop the lock and unlock statements and call <c>GetUserPagesUnlocked</c>,
/// which takes the lock itself.</item>
/// <item><c>GetUserPagesUnlocked(KernelTask.Current.Mm, ...)</c>: drop the mm argument and call <c>GetUserPagesFast</c>.</item>
/// </list>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1008SimplerFormFix))]
[Shared]
public sealed class FL1008SimplerFormFix : SequentialFixProvider
{
    public const string UseUnlocked = "FL1008.UseUnlocked";
    public const string UseFast = "FL1008.UseFast";

    protected override string DiagnosticId => Descriptors.FL1008SimplerFormAvailable.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(Descriptors.Properties.Replacement, out var replacement) || replacement is null
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Kind, out var kind))
        {
            yield break;
        }

        if (kind == Descriptors.Properties.LockAroundCall)
        {
            yield return ($"Call '{replacement}', which takes the mmap lock itself", UseUnlocked);
        }
        else if (kind == Descriptors.Properties.CurrentMm)
        {
            yield return ($"Call '{replacement}'", UseFast);
        }
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(Descriptors.Properties.Replacement, out var replacement) || replacement is null
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Method, out var method)
            || GupFixFacts.InvocationAt(target) is not { } invocation
            || !FixSyntax.HasOnlyPositionalArguments(invocation)
            || invocation.ArgumentList.Arguments.Count != 5)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !GupFixFacts.IsGupCall(invocation, method, model, cancellationToken))
        {
            return null;
        }

        return equivalenceKey switch
        {
            UseUnlocked => UseUnlockedForm(document, root, invocation, replacement, model, cancellationToken),
            UseFast => UseFastForm(document, root, invocation, replacement),
            _ => null,
        };
    }

    private static Document? UseUnlockedForm(Document document, SyntaxNode root, InvocationExpressionSyntax invocation, string replacement, SemanticModel model, CancellationToken cancellationToken)
    {
        if (FixSyntax.StatementInBlock(invocation) is not { } statement
            || GupFixFacts.LockAround(statement, invocation.ArgumentList.Arguments[0].Expression, model, cancellationToken) is not { } around
            || FixSyntax.WithMethodName(invocation, replacement) is not { } renamed)
        {
            return null;
        }

        return document.WithSyntaxRoot(GupFixFacts.RemoveLockAround(root, statement, invocation, renamed, around));
    }

    private static Document? UseFastForm(Document document, SyntaxNode root, InvocationExpressionSyntax invocation, string replacement)
    {
        if (FixSyntax.WithMethodName(invocation, replacement) is not { } renamed)
        {
            return null;
        }

        // Drop the mm argument and the comma after it; the next argument keeps its own trivia.
        var remaining = invocation.ArgumentList.Arguments.GetWithSeparators().Skip(2).ToList();
        if (remaining.Count > 0 && remaining[0].IsNode)
        {
            remaining[0] = remaining[0].AsNode()!.WithLeadingTrivia(invocation.ArgumentList.Arguments[0].GetLeadingTrivia());
        }

        var arguments = SyntaxFactory.SeparatedList<ArgumentSyntax>(remaining);
        return document.WithSyntaxRoot(root.ReplaceNode(invocation, renamed.WithArgumentList(invocation.ArgumentList.WithArguments(arguments))));
    }
}
