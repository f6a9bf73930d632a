using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>Shared by the rules that look at a call's flags.</summary>
internal static class FlagText
{
    /// <summary>The FollFlags member names of the bits of <paramref name="mask"/>, e.g. <c>Interruptible,Nowait</c>.</summary>
    public static string Names(KnownSymbols symbols, long mask)
    {
        var names = new List<string>();
        foreach (var member in symbols.FollFlags.GetMembers())
        {
            if (member is IFieldSymbol { HasConstantValue: true } field
                && Flow.Lattices.ConstantFolding.ToLong(field.ConstantValue) is { } value
                && value != 0 && (value & (value - 1)) == 0 && (mask & value) != 0)
            {
                names.Add(field.Name);
            }
        }

        return string.Join(",", names);
    }

    public static ImmutableDictionary<string, string?> Properties(params (string Key, string? Value)[] pairs)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, string?>();
        foreach (var (key, value) in pairs)
        {
            builder[key] = value;
        }

        return builder.ToImmutable();
    }
}

/// <summary>
/// FL1001: Interruptible reaches a GUP call with no <c>locked</c> (GetUserPages, PinUserPages), which never drops
/// the mmap lock, never retries, and ignores the flag (SEMANTICS.md rules 8, 16, 19, 21; case 6). Reported only when
/// every possible value of the flags has Interruptible; flags we cannot compute (a parameter) are never reported.
/// </summary>
internal sealed class InterruptibleWithoutLockedRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        if (facts.Symbols.FollInterruptible is not { } interruptible)
        {
            return;
        }

        foreach (var call in facts.Calls)
        {
            if (call.Api.Form != GupForm.Plain || call.FlagsArgument is null || !call.Flags.AllHave(interruptible))
            {
                continue;
            }

            var properties = FlagText.Properties(
                (Descriptors.Properties.Method, call.Api.Name),
                (Descriptors.Properties.LockedForm, call.Api.NameOf(GupForm.Locked)),
                (Descriptors.Properties.UnlockedForm, call.Api.NameOf(GupForm.Unlocked)),
                (Descriptors.Properties.Flags, FlagText.Names(facts.Symbols, interruptible)));
            reporter.Report(Diagnostic.Create(
                Descriptors.FL1001InterruptibleWithoutLocked,
                call.FlagsArgument.Syntax.GetLocation(),
                properties,
                call.Api.Name,
                call.Api.NameOf(GupForm.Locked),
                call.Api.NameOf(GupForm.Unlocked)));
        }
    }
}

/// <summary>
/// FL1007: Interruptible with Nowait on a form that could honour Interruptible (...Locked, ...Unlocked): Nowait
/// keeps the lock and never waits, so the retry step that checks signals is never reached (rules 8, 9, 17, 19).
/// The plain forms are FL1001's and the fast forms FL1009's, so they are not reported twice.
/// </summary>
internal sealed class InterruptibleWithNowaitRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        if (facts.Symbols.FollInterruptible is not { } interruptible || facts.Symbols.FollNowait is not { } nowait)
        {
            return;
        }

        foreach (var call in facts.Calls)
        {
            if (call.Api.Form is not (GupForm.Locked or GupForm.Unlocked) || call.FlagsArgument is null
                || !call.Flags.AllHave(interruptible | nowait))
            {
                continue;
            }

            var properties = FlagText.Properties(
                (Descriptors.Properties.Method, call.Api.Name),
                (Descriptors.Properties.Flags, FlagText.Names(facts.Symbols, interruptible | nowait)));
            reporter.Report(Diagnostic.Create(
                Descriptors.FL1007InterruptibleWithNowait,
                call.FlagsArgument.Syntax.GetLocation(),
                properties,
                call.Api.Name));
        }
    }
}

/// <summary>
/// FL1009: Interruptible or Nowait passed to a ...Fast form, which WARNs and returns -EINVAL (rule 24). Reported
/// when every possible value of the flags has one of them.
/// </summary>
internal sealed class FlagRejectedByFastRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        var rejected = (facts.Symbols.FollInterruptible ?? 0) | (facts.Symbols.FollNowait ?? 0);
        if (rejected == 0)
        {
            return;
        }

        foreach (var call in facts.Calls)
        {
            if (call.Api.Form != GupForm.Fast || call.FlagsArgument is null || !call.Flags.AllHaveAnyOf(rejected))
            {
                continue;
            }

            // Name the flags every value carries; if the values differ, name both.
            var always = 0L;
            foreach (var bit in new[] { facts.Symbols.FollInterruptible ?? 0, facts.Symbols.FollNowait ?? 0 })
            {
                if (bit != 0 && call.Flags.AllHave(bit))
                {
                    always |= bit;
                }
            }

            var named = always == 0 ? rejected : always;
            var names = FlagText.Names(facts.Symbols, named);
            var properties = FlagText.Properties(
                (Descriptors.Properties.Method, call.Api.Name),
                (Descriptors.Properties.UnlockedForm, call.Api.NameOf(GupForm.Unlocked)),
                (Descriptors.Properties.Flags, names));
            reporter.Report(Diagnostic.Create(
                Descriptors.FL1009FlagRejectedByFast,
                call.FlagsArgument.Syntax.GetLocation(),
                properties,
                call.Api.Name,
                names.Replace(",", " | FollFlags."),
                call.Api.NameOf(GupForm.Unlocked)));
        }
    }
}
