using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Files of a test state as (path, content) pairs, in the order they are added to the project.</summary>
public class SourceFileCollection : List<(string filename, SourceText content)>
{
    /// <summary>Adds a file given as a string.</summary>
    /// <param name="file">The path (e.g. "/0/Test1.cs") and the content, which may contain markup.</param>
    public void Add((string filename, string content) file)
    {
        Add((file.filename, CreateText(file.content)));
    }

    /// <summary>
    /// Creates the text of a test file. Every file the harness creates goes through here so that encodings match
    /// when fixed output is compared with expected output.
    /// </summary>
    internal static SourceText CreateText(string content) => SourceText.From(content, Encoding.UTF8);
}
