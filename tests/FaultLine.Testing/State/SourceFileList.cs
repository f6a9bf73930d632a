namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// The source files of a state. <see cref="Add(string)"/> names files after the default prefix and extension:
/// "/0/Test0.cs", "/0/Test1.cs", ...
/// </summary>
public class SourceFileList : SourceFileCollection
{
    private readonly string _defaultPrefix;
    private readonly string _defaultExtension;

    /// <summary>Initializes an empty list.</summary>
    /// <param name="defaultPrefix">The path prefix for unnamed files, e.g. "/0/Test".</param>
    /// <param name="defaultExtension">The extension without dot, e.g. "cs".</param>
    public SourceFileList(string defaultPrefix, string defaultExtension)
    {
        _defaultPrefix = defaultPrefix;
        _defaultExtension = defaultExtension;
    }

    /// <summary>Adds a source file named after its position in the list.</summary>
    /// <param name="content">The source, which may contain markup.</param>
    public void Add(string content)
    {
        Add((_defaultPrefix + Count + "." + _defaultExtension, content));
    }
}
