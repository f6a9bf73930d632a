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
/// FL1009: a ...Fast form given Interruptible or Nowait returns -EINVAL. Move the call to the ...Unlocked form,
/// which honours both: <c>Gup.GetUserPagesFast(start, n, flags, pages)</c> becomes
/// <c>Gup.GetUserPagesUnlocked(KernelTask.Current.Mm!, start, n, flags, pages)</c> (the fast forms work on the
/// current task's mm). Not offered when both flags are always passed: the ...Unlocked form would then ignore
/// Interruptible because of Nowait (FL1007).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1009FlagRejectedByFastFix))]
[Shared]
public sealed class FL1009FlagRejectedByFastFix : SequentialFixProvider
{
    public const string MoveToUnlocked = "FL1009.MoveToUnlocked";

    protected override string DiagnosticId => Descriptors.FL1009FlagRejectedByFast.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        // With both flags the ...Unlocked form would still ignore Interruptible (FL1007): no single move fixes that.
        diagnostic.Properties.TryGetValue(Descriptors.Properties.Flags, out var flags);
        var both = flags is not null && flags.Split(',').Contains("Interruptible") && flags.Split(',').Contains("Nowait");
        if (!both && diagnostic.Properties.TryGetValue(Descriptors.Properties.UnlockedForm, out var unlocked) && unlocked is not null)
        {
            yield return ($"Call '{unlocked}' on the current task's mm", MoveToUnlocked);
        }
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != MoveToUnlocked || !Candidates(diagnostic).Any()
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.UnlockedForm, out var unlocked) || unlocked is null
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Method, out var method)
            || GupFixFacts.InvocationAt(target) is not { } invocation
            || !FixSyntax.HasOnlyPositionalArguments(invocation)
            || invocation.ArgumentList.Arguments.Count != 4)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !GupFixFacts.IsGupCall(invocation, method, model, cancellationToken))
        {
            return null;
        }

        var task = FixSyntax.TypeName(model, invocation.SpanStart, "KernelTask");
        var mm = SyntaxFactory.Argument(SyntaxFactory.ParseExpression(task + ".Current.Mm!"));
        var arguments = invocation.ArgumentList.Arguments;
        var nodes = new List<SyntaxNodeOrToken> { mm, SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space) };
        nodes.AddRange(arguments.GetWithSeparators());
        var renamed = FixSyntax.WithMethodName(invocation, unlocked);
        if (renamed is null)
        {
            return null;
        }

        var replacement = renamed.WithArgumentList(invocation.ArgumentList.WithArguments(SyntaxFactory.SeparatedList<ArgumentSyntax>(nodes)));
        return document.WithSyntaxRoot(root.ReplaceNode(invocation, replacement));
    }
}
