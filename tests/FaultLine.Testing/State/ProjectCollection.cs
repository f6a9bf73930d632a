using System.Collections.Generic;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// The additional projects of a solution by name. Indexing with a new name creates the project, with sources named
/// "/{name}/Test0.cs", ...; reference it from the primary project with
/// <c>TestState.AdditionalProjectReferences.Add(name)</c>.
/// </summary>
public class ProjectCollection : Dictionary<string, ProjectState>
{
    private readonly string _defaultLanguage;
    private readonly string _defaultExtension;

    /// <summary>Initializes an empty collection.</summary>
    /// <param name="defaultLanguage">The language of projects created by the indexer.</param>
    /// <param name="defaultExtension">Their source extension without dot.</param>
    public ProjectCollection(string defaultLanguage, string defaultExtension)
    {
        _defaultLanguage = defaultLanguage;
        _defaultExtension = defaultExtension;
    }

    /// <summary>Gets the project named <paramref name="projectName"/>, creating it if needed.</summary>
    /// <param name="projectName">The project name.</param>
    public new ProjectState this[string projectName]
    {
        get
        {
            if (!TryGetValue(projectName, out var project))
            {
                project = new ProjectState(projectName, _defaultLanguage, $"/{projectName}/Test", _defaultExtension);
                Add(projectName, project);
            }

            return project;
        }
    }
}
