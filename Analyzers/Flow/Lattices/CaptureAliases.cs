using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Lattices;

/// <summary>
/// The graph's flow captures of plain locals and parameters. When an argument list contains a <c>?:</c> or <c>??</c>,
/// the graph captures the earlier arguments (<c>mm</c>, <c>pages</c>) before splitting; a capture that is assigned
/// once from a local or parameter reference stands for that reference.
/// </summary>
internal sealed class CaptureAliases
{
    private readonly Dictionary<CaptureId, IOperation> aliases = new();

    public CaptureAliases(ControlFlowGraph graph)
    {
        var seen = new Dictionary<CaptureId, int>();
        foreach (var block in graph.Blocks)
        {
            foreach (var root in block.Operations)
            {
                if (root is IFlowCaptureOperation capture)
                {
                    seen[capture.Id] = seen.TryGetValue(capture.Id, out var count) ? count + 1 : 1;
                    if (Comparisons.StripConversions(capture.Value) is ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation or IFieldReferenceOperation)
                    {
                        aliases[capture.Id] = capture.Value;
                    }
                }
            }
        }

        foreach (var pair in seen)
        {
            if (pair.Value != 1)
            {
                aliases.Remove(pair.Key);
            }
        }
    }

    public bool IsAlias(CaptureId id) => aliases.ContainsKey(id);

    /// <summary><paramref name="operation"/> without conversions, with a capture reference replaced by what it captured.</summary>
    public IOperation Resolve(IOperation operation)
    {
        var stripped = Comparisons.StripConversions(operation);
        return stripped is IFlowCaptureReferenceOperation reference && aliases.TryGetValue(reference.Id, out var value)
            ? Comparisons.StripConversions(value)
            : stripped;
    }
}
