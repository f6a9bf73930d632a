using System.Collections.Generic;
using System.Reflection;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Extra metadata references of a project, on top of its reference assemblies. This is how a test makes the code
/// under test see a library, e.g.
/// <c>TestState.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location))</c>.
/// </summary>
public class MetadataReferenceCollection : List<MetadataReference>
{
    /// <summary>Adds a reference to the file an assembly was loaded from.</summary>
    /// <param name="assembly">A loaded assembly (not dynamic).</param>
    public void Add(Assembly assembly)
    {
        Add(MetadataReferenceCache.FromFile(assembly.Location));
    }

    /// <summary>Adds a reference to an assembly file.</summary>
    /// <param name="path">The full path of the assembly.</param>
    public void Add(string path)
    {
        Add(MetadataReferenceCache.FromFile(path));
    }
}
