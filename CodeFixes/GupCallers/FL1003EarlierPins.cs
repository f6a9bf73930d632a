using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.GupCallers;

/// <summary>
/// The pages that earlier GUP calls of the function still hold where the FL1003 fixes add a return. Every new return
/// must release them as well as the fixed call's prefix, or it leaks them (kernel: an error path after a second
/// pin_user_pages must unpin the first one's pages too). Read from the statements that run before the fixed call
/// in the blocks around it: an earlier call <c>long rv = Gup.X(..., n, ..., pages)</c> holds <c>rv</c> pages in
/// <c>pages</c> once a statement left the function for a negative <c>rv</c> (or for <c>rv != n</c>), until
/// <c>Gup.UnpinUserPages(pages, rv)</c> or a <c>Gup.PutPage(pages[i])</c> loop up to <c>rv</c> releases them (or up
/// to <c>n</c> after <c>rv != n</c> left). Anything else (a discarded result, a release by another count, the array
/// passed on, a call in a loop around the fixed one) cannot be told, and the fix declines.
/// </summary>
internal static class FL1003EarlierPins
{
    /// <summary>Pages still held: release <see cref="Count"/> entries of <see cref="Pages"/>, unpinning when <see cref="Pins"/>.</summary>
    public sealed class Held
    {
        public Held(string pages, string count, bool pins)
        {
            Pages = pages;
            Count = count;
            Pins = pins;
        }

        public string Pages { get; }

        public string Count { get; }

        public bool Pins { get; }
    }

    /// <summary>
    /// What earlier calls hold at <paramref name="statement"/> (the fixed call's statement), or null when it cannot
    /// be told. A call that filled <paramref name="fixedPages"/> is left out: the fixed call refills that array,
    /// so its pages are not reachable from the new return whatever the fix does.
    /// </summary>
    public static IReadOnlyList<Held>? HeldBefore(
        StatementSyntax statement, InvocationExpressionSyntax fixedCall, string fixedPages, SemanticModel model, CancellationToken cancellationToken)
    {
        // The statements that run before the fixed one, outermost block first, in order.
        var before = new List<StatementSyntax>();
        SyntaxNode node = statement;
        while (node.Parent is { } parent && parent is not (MemberDeclarationSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (parent is BlockSyntax block && node is StatementSyntax inner)
            {
                before.InsertRange(0, block.Statements.TakeWhile(s => s != inner));
            }
            else if (parent is SwitchSectionSyntax section && node is StatementSyntax caseStatement)
            {
                // The statements of the same case label before it run first; other sections do not.
                before.InsertRange(0, section.Statements.TakeWhile(s => s != caseStatement));
            }
            else if (parent is WhileStatementSyntax or DoStatementSyntax or ForStatementSyntax or ForEachStatementSyntax
                && GupCallsIn(parent, model, cancellationToken).Any(call => call.Invocation != fixedCall))
            {
                // A call in an enclosing loop may hold pages from the previous iteration.
                return null;
            }

            node = parent;
        }

        var held = new List<Held>();
        for (var i = 0; i < before.Count; i++)
        {
            if (LoopForRestShape(before, i, model, cancellationToken) is { } loop)
            {
                // A loop FL1003.LoopForRest wrote: after it the array holds all 'count' pages, 'result' of them.
                if (loop.Pages != fixedPages)
                {
                    switch (StillHeld(before.Skip(i + 1), loop.Pages, loop.Count, loop.Result, full: true))
                    {
                        case Holding.Unknown:
                            return null;
                        case Holding.Held:
                            held.Add(new Held(loop.Pages, loop.Result, loop.Pins));
                            break;
                    }
                }

                continue;
            }

            foreach (var call in GupCallsIn(before[i], model, cancellationToken))
            {
                if (call.Pages is null
                    || call.Pages is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression }
                    || call.Pages.ToString() == fixedPages)
                {
                    continue;
                }

                if (ResultLocal(before[i], call.Invocation) is not { } result || call.Count is null
                    || !FixSyntax.IsSimpleExpression(call.Pages) || !FixSyntax.IsSimpleExpression(call.Count))
                {
                    return null;
                }

                switch (StillHeld(before.Skip(i + 1), call.Pages.ToString(), call.Count.ToString(), result, full: false))
                {
                    case Holding.Unknown:
                        return null;
                    case Holding.Held:
                        held.Add(new Held(call.Pages.ToString(), result, call.Pins));
                        break;
                }
            }
        }

        return held;
    }

