using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.SleepWakeup;

/// <summary>How the FL3xxx messages name calls: <c>Type.Method</c>, as the code writes them.</summary>
internal static class SleepText
{
    public static string CallName(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.MethodKind == MethodKind.PropertyGet && method.AssociatedSymbol is { } property)
        {
            return property.ContainingType.Name + "." + property.Name;
        }

        return method.ContainingType is null ? method.Name : method.ContainingType.Name + "." + method.Name;
    }

    /// <summary>1-based line of <paramref name="node"/>, as editors show it.</summary>
    public static int Line(SyntaxNode node) => node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
}
