using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers.FaultHandlers;

/// <summary>
/// The runtime symbols the fault-handler rules (FL2001-FL2005) need, resolved once per compilation. Kept beside
/// the family rather than in <see cref="KnownSymbols"/> so that family's file stays small; every symbol must come
/// from the FaultLine.Runtime assembly. <see cref="Create"/> returns null when the handler vocabulary is missing.
/// </summary>
internal sealed class FaultHandlerSymbols
{
    private FaultHandlerSymbols(Compilation compilation, INamedTypeSymbol vmFault, INamedTypeSymbol faultFlags, INamedTypeSymbol vmFaultResult)
    {
        VmFault = vmFault;
        FaultFlags = faultFlags;
        VmFaultResult = vmFaultResult;
        VmOperations = Resolve(compilation, "FaultLine.VmOperations");
        MmStruct = Resolve(compilation, "FaultLine.MmStruct");
        RwSemaphore = Resolve(compilation, "FaultLine.RwSemaphore");
        KMutex = Resolve(compilation, "FaultLine.KMutex");
        Page = Resolve(compilation, "FaultLine.Page");
        Wait = Resolve(compilation, "FaultLine.Wait");
        Filemap = Resolve(compilation, "FaultLine.Filemap");
        Userfaultfd = Resolve(compilation, "FaultLine.Userfaultfd");
        KernelDebug = Resolve(compilation, "FaultLine.KernelDebug");
        MmFault = Resolve(compilation, "FaultLine.MmFault");
        AllowRetry = EnumValue(faultFlags, "AllowRetry");
        RetryNowait = EnumValue(faultFlags, "RetryNowait");
        Killable = EnumValue(faultFlags, "Killable");
        Tried = EnumValue(faultFlags, "Tried");
        Retry = EnumValue(vmFaultResult, "Retry");
    }

    public INamedTypeSymbol VmFault { get; }

    public INamedTypeSymbol FaultFlags { get; }

    public INamedTypeSymbol VmFaultResult { get; }

    public INamedTypeSymbol? VmOperations { get; }

    public INamedTypeSymbol? MmStruct { get; }

    public INamedTypeSymbol? RwSemaphore { get; }

    public INamedTypeSymbol? KMutex { get; }

    public INamedTypeSymbol? Page { get; }

    public INamedTypeSymbol? Wait { get; }

    public INamedTypeSymbol? Filemap { get; }

    public INamedTypeSymbol? Userfaultfd { get; }

    public INamedTypeSymbol? KernelDebug { get; }

    public INamedTypeSymbol? MmFault { get; }

    /// <summary>FaultFlags bit values (0 when the runtime lacks one, which then never matches a test).</summary>
    public long AllowRetry { get; }

    public long RetryNowait { get; }

    public long Killable { get; }

    public long Tried { get; }

    /// <summary>VmFaultResult.Retry.</summary>
    public long Retry { get; }

    public static FaultHandlerSymbols? Create(Compilation compilation)
    {
        var vmFault = Resolve(compilation, "FaultLine.VmFault");
        var faultFlags = Resolve(compilation, "FaultLine.FaultFlags");
        var vmFaultResult = Resolve(compilation, "FaultLine.VmFaultResult");
        if (vmFault is null || faultFlags is null || vmFaultResult is null)
        {
            return null;
        }

        var symbols = new FaultHandlerSymbols(compilation, vmFault, faultFlags, vmFaultResult);
        return symbols.RetryNowait == 0 || symbols.AllowRetry == 0 || symbols.Retry == 0 ? null : symbols;
    }

    public bool IsVmFault(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, VmFault);

    public bool IsFaultFlags(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, FaultFlags);

    public bool IsVmFaultResult(ITypeSymbol? type) => SymbolEqualityComparer.Default.Equals(type, VmFaultResult);

    /// <summary>A method of <paramref name="type"/> called <paramref name="name"/> (any overload).</summary>
    public static bool Is(IMethodSymbol? method, INamedTypeSymbol? type, string name) =>
        method is not null && type is not null && method.Name == name
        && SymbolEqualityComparer.Default.Equals(method.ContainingType?.OriginalDefinition, type);

    /// <summary>
    /// The runtime methods that handle RetryNowait themselves (rules 32, 36): under RetryNowait they return Retry at
    /// once with the lock held and never sleep, so calling them is not a may-sleep call for FL2001.
    /// </summary>
    public bool IsRetryNowaitAware(IMethodSymbol? method) =>
        Is(method, Filemap, "LockPageOrRetry") || Is(method, Userfaultfd, "HandleUserfault");

    /// <summary><c>mm.MmapReadUnlock()</c> or <c>mm.MmapLock.UpRead()</c>: the handler releases the fault lock.</summary>
    public bool IsMmapReadUnlock(Microsoft.CodeAnalysis.Operations.IInvocationOperation invocation)
    {
        if (Is(invocation.TargetMethod, MmStruct, "MmapReadUnlock"))
        {
            return true;
        }

        return Is(invocation.TargetMethod, RwSemaphore, "UpRead")
            && invocation.Instance is { } instance
            && Flow.Comparisons.StripConversions(instance) is Microsoft.CodeAnalysis.Operations.IPropertyReferenceOperation { Property.Name: "MmapLock" } property
            && SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, MmStruct);
    }

    /// <summary><c>KernelDebug.WarnOnOnce</c> / <c>WarnOn</c>: code after it may assume the condition is false.</summary>
    public bool IsWarnOn(IMethodSymbol? method) => Is(method, KernelDebug, "WarnOnOnce") || Is(method, KernelDebug, "WarnOn");

    public bool IsAllowRetryFirst(IMethodSymbol? method) => Is(method, MmFault, "FaultFlagAllowRetryFirst");

    /// <summary>
    /// Whether <paramref name="method"/> is a fault handler: an override of <c>VmOperations.Fault</c> or
    /// <c>PageMkwrite</c>, or any method that receives a <c>VmFault</c> (the one a handler passes on).
    /// </summary>
    public IParameterSymbol? HandlerParameter(IMethodSymbol? method)
    {
        if (method is null)
        {
            return null;
        }

        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind == RefKind.None && IsVmFault(parameter.Type))
            {
                return parameter;
            }
        }

        return null;
    }

    private static INamedTypeSymbol? Resolve(Compilation compilation, string metadataName)
    {
        var type = compilation.GetTypeByMetadataName(metadataName);
        return type is not null && type.ContainingAssembly?.Name == KnownSymbols.RuntimeAssemblyName ? type : null;
    }

    private static long EnumValue(INamedTypeSymbol type, string name)
    {
        foreach (var member in type.GetMembers(name))
        {
            if (member is IFieldSymbol { HasConstantValue: true } field)
            {
                return field.ConstantValue switch
                {
                    int i => i,
                    uint u => u,
                    long l => l,
                    short s => s,
                    ushort us => us,
                    byte b => b,
                    sbyte sb => sb,
                    _ => 0,
                };
            }
        }

        return 0;
    }
}