    private enum Holding
    {
        Released,
        Held,
        Unknown,
    }

    private sealed class Loop
    {
        public Loop(string pages, string count, string result, bool pins)
        {
            Pages = pages;
            Count = count;
            Result = result;
            Pins = pins;
        }

        public string Pages { get; }

        public string Count { get; }

        public string Result { get; }

        public bool Pins { get; }
    }

    /// <summary>
    /// <c>long rv = 0; while (rv &lt; n) { var rest = ...; long got = Gup.X(..., rest); ... Array.Copy(rest, 0, pages, rv, got); rv += got; }</c>
    /// at <paramref name="index"/> (the loop): after it <c>pages</c> holds <c>rv == n</c> pages; every exit inside releases them.
    /// </summary>
    private static Loop? LoopForRestShape(List<StatementSyntax> statements, int index, SemanticModel model, CancellationToken cancellationToken)
    {
        if (index == 0
            || statements[index] is not WhileStatementSyntax
            {
                Condition: BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LessThanExpression, Left: IdentifierNameSyntax counter } condition,
                Statement: BlockSyntax body,
            }
            || ResultInitializedToZero(statements[index - 1]) != counter.Identifier.ValueText
            || GupCallsIn(body, model, cancellationToken).ToList() is not { Count: 1 } calls
            || calls[0].Pages is not IdentifierNameSyntax scratch
            || !body.Statements.OfType<LocalDeclarationStatementSyntax>().Any(d => d.Declaration.Variables.Any(v => v.Identifier.ValueText == scratch.Identifier.ValueText)))
        {
            return null;
        }

