using System.Collections.Generic;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.Analyzers;
using FaultLine.CodeFixes.Common;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.CodeFixes.GupCallers;

/// <summary>
/// FL1002: capture the GUP result and hand a negative one (the errno) back to the caller:
/// <c>Gup.X(...);</c> becomes <c>long ret = Gup.X(...); if (ret &lt; 0) return ret;</c>; a result stored in a local
/// nothing reads gets the test after the store. Offered only in functions that return <c>int</c> or <c>long</c>
/// (an errno), where the kernel's convention applies, and not where the new <c>return</c> would leave a lock the
/// function took (or, after a ...Locked call, one it may still hold) behind.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FL1002ResultDiscardedFix))]
[Shared]
public sealed class FL1002ResultDiscardedFix : SequentialFixProvider
{
    public const string PropagateErrors = "FL1002.PropagateErrors";

    protected override string DiagnosticId => Descriptors.FL1002ResultDiscarded.Id;

    protected override IEnumerable<(string Title, string EquivalenceKey)> Candidates(Diagnostic diagnostic)
    {
        yield return ("Capture the result and return it when negative", PropagateErrors);
    }

    protected override async Task<Document?> ApplyAsync(Document document, SyntaxNode target, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken)
    {
        if (equivalenceKey != PropagateErrors
            || !diagnostic.Properties.TryGetValue(Descriptors.Properties.Method, out var method)
            || target is not InvocationExpressionSyntax invocation)
        {
            return null;
        }

        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null || !GupFixFacts.IsGupCall(invocation, method, model, cancellationToken)
            || FixSyntax.StatementInBlock(invocation) is not { } statement
            || FixSyntax.ReturnTypeOfEnclosingFunction(statement, model, cancellationToken) is not { } returnType)
        {
            return null;
        }

        string local;
        StatementSyntax capture;
        switch (statement)
        {
            case ExpressionStatementSyntax { Expression: var expression } when expression == invocation:
                // Gup.X(...);  ->  long ret = Gup.X(...);
                local = FixSyntax.UniqueLocalName(model, statement, "ret");
                var declaration = (LocalDeclarationStatementSyntax)FixSyntax.ParseStatementLike($"long {local} = __gup__;", statement);
                var placeholder = declaration.Declaration.Variables[0].Initializer!.Value;
                capture = declaration.ReplaceNode(placeholder, invocation.WithTriviaFrom(placeholder))
                    .WithLeadingTrivia(statement.GetLeadingTrivia())
                    .WithTrailingTrivia(statement.GetTrailingTrivia());
                break;

            case LocalDeclarationStatementSyntax { Declaration.Variables: { Count: 1 } variables }
                when variables[0].Initializer?.Value == invocation:
                local = variables[0].Identifier.ValueText;
                capture = statement;
                break;

            case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { Left: IdentifierNameSyntax name } assignment }
                when assignment.Right == invocation && assignment.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression)
                    && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol:
                local = name.Identifier.ValueText;
                capture = statement;
                break;

            default:
                return null;
        }

        if (FixSyntax.ReturnLong(local, returnType) is not { } returned
            || (capture != statement && !SpecialTypeIsLong(model, invocation, cancellationToken))
            || GupFixFacts.IsLockedForm(method)
            || GupFixFacts.FunctionLockMayBeHeldAt(statement, statement.Span.End, model, cancellationToken))
        {
            return null;
        }

        var check = FixSyntax.ParseStatementLike($"if ({local} < 0)\n    return {returned};", statement);
        var replacement = capture == statement ? new[] { statement, check } : new[] { capture, check };
        return document.WithSyntaxRoot(root.ReplaceNode(statement, replacement));
    }

    private static bool SpecialTypeIsLong(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken) =>
        model.GetTypeInfo(invocation, cancellationToken).Type?.SpecialType == SpecialType.System_Int64;
}
