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
/// FL1003, two fixes. <see cref="ReleaseAndFail"/>: before the pages are used, release the prefix GUP took and fail
/// when it took fewer than requested:
/// <code>
/// if (ret &lt; 0)
///     return ret;
/// if (ret != nrPages)
/// {
///     Gup.UnpinUserPages(pages, ret);   // a loop of Gup.PutPage(pages[i]) for the Get forms
///     return -Errno.EFAULT;
/// }
/// </code>
/// The negative test is added only when the statements since the call have none (a negative result must neither
/// be released nor turned into -EFAULT). Works on every form, the fast ones (no mm argument) included: the count and
/// pages are found by parameter, not by position. Offered when the result is in a local, the call and the first use
/// are in the same block, the count and pages are simple expressions, and the function returns <c>int</c> or <c>long</c>.
/// <see cref="LoopForRest"/>: call again for the pages still missing until all are taken (see
/// <see cref="LoopForTheRest"/>).
/// Both fixes also release, on every return they add, what earlier GUP calls of the function still hold there, and
/// decline when that cannot be told (<see cref="FL1003EarlierPins"/>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1003PartialCountFix))]
[Shared]
public sealed class FL1003PartialCountFix : SequentialFixProvider
{
    public const string ReleaseAndFail = "FL1003.ReleaseAndFail";
    public const string LoopForRest = "FL1003.LoopForRest";

