namespace FaultLine.Package.Tests;

/// <summary>Where the repository and the files under test are, found from the test binaries.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The directory holding Analyzers.sln.</summary>
    public static string Root => LazyRoot.Value;

    public static string RuntimeProject => Path.Combine(Root, "Runtime", "FaultLine.Runtime.csproj");

    /// <summary>The preset file that ships in the package under buildTransitive/, e.g. <c>FaultLine.strict.globalconfig</c>.</summary>
    public static string PresetFile(string preset) =>
        Path.Combine(Root, "Runtime", "buildTransitive", $"FaultLine.{preset}.globalconfig");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Analyzers.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Analyzers.sln above {AppContext.BaseDirectory}.");
    }
}
