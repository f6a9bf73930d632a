using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace FaultLine.Testing.Tests.Toys;

/// <summary>Shared edit of the toy fixers: replace the flagged name token with another name.</summary>
internal static class RenameFixes
{
    /// <summary>
    /// Renames the declaration only (not its references) — deliberately naive, so a test can show that the verifier
    /// catches a fix that breaks compilation.
    /// </summary>
    public static async Task<Document> RenameDeclarationAsync(Document document, Diagnostic diagnostic, System.Func<string, string> rename, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var token = root!.FindToken(diagnostic.Location.SourceSpan.Start);
        var renamed = SyntaxFactory.Identifier(token.LeadingTrivia, rename(token.ValueText), token.TrailingTrivia);
        return document.WithSyntaxRoot(root.ReplaceToken(token, renamed));
    }

    /// <summary>"BadThing" becomes <paramref name="prefix"/> + "Thing".</summary>
    public static string ReplaceBad(string name, string prefix) => prefix + name.Substring("Bad".Length);
}
