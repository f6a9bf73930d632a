using FaultLine.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// FL1002: a GUP call used as a statement, or assigned to a local that nothing ever reads. The result is the
/// count of pages taken (which are held and must be released) or a negated errno; dropping it loses both
/// (SEMANTICS.md rules 10, 20; cases 1, 2, 21). An explicit discard (<c>_ = Gup...</c>) is a decision, not an
/// oversight, and is left alone.
/// </summary>
internal sealed class ResultDiscardedRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        foreach (var call in facts.Calls)
        {
            if (!IsDiscarded(call, facts))
            {
                continue;
            }

            reporter.Report(Diagnostic.Create(
                Descriptors.FL1002ResultDiscarded,
                call.Syntax.GetLocation(),
                FlagText.Properties((Descriptors.Properties.Method, call.Api.Name)),
                call.Api.Name));
        }
    }

    private static bool IsDiscarded(GupCallSite call, GupMethodFacts facts)
    {
        if (call.Syntax.Parent is ExpressionStatementSyntax)
        {
            return true;
        }

        // long ret = Gup.GetUserPages(...); with ret never read: as good as discarded.
        var parent = call.Invocation.Parent;
        while (parent is IConversionOperation)
        {
            parent = parent.Parent;
        }

        return parent is ISimpleAssignmentOperation { Target: ILocalReferenceOperation target }
            && !facts.ReadLocals.Contains(target.Local)
            && facts.Context.IsTracked(target.Local);
    }
}
