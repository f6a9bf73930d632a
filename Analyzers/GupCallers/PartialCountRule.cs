using System.Collections.Generic;
using System.Linq;
using FaultLine.Analyzers.Flow;
using FaultLine.Analyzers.Flow.Lattices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// FL1003: the pages array a GUP call filled is used (an element read, a foreach, passed on, released by the
/// requested count) on a path where the result was never compared with the requested count, nor used as a bound,
/// and a short count is still possible. Partial results win over errors (SEMANTICS.md rules 10, 20, 24; case 21),
/// so only pages[0..result-1] are held.
/// Silent when: the result bounds the use (<c>i &lt; ret</c>, <c>UnpinUserPages(pages, ret)</c>); it was compared with
/// the count (<c>ret != n</c>, <c>ret != 1</c>); one page was requested (all or nothing); only <c>pages[0]</c> is used after
/// a positive result; the result escaped (returned, stored, passed to code we cannot read).
/// </summary>
internal sealed class PartialCountRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        if (!facts.Calls.Any(c => c.PagesSymbol is not null))
        {
            return;
        }

        var results = facts.Results;
        if (!results.Converged)
        {
            return;
        }

        var observer = new Observer(facts, reporter);
        results.Replay(observer);
    }

    private sealed class Observer : FlowObserver<GupResultState>
    {
        private readonly GupMethodFacts facts;
        private readonly Reporter reporter;
        private readonly HashSet<SyntaxNode> reported = new();

        public Observer(GupMethodFacts facts, Reporter reporter)
        {
            this.facts = facts;
            this.reporter = reporter;
        }

        public override void OnOperation(IOperation operation, GupResultState before, BasicBlock block)
        {
            var symbol = operation switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };
            if (symbol is null || !before.PagesOwners.TryGetValue(symbol, out var site) || reported.Contains(site)
                || before.FactsOf(site) is not { } result || facts.CallAt(site) is not { } call)
            {
                return;
            }

            if (result.Handled || result.Escaped || (result.Possible & ResultClasses.Short) == 0)
            {
                return;
            }

            if (UseOf(operation, site, before) is not { } use)
            {
                return;
            }

            // pages[0] after a positive result: the first page is always there.
            if (use is IArrayElementReferenceOperation { Indices.Length: 1 } element
                && Comparisons.ConstantOf(element.Indices[0]) == 0
                && (result.Possible & ~ResultClasses.Positive) == 0)
            {
                return;
            }

            reported.Add(site);
            var properties = FlagText.Properties(
                (Descriptors.Properties.Method, call.Api.Name),
                (Descriptors.Properties.RequestedCount, call.CountArgument?.Syntax.ToString()),
                (Descriptors.Properties.Pages, call.PagesArgument?.Syntax.ToString()),
                (Descriptors.Properties.Pins, call.Api.Pins ? "true" : "false"),
                (Descriptors.Properties.ResultLocal, ResultLocalName(site, before)));
            reporter.Report(Diagnostic.Create(
                Descriptors.FL1003PartialCountNotHandled,
                call.Syntax.GetLocation(),
                new[] { use.Syntax.GetLocation() },
                properties,
                call.Api.Name,
                symbol.Name));
        }

        /// <summary>
        /// The operation that uses the pages through <paramref name="reference"/>, or null when the reference does
        /// not read them (<c>pages.Length</c>, an assignment target, a new GUP call that refills the array, the
        /// destination of <c>Array.Copy</c>).
        /// </summary>
        private IOperation? UseOf(IOperation reference, SyntaxNode site, GupResultState state)
        {
            var current = reference;
            var parent = reference.Parent;
            while (parent is IConversionOperation)
            {
                current = parent;
                parent = parent.Parent;
            }

            switch (parent)
            {
                case IArrayElementReferenceOperation element when element.ArrayReference == current:
                    return LocalWrites.IsWrite(element) ? null : element;

                case IArgumentOperation { Parent: IInvocationOperation invocation } argument:
                    var symbols = facts.Symbols;
                    if (symbols.GupApiOf(invocation.TargetMethod) is not null)
                    {
                        return null;
                    }

                    if (GupResultAnalysis.CopyDestination(invocation) == reference)
                    {
                        // Array.Copy(rest, 0, pages, ret, got) writes into the pages; it reads none of them.
                        return null;
                    }

                    // The count travels with the pages (Gup.UnpinUserPages(pages, ret), Map(pages, ret)).
                    foreach (var other in invocation.Arguments)
                    {
                        if (other != argument && facts.ResultAnalysis.Resolve(other.Value, state) == site)
                        {
                            return null;
                        }
                    }

                    return invocation;

                case IInvocationOperation invocation when invocation.Instance == current:
                    // foreach (GetEnumerator), AsSpan, CopyTo, ...
                    return invocation;

                default:
                    return null;
            }
        }

        private static string? ResultLocalName(SyntaxNode site, GupResultState state) =>
            state.LocalAliases.Where(pair => pair.Value == site).Select(pair => pair.Key.Name).OrderBy(name => name, System.StringComparer.Ordinal).FirstOrDefault();
    }
}
