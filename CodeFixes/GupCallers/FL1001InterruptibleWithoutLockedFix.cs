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
/// FL1001: Interruptible passed to GetUserPages / PinUserPages, which never drop the mmap lock and ignore it.
/// Three fixes, each with its own equivalence key:
/// <list type="bullet">
/// <item><see cref="UseLocked"/>: <c>mm.MmapReadLock(); bool locked = true; ret = GupLocked(..., ref locked);
/// if (locked) mm.MmapReadUnlock();</c> — GUP may now drop the lock to wait, and the unlock follows what it did.</item>
/// <item><see cref="UseUnlocked"/>: drop the lock and unlock around the call and use the ...Unlocked form.</item>
/// <item><see cref="DropFlag"/>: keep the call and remove Interruptible, which it never honoured (not offered in
/// the lock / call / unlock shape, where FL1008 would then ask for the ...Unlocked form).</item>
/// </list>
/// The first two are offered only for the shape <c>lock; call; unlock;</c> on the same mm, where nothing else runs
/// under the lock that a dropped lock would expose, and only when the flags are written out without Nowait (with
/// Nowait, Interruptible has no effect in any form: FL1007).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1001InterruptibleWithoutLockedFix))]
[Shared]
public sealed class FL1001InterruptibleWithoutLockedFix : SequentialFixProvider
{
    public const string UseLocked = "FL1001.UseLocked";
    public const string UseUnlocked = "FL1001.UseUnlocked";
    public const string DropFlag = "FL1001.DropFlag";

