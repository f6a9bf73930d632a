using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Reads the message arguments of a reported diagnostic. Roslyn keeps them in the internal
/// <c>Diagnostic.Arguments</c> property; there is no public API, and roslyn-sdk reads it the same way.
/// </summary>
internal static class DiagnosticArguments
{
    private static readonly PropertyInfo? ArgumentsProperty =
        typeof(Diagnostic).GetProperty("Arguments", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);

    /// <summary>Gets the arguments as the strings they are compared as.</summary>
    public static IReadOnlyList<string> Get(Diagnostic diagnostic)
    {
        if (ArgumentsProperty?.GetValue(diagnostic) is not IEnumerable<object?> arguments)
        {
            return Array.Empty<string>();
        }

        return arguments.Select(ToComparable).ToList();
    }

    /// <summary>Turns an argument into the string it is compared as (null becomes "").</summary>
    public static string ToComparable(object? argument) => argument?.ToString() ?? string.Empty;
}
