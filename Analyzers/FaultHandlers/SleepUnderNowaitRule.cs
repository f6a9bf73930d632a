using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// FL2001: a call in the handler that may sleep (directly or through helpers) on a path where RetryNowait is not known
/// clear. Reported at the call, with the chain down to the sleeping method.
/// </summary>
internal static class SleepUnderNowaitRule
{
    public static void Analyze(HandlerContext handler)
    {
        var sites = NowaitSleepSites.Find(handler.Result, handler.Summaries, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default), handler.CancellationToken);
        var reported = new HashSet<Location>();
        foreach (var site in sites)
        {
            var location = LocationOf(site.Operation.Syntax);
            if (reported.Add(location))
            {
                handler.Report(Descriptors.FL2001SleepUnderRetryNowait, location, handler.HandlerName, HandlerContext.DescribeChain(site.Chain));
            }
        }
    }

    /// <summary>The call's syntax, or <c>lock (x)</c> for the Monitor.Enter of a lock statement.</summary>
    internal static Location LocationOf(SyntaxNode syntax)
    {
        if (syntax.FirstAncestorOrSelf<LockStatementSyntax>() is { } lockStatement
            && (syntax == lockStatement || syntax == lockStatement.Expression))
        {
            return Location.Create(
                lockStatement.SyntaxTree,
                Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(lockStatement.LockKeyword.SpanStart, lockStatement.CloseParenToken.Span.End));
        }

        return syntax.GetLocation();
    }
}
