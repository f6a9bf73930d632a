using System;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>A NuGet package id and version, e.g. ("Microsoft.NETCore.App.Ref", "10.0.0").</summary>
public sealed class PackageIdentity : IEquatable<PackageIdentity>
{
    /// <summary>Initializes the identity.</summary>
    /// <param name="id">The package id (case-insensitive).</param>
    /// <param name="version">The version, e.g. "2.0.3".</param>
    public PackageIdentity(string id, string version)
    {
        Id = id ?? throw new ArgumentNullException(nameof(id));
        Version = version ?? throw new ArgumentNullException(nameof(version));
    }

    /// <summary>Gets the package id.</summary>
    public string Id { get; }

    /// <summary>Gets the version.</summary>
    public string Version { get; }

    /// <inheritdoc/>
    public bool Equals(PackageIdentity? other)
        => other is not null
            && string.Equals(Id, other.Id, StringComparison.OrdinalIgnoreCase)
            && string.Equals(Version, other.Version, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PackageIdentity);

    /// <inheritdoc/>
    public override int GetHashCode()
        => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Id), StringComparer.OrdinalIgnoreCase.GetHashCode(Version));

    /// <inheritdoc/>
    public override string ToString() => $"{Id} {Version}";
}
