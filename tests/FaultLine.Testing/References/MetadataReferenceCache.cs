using System.Collections.Concurrent;
using System.IO;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// One <see cref="MetadataReference"/> per assembly file for the whole test run. Reading metadata is the most
/// expensive part of building a test compilation, and Roslyn reuses what it read when the same reference object
/// appears in the next compilation, so sharing these makes every test after the first fast.
/// </summary>
internal static class MetadataReferenceCache
{
    private static readonly ConcurrentDictionary<string, MetadataReference> References = new();

    public static MetadataReference FromFile(string path)
        => References.GetOrAdd(Path.GetFullPath(path), static fullPath => MetadataReference.CreateFromFile(fullPath));
}