        foreach (var statement in body.Statements)
        {
            if (statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 5 } arguments } copy }
                && copy.Expression.ToString() is "Array.Copy" or "System.Array.Copy"
                && FixSyntax.IsName(arguments[0].Expression, scratch.Identifier.ValueText)
                && FixSyntax.IsName(arguments[3].Expression, counter.Identifier.ValueText)
                && FixSyntax.IsSimpleExpression(arguments[2].Expression))
            {
                return new Loop(arguments[2].Expression.ToString(), condition.Right.ToString(), counter.Identifier.ValueText, calls[0].Pins);
            }
        }

        return null;
    }

    /// <summary>The local <c>long rv = 0;</c> or <c>rv = 0;</c> sets to zero.</summary>
    private static string? ResultInitializedToZero(StatementSyntax statement) => statement switch
    {
        LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables }
            when variables[0].Initializer?.Value is LiteralExpressionSyntax { Token.ValueText: "0" } => variables[0].Identifier.ValueText,
        ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax name, Right: LiteralExpressionSyntax { Token.ValueText: "0" } } } =>
            name.Identifier.ValueText,
        _ => null,
    };

    private sealed class GupCall
    {
        public GupCall(InvocationExpressionSyntax invocation, ExpressionSyntax? count, ExpressionSyntax? pages, bool pins)
        {
            Invocation = invocation;
            Count = count;
            Pages = pages;
            Pins = pins;
        }

        public InvocationExpressionSyntax Invocation { get; }

        public ExpressionSyntax? Count { get; }

        public ExpressionSyntax? Pages { get; }

        public bool Pins { get; }
    }

    /// <summary>The <c>FaultLine.Gup</c> calls that take pages (the GetUserPages*/PinUserPages* forms) under <paramref name="node"/>.</summary>
    private static IEnumerable<GupCall> GupCallsIn(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        foreach (var invocation in node.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>())
        {
            if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol
                {
                    ContainingType: { Name: "Gup", ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } },
                } method
                || !(method.Name.StartsWith("GetUserPages", System.StringComparison.Ordinal) || method.Name.StartsWith("PinUserPages", System.StringComparison.Ordinal)))
            {
                continue;
            }

            yield return new GupCall(
                invocation,
                ArgumentFor(invocation, method, "nrPages"),
                ArgumentFor(invocation, method, "pages"),
                method.Name.StartsWith("Pin", System.StringComparison.Ordinal));
        }
    }

    private static ExpressionSyntax? ArgumentFor(InvocationExpressionSyntax invocation, IMethodSymbol method, string name)
    {
        var arguments = invocation.ArgumentList.Arguments;
        if (arguments.Any(a => a.NameColon is not null))
        {
            return null;
        }

        var parameter = method.Parameters.FirstOrDefault(p => p.Name == name);
        return parameter is not null && parameter.Ordinal < arguments.Count ? arguments[parameter.Ordinal].Expression : null;
    }

    /// <summary>The local <c>long rv = call;</c> or <c>rv = call;</c> stores the result in, when the call is the whole statement.</summary>
    private static string? ResultLocal(StatementSyntax statement, InvocationExpressionSyntax invocation) => statement switch
    {
        LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables } when variables[0].Initializer?.Value == invocation =>
            variables[0].Identifier.ValueText,
        ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax name } assignment }
            when assignment.Right == invocation => name.Identifier.ValueText,
        _ => null,
    };

    /// <summary>Whether the <paramref name="result"/> pages in <paramref name="pages"/> are still held after <paramref name="statements"/>.</summary>
    private static Holding StillHeld(IEnumerable<StatementSyntax> statements, string pages, string count, string result, bool full)
    {
        var nonNegative = full;
        foreach (var statement in statements)
        {
            if (Writes(statement, result) || Writes(statement, pages) || Writes(statement, count))
            {
                return Holding.Unknown;
            }

            if (statement is IfStatementSyntax { Else: null } test && FixSyntax.AlwaysLeaves(test.Statement))
            {
                // What the leaving branch does is its own business; what matters is what the path past it knows.
                if (FixSyntax.CatchesNegative(test.Condition, result))
                {
                    nonNegative = true;
                }
                else if (IsShortCountTest(test.Condition, result, count))
                {
                    nonNegative = true;
                    full = true;
                }

                if (!Mentions(test.Condition, pages))
                {
                    continue;
                }
            }

            if (!Mentions(statement, pages))
            {
                continue;
            }

            if (ReleasedCount(statement, pages) is { } released)
            {
                if (released == result || (full && released == count))
                {
                    return Holding.Released;
                }

                return Holding.Unknown;
            }

            if (!OnlyReads(statement, pages))
            {
                return Holding.Unknown;
            }
        }

        return nonNegative ? Holding.Held : Holding.Unknown;
    }

    /// <summary><c>rv != n</c>, <c>n != rv</c> or <c>rv &lt; n</c>.</summary>
    private static bool IsShortCountTest(ExpressionSyntax condition, string result, string count) =>
        FixSyntax.Unparenthesize(condition) is BinaryExpressionSyntax binary
        && ((binary.IsKind(SyntaxKind.NotEqualsExpression)
                && ((FixSyntax.IsName(binary.Left, result) && binary.Right.ToString() == count)
                    || (FixSyntax.IsName(binary.Right, result) && binary.Left.ToString() == count)))
            || (binary.IsKind(SyntaxKind.LessThanExpression) && FixSyntax.IsName(binary.Left, result) && binary.Right.ToString() == count));

    /// <summary>
    /// The count a release statement releases <paramref name="pages"/> by: <c>Gup.UnpinUserPages(pages, c);</c> or
    /// <c>for (long i = 0; i &lt; c; i++) Gup.PutPage(pages[i]);</c>. "?" for any other statement that releases
    /// some of them; null when the statement releases none.
    /// </summary>
    private static string? ReleasedCount(StatementSyntax statement, string pages)
    {
        if (statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call }
            && IsGupMember(call.Expression, "UnpinUserPages")
            && call.ArgumentList.Arguments is { Count: 2 } arguments
            && arguments[0].Expression.ToString() == pages)
        {
            return arguments[1].Expression.ToString();
        }

        if (statement is ForStatementSyntax
            {
                Declaration.Variables: { Count: 1 } variables,
                Condition: BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LessThanExpression } bound,
                Statement: var body,
            }
            && FixSyntax.IsName(bound.Left, variables[0].Identifier.ValueText)
            && variables[0].Initializer?.Value is LiteralExpressionSyntax { Token.ValueText: "0" }
            && (body is BlockSyntax { Statements: { Count: 1 } statements } ? statements[0] : body) is ExpressionStatementSyntax
            {
                Expression: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } putArguments } put,
            }
            && IsGupMember(put.Expression, "PutPage")
            && putArguments[0].Expression is ElementAccessExpressionSyntax { ArgumentList.Arguments: { Count: 1 } index } element
            && element.Expression.ToString() == pages
            && FixSyntax.IsName(index[0].Expression, variables[0].Identifier.ValueText))
        {
            return bound.Right.ToString();
        }

        var releases = statement.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Any(invocation =>
            (IsGupMember(invocation.Expression, "UnpinUserPages") || IsGupMember(invocation.Expression, "UnpinUserPage")
                || IsGupMember(invocation.Expression, "PutPage"))
            && Mentions(invocation.ArgumentList, pages));
        return releases ? "?" : null;
    }

    private static bool IsGupMember(ExpressionSyntax expression, string name) =>
        expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var member, Expression: var owner }
        && member == name && owner.ToString() is "Gup" or "FaultLine.Gup" or "global::FaultLine.Gup";

    /// <summary>Every mention of <paramref name="pages"/> reads an element or the length: nothing else can keep or release them.</summary>
    private static bool OnlyReads(SyntaxNode node, string pages)
    {
        foreach (var mention in MentionsOf(node, pages))
        {
            var parent = mention.Parent;
            var readsElement = parent is ElementAccessExpressionSyntax element && element.Expression == mention
                && !(element.Parent is AssignmentExpressionSyntax assignment && assignment.Left == element);
            var readsLength = parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length" } length && length.Expression == mention;
            if (!readsElement && !readsLength)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Mentions(SyntaxNode node, string pages) => MentionsOf(node, pages).Any();

    /// <summary>The expressions under <paramref name="node"/> written exactly as <paramref name="pages"/> (a name or <c>this.pages</c>).</summary>
    private static IEnumerable<ExpressionSyntax> MentionsOf(SyntaxNode node, string pages) =>
        node.DescendantNodesAndSelf().OfType<ExpressionSyntax>()
            .Where(e => e is IdentifierNameSyntax or MemberAccessExpressionSyntax && e.ToString() == pages
                && !(e.Parent is MemberAccessExpressionSyntax parent && parent.Name == e));

    /// <summary>Whether the statement assigns, increments or passes by ref the variable written as <paramref name="name"/>.</summary>
    private static bool Writes(SyntaxNode statement, string name) =>
        statement.DescendantNodesAndSelf().Any(node => node switch
        {
            AssignmentExpressionSyntax assignment => assignment.Left.ToString() == name,
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand.ToString() == name,
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand.ToString() == name,
            ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None) && argument.Expression.ToString() == name,
            VariableDeclaratorSyntax declarator => declarator.Identifier.ValueText == name,
            _ => false,
        });
}