    protected override string DiagnosticId => Descriptors.FL1001InterruptibleWithoutLocked.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedForm, out var locked);
        diagnostic.Properties.TryGetValue(Descriptors.Properties.UnlockedForm, out var unlocked);
        if (locked is not null)
        {
            yield return ($"Call '{locked}' with a 'locked' local", UseLocked);
        }

        if (unlocked is not null)
        {
            yield return ($"Call '{unlocked}' without taking the mmap lock", UseUnlocked);
        }

        yield return ("Remove FollFlags.Interruptible", DropFlag);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(Descriptors.Properties.Method, out var method)
            || target.FirstAncestorOrSelf<ArgumentSyntax>() is not { Expression: var flags } argument
            || GupFixFacts.InvocationAt(argument) is not { } invocation
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

        switch (equivalenceKey)
        {
            case DropFlag:
                // In the lock / call / unlock shape the two other fixes make the flag work; dropping it instead would
                // leave exactly what FL1008 asks to turn into the ...Unlocked form.
                if (FixSyntax.StatementInBlock(invocation) is { } statement
                    && GupFixFacts.LockAround(statement, invocation.ArgumentList.Arguments[0].Expression, model, cancellationToken) is not null)
                {
                    return null;
                }

                return WithoutInterruptible(flags, model, cancellationToken) is { } withoutFlag
                    ? document.WithSyntaxRoot(root.ReplaceNode(flags, withoutFlag.WithTriviaFrom(flags)))
                    : null;

            case UseUnlocked when !WritesNowait(flags, model, cancellationToken):
                return diagnostic.Properties.TryGetValue(Descriptors.Properties.UnlockedForm, out var unlocked) && unlocked is not null
                    ? ToUnlocked(document, root, invocation, unlocked, model, cancellationToken)
                    : null;

            case UseLocked when !WritesNowait(flags, model, cancellationToken):
                return diagnostic.Properties.TryGetValue(Descriptors.Properties.LockedForm, out var locked) && locked is not null
                    ? ToLocked(document, root, invocation, locked, model, cancellationToken)
                    : null;

            default:
                return null;
        }
    }

    /// <summary>
    /// The flags without Interruptible: the operand removed from an <c>a | b | c</c> chain, <c>FollFlags.None</c> for
    /// the flag alone, else <c>flags &amp; ~FollFlags.Interruptible</c>.
    /// </summary>
    private static ExpressionSyntax? WithoutInterruptible(ExpressionSyntax flags, SemanticModel model, CancellationToken cancellationToken)
    {
        var operands = Operands(flags);
        var kept = operands.Where(operand => !IsInterruptible(operand, model, cancellationToken)).ToList();
        var followFlags = FixSyntax.TypeName(model, flags.SpanStart, "FollFlags");
        if (kept.Count == operands.Count)
        {
            var operand = FixSyntax.IsSimpleExpression(flags) ? flags.ToString() : "(" + flags + ")";
            return SyntaxFactory.ParseExpression($"{operand} & ~{followFlags}.Interruptible");
        }

        if (kept.Count == 0)
        {
            return SyntaxFactory.ParseExpression(followFlags + ".None");
        }

        return SyntaxFactory.ParseExpression(string.Join(" | ", kept.Select(k => k.ToString())));
    }

    /// <summary>
    /// Nowait is written among the flags, so the form change would not make Interruptible take effect (FL1007 says so
    /// on the new form). Flags the call cannot see into (a parameter, a local) get the form change: without Nowait
    /// it makes the flag work, and with Nowait the lock/call/unlock shape and the new form behave alike (neither
    /// waits: RetryNowait keeps the lock), so the change never makes things worse.
    /// </summary>
    private static bool WritesNowait(ExpressionSyntax flags, SemanticModel model, CancellationToken cancellationToken) =>
        Operands(flags).Any(operand => FollFlagsMember(operand, model, cancellationToken) == "Nowait");

    private static string? FollFlagsMember(ExpressionSyntax operand, SemanticModel model, CancellationToken cancellationToken) =>
        model.GetSymbolInfo(FixSyntax.Unparenthesize(operand)!, cancellationToken).Symbol is IFieldSymbol
        {
            ContainingType: { Name: "FollFlags", ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } },
        } field
            ? field.Name
            : null;

    /// <summary>The operands of an <c>a | b | c</c> chain in written order (the expression itself when it is not one).</summary>
    private static List<ExpressionSyntax> Operands(ExpressionSyntax flags)
    {
        var operands = new List<ExpressionSyntax>();
        var stack = new Stack<ExpressionSyntax>();
        stack.Push(flags);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            if (FixSyntax.Unparenthesize(current) is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } or)
            {
                // Right first, so the left operand comes out first and the written order is kept.
                stack.Push(or.Right);
                stack.Push(or.Left);
            }
            else
            {
                operands.Add(current);
            }
        }

        return operands;
    }

    private static bool IsInterruptible(ExpressionSyntax operand, SemanticModel model, CancellationToken cancellationToken) =>
        FollFlagsMember(operand, model, cancellationToken) == "Interruptible";

    private static Document? ToUnlocked(Document document, SyntaxNode root, InvocationExpressionSyntax invocation, string unlocked, SemanticModel model, CancellationToken cancellationToken)
    {
        if (FixSyntax.StatementInBlock(invocation) is not { } statement
            || GupFixFacts.LockAround(statement, invocation.ArgumentList.Arguments[0].Expression, model, cancellationToken) is not { } around
            || FixSyntax.WithMethodName(invocation, unlocked) is not { } renamed)
        {
            return null;
        }

        return document.WithSyntaxRoot(GupFixFacts.RemoveLockAround(root, statement, invocation, renamed, around));
    }

    private static Document? ToLocked(Document document, SyntaxNode root, InvocationExpressionSyntax invocation, string lockedForm, SemanticModel model, CancellationToken cancellationToken)
    {
        if (FixSyntax.StatementInBlock(invocation) is not { } statement
            || GupFixFacts.LockAround(statement, invocation.ArgumentList.Arguments[0].Expression, model, cancellationToken) is not { } around
            || FixSyntax.WithMethodName(invocation, lockedForm) is not { } renamed)
        {
            return null;
        }

        var local = FixSyntax.UniqueLocalName(model, statement, "locked");
        var arguments = invocation.ArgumentList.Arguments;
        var lockedArgument = SyntaxFactory.Argument(null, SyntaxFactory.Token(SyntaxKind.RefKeyword).WithTrailingTrivia(SyntaxFactory.Space), SyntaxFactory.IdentifierName(local));
        var withLocked = renamed.WithArgumentList(renamed.ArgumentList.WithArguments(
            arguments.Add(lockedArgument).ReplaceSeparator(
                arguments.Add(lockedArgument).GetSeparator(arguments.Count - 1),
                SyntaxFactory.Token(SyntaxKind.CommaToken).WithTrailingTrivia(SyntaxFactory.Space))));

        var declaration = FixSyntax.ParseStatementLike($"bool {local} = true;", statement);
        var unlockText = around.Unlock.WithoutTrivia().ToString();
        var conditionalUnlock = FixSyntax.ParseStatementLike($"if ({local})\n    {unlockText}", around.Unlock)
            .WithLeadingTrivia(around.Unlock.GetLeadingTrivia());

        var edited = root.TrackNodes(invocation, statement, around.Unlock);
        edited = edited.ReplaceNode(edited.GetCurrentNode(invocation)!, withLocked);
        edited = edited.InsertNodesBefore(edited.GetCurrentNode(statement)!, new[] { declaration });
        edited = edited.ReplaceNode(edited.GetCurrentNode(around.Unlock)!, conditionalUnlock);
        return document.WithSyntaxRoot(edited);
    }
}
