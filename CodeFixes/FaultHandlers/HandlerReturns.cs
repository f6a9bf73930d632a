using System.Collections.Generic;
using System.Text;

namespace FaultLine.CodeFixes.FaultHandlers;

/// <summary>The return a FL2xxx fix adds under an <c>if</c>, with what it must undo first.</summary>
internal static class HandlerReturns
{
    /// <summary>
    /// The embedded statement of <c>if (...)</c> that returns <paramref name="value"/>: <c>return value;</c> one level
    /// in, or — when there is something to undo — a block running <paramref name="undo"/> then the return. Text with
    /// four-space levels and <c>\n</c>, each line starting with <paramref name="indent"/> (the <c>if</c>'s own
    /// indentation inside the text being built).
    /// </summary>
    public static string Text(string value, IReadOnlyList<string> undo, string indent)
    {
        if (undo.Count == 0)
        {
            return $"{indent}    return {value};";
        }

        var text = new StringBuilder();
        text.Append(indent).Append("{\n");
        foreach (var statement in undo)
        {
            text.Append(indent).Append("    ").Append(statement).Append('\n');
        }

        text.Append(indent).Append("    return ").Append(value).Append(";\n");
        text.Append(indent).Append('}');
        return text.ToString();
    }
}
