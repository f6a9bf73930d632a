using System;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Checks that the tree a code action built equals the tree the compiler gets from its text. A fix can build a
/// tree that prints fine but parses differently — <c>a + b</c> placed under <c>*</c> without parentheses prints as
/// <c>a+b * c</c> — and then the fixed file means something else than the fixer intended.
/// </summary>
internal static class SyntaxTreeValidation
{
    public static void Validate(SyntaxTree tree, SourceText text, CodeActionValidationMode mode, Type syntaxKindType, string actionTitle, IVerifier verifier, CancellationToken cancellationToken)
    {
        var reparsed = Reparse(tree, text, cancellationToken);
        var actualRoot = tree.GetRoot(cancellationToken);
        var reparsedRoot = reparsed.GetRoot(cancellationToken);
        var checkTrivia = mode == CodeActionValidationMode.Full;
        if (NodesEqual(reparsedRoot, actualRoot, checkTrivia))
        {
            return;
        }

        var expected = Render(reparsedRoot, syntaxKindType, checkTrivia);
        var actual = Render(actualRoot, syntaxKindType, checkTrivia);
        verifier.Fail(
            $"The code action '{actionTitle}' produced a syntax tree for '{tree.FilePath}' that differs from the tree obtained by re-parsing its text "
            + $"({nameof(CodeActionValidationMode)}.{mode}). The fix builds nodes that do not round-trip (e.g. missing parentheses or separators). "
            + "Diff shown with the re-parsed tree as baseline:" + Environment.NewLine + LineDiff.Render(expected, actual));
    }

    private static SyntaxTree Reparse(SyntaxTree tree, SourceText text, CancellationToken cancellationToken)
    {
        if (tree.Options is CSharpParseOptions options)
        {
            return SyntaxFactory.ParseSyntaxTree(text, options, tree.FilePath, cancellationToken);
        }

        throw new NotSupportedException($"Syntax tree validation supports only C#, not '{tree.Options.Language}'.");
    }

    private static bool NodesEqual(SyntaxNodeOrToken expected, SyntaxNodeOrToken actual, bool checkTrivia)
    {
        if (expected.RawKind != actual.RawKind || expected.IsToken != actual.IsToken)
        {
            return false;
        }

        if (expected.IsToken)
        {
            var expectedToken = expected.AsToken();
            var actualToken = actual.AsToken();
            if (expectedToken.Text != actualToken.Text || expectedToken.IsMissing != actualToken.IsMissing)
            {
                return false;
            }

            return !checkTrivia
                || (TriviaEqual(expectedToken.LeadingTrivia, actualToken.LeadingTrivia) && TriviaEqual(expectedToken.TrailingTrivia, actualToken.TrailingTrivia));
        }

        var expectedChildren = expected.ChildNodesAndTokens();
        var actualChildren = actual.ChildNodesAndTokens();
        if (expectedChildren.Count != actualChildren.Count)
        {
            return false;
        }

        for (var i = 0; i < expectedChildren.Count; i++)
        {
            if (!NodesEqual(expectedChildren[i], actualChildren[i], checkTrivia))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TriviaEqual(SyntaxTriviaList expected, SyntaxTriviaList actual)
    {
        if (expected.Count != actual.Count)
        {
            return false;
        }

        for (var i = 0; i < expected.Count; i++)
        {
            if (expected[i].RawKind != actual[i].RawKind || expected[i].ToFullString() != actual[i].ToFullString())
            {
                return false;
            }

            if (expected[i].HasStructure && !NodesEqual(expected[i].GetStructure()!, actual[i].GetStructure()!, checkTrivia: true))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Prints a tree one node or token per line, indented, for the failure diff.</summary>
    private static string Render(SyntaxNode root, Type syntaxKindType, bool includeTrivia)
    {
        var builder = new StringBuilder();
        Render(root, string.Empty, syntaxKindType, includeTrivia, builder);
        return builder.ToString();
    }

    private static void Render(SyntaxNodeOrToken nodeOrToken, string indent, Type syntaxKindType, bool includeTrivia, StringBuilder builder)
    {
        if (nodeOrToken.IsNode)
        {
            builder.Append(indent).Append("Node(").Append(KindName(nodeOrToken.RawKind, syntaxKindType)).AppendLine(")");
            foreach (var child in nodeOrToken.ChildNodesAndTokens())
            {
                Render(child, indent + "  ", syntaxKindType, includeTrivia, builder);
            }

            return;
        }

        var token = nodeOrToken.AsToken();
        builder.Append(indent).Append("Token(").Append(KindName(token.RawKind, syntaxKindType)).Append("): ").Append(Escape(token.Text));
        builder.AppendLine(token.IsMissing ? " (missing)" : string.Empty);
        if (includeTrivia)
        {
            foreach (var trivia in token.LeadingTrivia)
            {
                builder.Append(indent).Append("  Leading(").Append(KindName(trivia.RawKind, syntaxKindType)).Append("): ").AppendLine(Escape(trivia.ToFullString()));
            }

            foreach (var trivia in token.TrailingTrivia)
            {
                builder.Append(indent).Append("  Trailing(").Append(KindName(trivia.RawKind, syntaxKindType)).Append("): ").AppendLine(Escape(trivia.ToFullString()));
            }
        }
    }

    private static string KindName(int rawKind, Type syntaxKindType)
        => syntaxKindType.IsEnum ? Enum.Format(syntaxKindType, Enum.ToObject(syntaxKindType, rawKind), "G") : rawKind.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Escape(string text)
        => text.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\r", "\\r").Replace("\n", "\\n");
}