    protected override string DiagnosticId => Descriptors.FL1003PartialCountNotHandled.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        if (diagnostic.Properties.TryGetValue(Descriptors.Properties.ResultLocal, out var local) && local is not null)
        {
            yield return ("Release the pages taken and fail on a short count", ReleaseAndFail);
            yield return ("Call again for the rest until every page is taken", LoopForRest);
        }
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        var properties = diagnostic.Properties;
        if (equivalenceKey is not (ReleaseAndFail or LoopForRest)
            || !properties.TryGetValue(Descriptors.Properties.ResultLocal, out var local) || local is null
            || !properties.TryGetValue(Descriptors.Properties.RequestedCount, out var countText) || countText is null
            || !properties.TryGetValue(Descriptors.Properties.Pages, out var pagesText) || pagesText is null
            || !properties.TryGetValue(Descriptors.Properties.Method, out var method)
            || diagnostic.AdditionalLocations.Count == 0
            || target is not InvocationExpressionSyntax invocation
            || !FixSyntax.HasOnlyPositionalArguments(invocation))
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !GupFixFacts.IsGupCall(invocation, method, model, cancellationToken)
            || FixSyntax.StatementInBlock(invocation) is not { Parent: BlockSyntax block } statement
            || FixSyntax.ReturnTypeOfEnclosingFunction(statement, model, cancellationToken) is not { } returnType
            || FixSyntax.ReturnLong(local, returnType) is not { } returnedResult
            || !StoresResultIn(statement, invocation, local))
        {
            return null;
        }

        // The count and pages as they are in the call now (Fix All may have edited the document since the diagnostic),
        // found by parameter: the fast forms have no mm argument, so the positions differ between forms.
        if (ArgumentFor(invocation, "nrPages", model, cancellationToken) is not { } count
            || ArgumentFor(invocation, "pages", model, cancellationToken) is not { } pages
            || !FixSyntax.IsSimpleExpression(count) || !FixSyntax.IsSimpleExpression(pages)
            || count.ToString() != countText || pages.ToString() != pagesText
            || WrittenBetweenCallAndUse(block, statement, count, pages, local) is not { } use
            || GupFixFacts.IsLockedForm(method)
            || GupFixFacts.FunctionLockMayBeHeldAt(statement, use.SpanStart, model, cancellationToken))
        {
            // The new returns would leave a lock the function took behind.
            return null;
        }

        // Pages earlier calls still hold must be released on every return the fix adds; when that cannot be told, decline.
        if (FL1003EarlierPins.HeldBefore(statement, invocation, pages.ToString(), model, cancellationToken) is not { } held)
        {
            return null;
        }

        var pins = properties.TryGetValue(Descriptors.Properties.Pins, out var pinsText) && pinsText == "true";
        var gup = FixSyntax.TypeName(model, statement.SpanStart, "Gup");
        var errno = FixSyntax.TypeName(model, statement.SpanStart, "Errno");
        if (equivalenceKey == LoopForRest)
        {
            return LoopForTheRest(document, root, statement, invocation, local, returnType, pins, held, gup, errno, model, cancellationToken);
        }

        var index = FixSyntax.UniqueNestedLocalName(model, use.SpanStart, "i");
        var releaseHeld = ReleaseHeld(held, gup, index, "    ");
        var release = Release(pages.ToString(), local, pins, gup, index, "    ") + releaseHeld;
        var checks = new List<StatementSyntax>();
        if (!HasNegativeExit(block, statement, use, local))
        {
            checks.Add(FixSyntax.ParseStatementLike(
                held.Count == 0
                    ? $"if ({local} < 0)\n    return {returnedResult};"
                    : $"if ({local} < 0)\n{{{releaseHeld}\n    return {returnedResult};\n}}",
                use));
        }

        checks.Add(FixSyntax.ParseStatementLike($"if ({local} != {count})\n{{\n{release}\n    return -{errno}.EFAULT;\n}}", use));
        return document.WithSyntaxRoot(root.InsertNodesBefore(use, checks));
    }

    /// <summary>The releases of what earlier calls still hold, each on its own line after a newline.</summary>
    private static string ReleaseHeld(IReadOnlyList<FL1003EarlierPins.Held> held, string gup, string index, string indent) =>
        string.Concat(held.Select(h => "\n" + Release(h.Pages, h.Count, h.Pins, gup, index, indent)));

    /// <summary>Releases pages[0..count-1]: <c>UnpinUserPages</c> for pins, <c>PutPage</c> one by one for references.</summary>
    private static string Release(string pages, string count, bool pins, string gup, string index, string indent) =>
        pins
            ? $"{indent}{gup}.UnpinUserPages({pages}, {count});"
            : $"{indent}for (long {index} = 0; {index} < {count}; {index}++)\n{indent}    {gup}.PutPage({pages}[{index}]);";

    /// <summary>
    /// Replaces <c>long ret = Gup.X(mm, start, n, flags, pages);</c> (or a fast form's <c>Gup.X(start, n, flags, pages)</c>)
    /// by a loop that asks for the pages still missing into a scratch array, copies what each call took after what the earlier calls took, and on a failure releases
    /// everything taken so far and fails with the call's errno (or -EFAULT for nothing taken). After the loop
    /// <c>ret == n</c>. Only for the forms that do not hand back a dropped lock (plain, ...Unlocked): a ...Locked
    /// call may return with the lock gone, which the loop would not re-take.
    /// </summary>
    private static Document? LoopForTheRest(
        Document document, SyntaxNode root, StatementSyntax statement, InvocationExpressionSyntax invocation, string local,
        ITypeSymbol returnType, bool pins, IReadOnlyList<FL1003EarlierPins.Held> held, string gup, string errno, SemanticModel model, CancellationToken cancellationToken)
    {
        var arguments = invocation.ArgumentList.Arguments;
        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method
            || method.Parameters.Length != arguments.Count
            || method.Name.EndsWith("Locked", System.StringComparison.Ordinal) && !method.Name.EndsWith("Unlocked", System.StringComparison.Ordinal)
            || arguments.Any(argument => !HasNoSideEffects(argument.Expression) || !argument.RefKindKeyword.IsKind(SyntaxKind.None))
            || ArgumentFor(invocation, "start", model, cancellationToken) is not { } start
            || ArgumentFor(invocation, "nrPages", model, cancellationToken) is not { } count
            || ArgumentFor(invocation, "pages", model, cancellationToken) is not { } pages
            || model.GetTypeInfo(start, cancellationToken).Type?.SpecialType != SpecialType.System_UInt64)
        {
            return null;
        }

        // Declared inside the new loop body, so only names in scope at the call can clash.
        var rest = FixSyntax.UniqueNestedLocalName(model, statement.SpanStart, "rest");
        var got = FixSyntax.UniqueNestedLocalName(model, statement.SpanStart, "got");
        var page = FixSyntax.TypeName(model, statement.SpanStart, "Page");
        var array = model.LookupNamespacesAndTypes(statement.SpanStart, name: "Array").Any(symbol => symbol.ToDisplayString() == "System.Array")
            ? "Array"
            : "System.Array";
        var index = FixSyntax.UniqueNestedLocalName(model, statement.SpanStart, "i");
        var failure = FixSyntax.ReturnLong(got, returnType);
        if (failure is null)
        {
            return null;
        }

        // The same call for the pages still missing: start moved past what was taken, the rest of the count, the
        // scratch array; every other argument (mm, flags) as it was.
        var startText = start is IdentifierNameSyntax or MemberAccessExpressionSyntax ? start.ToString() : "(" + start + ")";
        var callArguments = arguments.Select(argument =>
            argument.Expression == start ? $"{startText} + (ulong){local} * {page}.Size"
            : argument.Expression == count ? $"{count} - {local}"
            : argument.Expression == pages ? rest
            : argument.Expression.ToString());
        var call = $"{invocation.Expression}({string.Join(", ", callArguments)})";
        var declaration = statement is LocalDeclarationStatementSyntax ? $"long {local} = 0;" : $"{local} = 0;";
        var loop = string.Join("\n", new[]
        {
            $"while ({local} < {count})",
            "{",
            $"    var {rest} = new {page}[{count} - {local}];",
            $"    long {got} = {call};",
            $"    if ({got} <= 0)",
            "    {",
            Release(pages.ToString(), local, pins, gup, index, "        ") + ReleaseHeld(held, gup, index, "        "),
            $"        return {got} < 0 ? {failure} : -{errno}.EFAULT;",
            "    }",
            $"    {array}.Copy({rest}, 0, {pages}, {local}, {got});",
            $"    {local} += {got};",
            "}",
        });

        var first = FixSyntax.ParseStatementLike(declaration, statement).WithLeadingTrivia(statement.GetLeadingTrivia());
        var second = FixSyntax.ParseStatementLike(loop, statement);
        return document.WithSyntaxRoot(root.ReplaceNode(statement, new[] { first, second }));
    }

    /// <summary>
    /// The argument passed to the GUP method's parameter <paramref name="parameterName"/> (<c>nrPages</c>, <c>pages</c>,
    /// <c>start</c>), or null. Callers have checked the arguments are positional.
    /// </summary>
    private static ExpressionSyntax? ArgumentFor(InvocationExpressionSyntax invocation, string parameterName, SemanticModel model, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method)
        {
            return null;
        }

        var parameter = method.Parameters.FirstOrDefault(p => p.Name == parameterName);
        var arguments = invocation.ArgumentList.Arguments;
        return parameter is not null && parameter.Ordinal < arguments.Count ? arguments[parameter.Ordinal].Expression : null;
    }

    /// <summary>An argument that may be evaluated once per call of the loop: no calls, assignments or allocations.</summary>
    private static bool HasNoSideEffects(ExpressionSyntax expression) =>
        !expression.DescendantNodesAndSelf().Any(node => node is InvocationExpressionSyntax or AssignmentExpressionSyntax
            or BaseObjectCreationExpressionSyntax or ArrayCreationExpressionSyntax or ImplicitArrayCreationExpressionSyntax
            or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }
            or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression }
            or AnonymousFunctionExpressionSyntax);

    /// <summary>The call's statement stores the result in <paramref name="local"/>: <c>ret = Gup.X(...);</c> or <c>long ret = Gup.X(...);</c>.</summary>
    private static bool StoresResultIn(StatementSyntax statement, InvocationExpressionSyntax invocation, string local) => statement switch
    {
        ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment } =>
            assignment.Right == invocation && FixSyntax.IsName(assignment.Left, local),
        LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables } =>
            variables[0].Initializer?.Value == invocation && variables[0].Identifier.ValueText == local,
        _ => false,
    };

    /// <summary>
    /// The statement of <paramref name="block"/> after the call where the pages are first used (the first that
    /// mentions them), or null when the count, the pages or the result may be assigned before it (the check would compare with a
    /// different count) or there is none.
    /// </summary>
    private static StatementSyntax? WrittenBetweenCallAndUse(BlockSyntax block, StatementSyntax statement, ExpressionSyntax count, ExpressionSyntax pages, string local)
    {
        var names = new HashSet<string>(count.DescendantNodesAndSelf().Concat(pages.DescendantNodesAndSelf())
            .OfType<IdentifierNameSyntax>().Select(n => n.Identifier.ValueText)) { local };
        var pagesName = (FixSyntax.Unparenthesize(pages) as IdentifierNameSyntax)?.Identifier.ValueText
            ?? (FixSyntax.Unparenthesize(pages) as MemberAccessExpressionSyntax)?.Name.Identifier.ValueText;
        for (var i = block.Statements.IndexOf(statement) + 1; i < block.Statements.Count; i++)
        {
            var candidate = block.Statements[i];
            if (pagesName is not null && candidate.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == pagesName))
            {
                return candidate;
            }

            if (candidate.DescendantNodes().Any(node => IsWriteOf(node, names)))
            {
                return null;
            }
        }

        return null;
    }

    private static bool IsWriteOf(SyntaxNode node, HashSet<string> names) => node switch
    {
        AssignmentExpressionSyntax assignment => Writes(assignment.Left, names),
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => Writes(prefix.Operand, names),
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => Writes(postfix.Operand, names),
        ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(SyntaxKind.None) && Writes(argument.Expression, names),
        _ => false,
    };

    private static bool Writes(ExpressionSyntax target, HashSet<string> names) =>
        FixSyntax.Unparenthesize(target) switch
        {
            IdentifierNameSyntax name => names.Contains(name.Identifier.ValueText),
            MemberAccessExpressionSyntax access => names.Contains(access.Name.Identifier.ValueText),
            _ => false,
        };

    /// <summary>Whether a statement between the call and the use leaves the function when the result is negative.</summary>
    private static bool HasNegativeExit(BlockSyntax block, StatementSyntax statement, StatementSyntax use, string local)
    {
        for (var i = block.Statements.IndexOf(statement) + 1; i < block.Statements.IndexOf(use); i++)
        {
            if (block.Statements[i] is IfStatementSyntax { Else: null } test
                && FixSyntax.CatchesNegative(test.Condition, local) && FixSyntax.AlwaysLeaves(test.Statement))
            {
                return true;
            }
        }

        return false;
    }
}
