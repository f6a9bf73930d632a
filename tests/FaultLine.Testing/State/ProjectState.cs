using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis.Text;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// The inputs of one project of a test: sources, additional files, analyzer config files, references and options.
/// Nullable settings mean "use the test's default".
/// </summary>
public class ProjectState
{
    /// <summary>Initializes an empty project state.</summary>
    /// <param name="name">The project (and assembly) name.</param>
    /// <param name="language">The language, a value from <see cref="LanguageNames"/>.</param>
    /// <param name="defaultPrefix">The path prefix for unnamed sources, e.g. "/0/Test".</param>
    /// <param name="defaultExtension">The source extension without dot, e.g. "cs".</param>
    public ProjectState(string name, string language, string defaultPrefix, string defaultExtension)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        AssemblyName = name;
        Language = language ?? throw new ArgumentNullException(nameof(language));
        DefaultPrefix = defaultPrefix;
        DefaultExtension = defaultExtension;
        Sources = new SourceFileList(defaultPrefix, defaultExtension);
    }

    /// <summary>Gets the project name.</summary>
    public string Name { get; }

    /// <summary>Gets the assembly name (the project name).</summary>
    public string AssemblyName { get; }

    /// <summary>Gets the language.</summary>
    public string Language { get; }

    /// <summary>Gets or sets the reference assemblies; <see langword="null"/> uses the test's.</summary>
    public ReferenceAssemblies? ReferenceAssemblies { get; set; }

    /// <summary>Gets or sets the output kind; <see langword="null"/> uses the compilation options' (a library).</summary>
    public OutputKind? OutputKind { get; set; }

    /// <summary>Gets or sets the documentation mode; <see langword="null"/> means <see cref="DocumentationMode.Diagnose"/>.</summary>
    public DocumentationMode? DocumentationMode { get; set; }

    /// <summary>Gets the source files.</summary>
    public SourceFileList Sources { get; }

    /// <summary>Gets the additional files (<c>AdditionalFiles</c> items); they may contain markup.</summary>
    public SourceFileCollection AdditionalFiles { get; } = new();

    /// <summary>Gets the analyzer config files, e.g. <c>("/.editorconfig", "root = true\n[*]\n...")</c>.</summary>
    public SourceFileCollection AnalyzerConfigFiles { get; } = new();

    /// <summary>Gets factories that produce further additional files when the test runs.</summary>
    public List<Func<IEnumerable<(string filename, SourceText content)>>> AdditionalFilesFactories { get; } = new();

    /// <summary>Gets the names of additional projects this project references.</summary>
    public List<string> AdditionalProjectReferences { get; } = new();

    /// <summary>Gets the extra metadata references.</summary>
    public MetadataReferenceCollection AdditionalReferences { get; } = new();

    /// <summary>Gets the path prefix for unnamed sources.</summary>
    internal string DefaultPrefix { get; }

    /// <summary>Gets the source extension without dot.</summary>
    internal string DefaultExtension { get; }

    /// <summary>Copies every input of this project into <paramref name="target"/> (which must be empty).</summary>
    internal void CopyProjectInputsTo(ProjectState target)
    {
        target.ReferenceAssemblies = ReferenceAssemblies;
        target.OutputKind = OutputKind;
        target.DocumentationMode = DocumentationMode;
        target.Sources.AddRange(Sources);
        target.AdditionalFiles.AddRange(AdditionalFiles);
        target.AnalyzerConfigFiles.AddRange(AnalyzerConfigFiles);
        target.AdditionalFilesFactories.AddRange(AdditionalFilesFactories);
        target.AdditionalProjectReferences.AddRange(AdditionalProjectReferences);
        target.AdditionalReferences.AddRange(AdditionalReferences);
    }
}
