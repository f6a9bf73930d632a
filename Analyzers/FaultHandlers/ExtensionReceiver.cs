using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// The VmFault an extension property's getter tests (<c>extension(VmFault f) { bool IsNowait =&gt; (f.Flags &amp; ...) != 0; }</c>):
/// the getter has no parameters of its own, so a VmFault parameter its body reads belongs to the extension block.
/// Found from the body rather than from the extension symbol so that it does not depend on the newer symbol API.
/// </summary>
internal static class ExtensionReceiver
{
    /// <summary>The one VmFault parameter not of a method that <paramref name="returned"/> reads, or null.</summary>
    public static IParameterSymbol? Of(IOperation returned, FaultHandlerSymbols symbols)
    {
        IParameterSymbol? found = null;
        foreach (var operation in returned.DescendantsAndSelf())
        {
            if (operation is not IParameterReferenceOperation reference || !symbols.IsVmFault(reference.Parameter.Type))
            {
                continue;
            }

            if (reference.Parameter.ContainingSymbol is IMethodSymbol)
            {
                // A lambda's parameter, or a primary constructor's (an instance property of a wrapper reads its own
                // VmFault, which need not be the handler's): not the receiver.
                return null;
            }

            if (found is not null && !SymbolEqualityComparer.Default.Equals(found, reference.Parameter))
            {
                return null;
            }

            found = reference.Parameter;
        }

        return found;
    }
}
