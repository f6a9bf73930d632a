using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>Serves the files of <c>XmlReferences</c> to <c>&lt;include file="..."/&gt;</c> in documentation comments.</summary>
internal sealed class TestXmlReferenceResolver : XmlReferenceResolver
{
    private readonly IReadOnlyDictionary<string, string> _files;

    public TestXmlReferenceResolver(IReadOnlyDictionary<string, string> files)
    {
        _files = files;
    }

    public override bool Equals(object? other)
        => other is TestXmlReferenceResolver resolver && ReferenceEquals(_files, resolver._files);

    public override int GetHashCode() => _files.GetHashCode();

    public override string? ResolveReference(string path, string? baseFilePath)
        => _files.ContainsKey(path) ? path : null;

    public override Stream OpenRead(string resolvedPath)
        => _files.TryGetValue(resolvedPath, out var content)
            ? new MemoryStream(Encoding.UTF8.GetBytes(content))
            : throw new FileNotFoundException($"No XML reference named '{resolvedPath}'.", resolvedPath);
}
