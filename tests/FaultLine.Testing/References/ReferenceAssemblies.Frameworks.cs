using System.Collections.Immutable;
using System.IO;

namespace Microsoft.CodeAnalysis.Testing;

// The named framework sets, with the same names as in roslyn-sdk.
public sealed partial class ReferenceAssemblies
{
    /// <summary>.NET (Core) targeting packs.</summary>
    public static class Net
    {
        /// <summary>Gets .NET 8 (Microsoft.NETCore.App.Ref 8.0.x, ref/net8.0).</summary>
        public static ReferenceAssemblies Net80 { get; } = NetCoreApp("8.0");

        /// <summary>Gets .NET 9 (Microsoft.NETCore.App.Ref 9.0.x, ref/net9.0).</summary>
        public static ReferenceAssemblies Net90 { get; } = NetCoreApp("9.0");

        /// <summary>Gets .NET 10 (Microsoft.NETCore.App.Ref 10.0.x, ref/net10.0).</summary>
        public static ReferenceAssemblies Net100 { get; } = NetCoreApp("10.0");

        private static ReferenceAssemblies NetCoreApp(string version)
            => new($"net{version}", new PackageIdentity("Microsoft.NETCore.App.Ref", version + ".0"), Path.Combine("ref", $"net{version}"));
    }

    /// <summary>.NET Standard reference sets.</summary>
    public static class NetStandard
    {
        /// <summary>Gets .NET Standard 2.0 (NETStandard.Library 2.0.3, build/netstandard2.0/ref).</summary>
        public static ReferenceAssemblies NetStandard20 { get; } =
            new("netstandard2.0", new PackageIdentity("NETStandard.Library", "2.0.3"), Path.Combine("build", "netstandard2.0", "ref"));

        /// <summary>Gets .NET Standard 2.1 (NETStandard.Library.Ref 2.1.0, ref/netstandard2.1).</summary>
        public static ReferenceAssemblies NetStandard21 { get; } =
            new("netstandard2.1", new PackageIdentity("NETStandard.Library.Ref", "2.1.0"), Path.Combine("ref", "netstandard2.1"));
    }

    /// <summary>.NET Framework reference sets.</summary>
    public static class NetFramework
    {
        /// <summary>.NET Framework 4.7.2.</summary>
        public static class Net472
        {
            /// <summary>
            /// Gets .NET Framework 4.7.2 (Microsoft.NETFramework.ReferenceAssemblies.net472 1.0.3) with the usual
            /// default assemblies; falls back to the running framework when that package is not on this machine.
            /// </summary>
            public static ReferenceAssemblies Default { get; } =
                new ReferenceAssemblies(
                    "net472",
                    new PackageIdentity("Microsoft.NETFramework.ReferenceAssemblies.net472", "1.0.3"),
                    Path.Combine("build", ".NETFramework", "v4.7.2"));
        }
    }
}
