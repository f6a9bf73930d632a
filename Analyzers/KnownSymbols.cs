using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace FaultLine.Analyzers;

/// <summary>How a GUP entry point treats the mmap lock (SEMANTICS.md rules 15-24).</summary>
internal enum GupForm
{
    /// <summary><c>GetUserPages</c> / <c>PinUserPages</c>: the caller holds the lock and GUP never drops it, so no retry and Interruptible is ignored (rules 16, 21).</summary>
    Plain,

    /// <summary><c>...Locked</c>: the caller holds the lock and passes <c>ref locked</c> (true); GUP may drop it (rules 15-18, 22).</summary>
    Locked,

    /// <summary><c>...Unlocked</c>: GUP takes and drops the lock itself; -EAGAIN when the first killable lock fails (rule 23).</summary>
    Unlocked,

    /// <summary><c>...Fast</c>: the current task's mm, lockless, unlocked slow path; rejects Interruptible and Nowait (rule 24).</summary>
    Fast,
}

/// <summary>One GUP entry point of <c>FaultLine.Gup</c>, with where its interesting parameters are.</summary>
internal sealed class GupApi
{
    public GupApi(IMethodSymbol method, GupForm form, bool pins)
    {
        Method = method;
        Form = form;
        Pins = pins;
        MmOrdinal = OrdinalOf(method, "mm");
        CountOrdinal = OrdinalOf(method, "nrPages");
        FlagsOrdinal = OrdinalOf(method, "gupFlags");
        PagesOrdinal = OrdinalOf(method, "pages");
        LockedOrdinal = OrdinalOf(method, "locked");
    }

    public IMethodSymbol Method { get; }

    public GupForm Form { get; }

    /// <summary>True for the <c>Pin*</c> forms (FOLL_PIN: release with <c>UnpinUserPage(s)</c>).</summary>
    public bool Pins { get; }

    /// <summary>Parameter ordinals, or -1 when the form has no such parameter (the fast forms have no mm).</summary>
    public int MmOrdinal { get; }

    public int CountOrdinal { get; }

    public int FlagsOrdinal { get; }

    public int PagesOrdinal { get; }

    public int LockedOrdinal { get; }

    /// <summary>The method name as written in code, e.g. <c>GetUserPagesLocked</c>.</summary>
    public string Name => Method.Name;

    /// <summary>The name of the same operation in another form, e.g. <c>PinUserPages</c> → <c>PinUserPagesUnlocked</c>.</summary>
    public string NameOf(GupForm form)
    {
        var stem = Pins ? "PinUserPages" : "GetUserPages";
        return form switch
        {
            GupForm.Locked => stem + "Locked",
            GupForm.Unlocked => stem + "Unlocked",
            GupForm.Fast => stem + "Fast",
            _ => stem,
        };
    }

    private static int OrdinalOf(IMethodSymbol method, string name)
    {
        foreach (var parameter in method.Parameters)
        {
            if (parameter.Name == name)
            {
                return parameter.Ordinal;
            }
        }

        return -1;
    }
}

/// <summary>
/// The FaultLine.Runtime symbols the analyzers look for, resolved once per compilation. <see cref="Create"/>
/// returns null when the runtime is not referenced, and then no analyzer registers anything: code that
/// merely has a type called <c>Gup</c> (in another namespace, or in its own source) is never analyzed.
/// </summary>
internal sealed class KnownSymbols
{
    /// <summary>The assembly every symbol must come from; a same-named type elsewhere does not count.</summary>
    public const string RuntimeAssemblyName = "FaultLine.Runtime";

    /// <summary>
    /// Simple names of the runtime methods whose presence makes a method body worth a control-flow graph.
    /// Used as a syntax pre-filter before any symbol lookup.
    /// </summary>
    public static readonly ImmutableHashSet<string> InterestingInvocationNames = ImmutableHashSet.Create(
        "GetUserPages", "GetUserPagesLocked", "GetUserPagesUnlocked", "GetUserPagesFast",
        "PinUserPages", "PinUserPagesLocked", "PinUserPagesUnlocked", "PinUserPagesFast",
        "HandleMmFault");

    private readonly Dictionary<IMethodSymbol, GupApi> gupApis;

    private KnownSymbols(Compilation compilation, INamedTypeSymbol gup, INamedTypeSymbol follFlags)
    {
        Compilation = compilation;
        Gup = gup;
        FollFlags = follFlags;
        Errno = Resolve(compilation, "FaultLine.Errno");
        MmStruct = Resolve(compilation, "FaultLine.MmStruct");
        MmFault = Resolve(compilation, "FaultLine.MmFault");
        KernelTask = Resolve(compilation, "FaultLine.KernelTask");
        Signals = Resolve(compilation, "FaultLine.Signals");
        VmFaultResult = Resolve(compilation, "FaultLine.VmFaultResult");
        RwSemaphore = Resolve(compilation, "FaultLine.RwSemaphore");
        Page = Resolve(compilation, "FaultLine.Page");
        VmAreaStruct = Resolve(compilation, "FaultLine.VmAreaStruct");

        FollInterruptible = EnumValue(follFlags, "Interruptible");
        FollNowait = EnumValue(follFlags, "Nowait");
        FastAllowedFlags = (EnumValue(follFlags, "Write") ?? 0) | (EnumValue(follFlags, "Longterm") ?? 0)
            | (EnumValue(follFlags, "Force") ?? 0) | (EnumValue(follFlags, "Get") ?? 0) | (EnumValue(follFlags, "Nofault") ?? 0);
        VmFaultRetry = VmFaultResult is null ? null : EnumValue(VmFaultResult, "Retry");

        EINTR = ErrnoValue("EINTR");
        EAGAIN = ErrnoValue("EAGAIN");
        ERESTARTSYS = ErrnoValue("ERESTARTSYS");

        gupApis = new Dictionary<IMethodSymbol, GupApi>(SymbolEqualityComparer.Default);
        foreach (var member in gup.GetMembers())
        {
            if (member is IMethodSymbol { IsStatic: true, DeclaredAccessibility: Accessibility.Public } method
                && ClassifyGup(method.Name) is var (form, pins) && form is not null)
            {
                gupApis[method] = new GupApi(method, form.Value, pins);
            }
        }

        UnpinUserPages = SingleMethod(gup, "UnpinUserPages");
        UnpinUserPage = SingleMethod(gup, "UnpinUserPage");
        PutPage = SingleMethod(gup, "PutPage");
        HandleMmFault = MmFault is null ? null : SingleMethod(MmFault, "HandleMmFault");
        MmapReadLock = MmStruct is null ? null : SingleMethod(MmStruct, "MmapReadLock");
        MmapReadUnlock = MmStruct is null ? null : SingleMethod(MmStruct, "MmapReadUnlock");
        KernelTaskCurrent = KernelTask is null ? null : SingleProperty(KernelTask, "Current");
        KernelTaskMm = KernelTask is null ? null : SingleProperty(KernelTask, "Mm");
        SignalPending = KernelTask is null ? null : SingleProperty(KernelTask, "SignalPending");
        FatalSignalPending = KernelTask is null ? null : SingleProperty(KernelTask, "FatalSignalPending");
    }

    public Compilation Compilation { get; }

    public INamedTypeSymbol Gup { get; }

    public INamedTypeSymbol FollFlags { get; }

    public INamedTypeSymbol? Errno { get; }

    public INamedTypeSymbol? MmStruct { get; }

    public INamedTypeSymbol? MmFault { get; }

    public INamedTypeSymbol? KernelTask { get; }

    public INamedTypeSymbol? Signals { get; }

    public INamedTypeSymbol? VmFaultResult { get; }

    public INamedTypeSymbol? RwSemaphore { get; }

    public INamedTypeSymbol? Page { get; }

    public INamedTypeSymbol? VmAreaStruct { get; }

    public IMethodSymbol? UnpinUserPages { get; }

    public IMethodSymbol? UnpinUserPage { get; }

    public IMethodSymbol? PutPage { get; }

    public IMethodSymbol? HandleMmFault { get; }

    public IMethodSymbol? MmapReadLock { get; }

    public IMethodSymbol? MmapReadUnlock { get; }

    public IPropertySymbol? KernelTaskCurrent { get; }

    public IPropertySymbol? KernelTaskMm { get; }

    public IPropertySymbol? SignalPending { get; }

    public IPropertySymbol? FatalSignalPending { get; }

    /// <summary>FollFlags.Interruptible's value, or null if this runtime has no such flag.</summary>
    public long? FollInterruptible { get; }

    public long? FollNowait { get; }

    /// <summary>The caller-visible flags gup_fast_fallback accepts (rule 24): Write, Longterm, Force, Get, Nofault.</summary>
    public long FastAllowedFlags { get; }

    public long? VmFaultRetry { get; }

    /// <summary>Errno constants as the positive values the runtime declares (callers negate them).</summary>
    public long? EINTR { get; }

    public long? EAGAIN { get; }

    public long? ERESTARTSYS { get; }

    /// <summary>Resolves the runtime's symbols, or returns null when FaultLine.Runtime is not referenced.</summary>
    public static KnownSymbols? Create(Compilation compilation)
    {
        var gup = Resolve(compilation, "FaultLine.Gup");
        var follFlags = Resolve(compilation, "FaultLine.FollFlags");
        if (gup is null || follFlags is null || follFlags.TypeKind != TypeKind.Enum)
        {
            return null;
        }

        return new KnownSymbols(compilation, gup, follFlags);
    }

    /// <summary>The GUP entry point <paramref name="method"/> is, or null.</summary>
    public GupApi? GupApiOf(IMethodSymbol? method)
    {
        if (method is null)
        {
            return null;
        }

        return gupApis.TryGetValue(method.OriginalDefinition, out var api) ? api : null;
    }

    public bool IsHandleMmFault(IMethodSymbol? method) =>
        method is not null && HandleMmFault is not null && SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, HandleMmFault);

    /// <summary>
    /// Whether <paramref name="method"/> tells its caller about a pending signal: the runtime's signal tests
    /// (<c>Signals.*Pending</c>), or one of its killable/interruptible waits and locks, which return -EINTR or
    /// -ERESTARTSYS when a signal cuts them short (<c>Wait.EventKillable</c>, <c>MmapReadLockKillable</c>,
    /// <c>KMutex.LockInterruptible</c>, ...). A caller that tests their result is testing for a signal.
    /// </summary>
    public bool IsSignalCheck(IMethodSymbol? method)
    {
        if (method is null || method.ContainingAssembly?.Name != RuntimeAssemblyName)
        {
            return false;
        }

        if (Signals is not null && SymbolEqualityComparer.Default.Equals(method.ContainingType, Signals))
        {
            return method.Name.EndsWith("Pending", System.StringComparison.Ordinal);
        }

        return method.ReturnType.SpecialType == SpecialType.System_Int32
            && (method.Name.EndsWith("Killable", System.StringComparison.Ordinal)
                || method.Name.EndsWith("Interruptible", System.StringComparison.Ordinal));
    }

    /// <summary>Whether <paramref name="property"/> is <c>KernelTask.SignalPending</c> or <c>FatalSignalPending</c>.</summary>
    public bool IsSignalCheck(IPropertySymbol? property) =>
        property is not null
        && (SymbolEqualityComparer.Default.Equals(property.OriginalDefinition, SignalPending)
            || SymbolEqualityComparer.Default.Equals(property.OriginalDefinition, FatalSignalPending));

    public bool IsMethod(IMethodSymbol? method, IMethodSymbol? known) =>
        method is not null && known is not null && SymbolEqualityComparer.Default.Equals(method.OriginalDefinition, known);

    private long? ErrnoValue(string name)
    {
        if (Errno is null)
        {
            return null;
        }

        foreach (var member in Errno.GetMembers(name))
        {
            if (member is IFieldSymbol { HasConstantValue: true } field && field.ConstantValue is not null)
            {
                return System.Convert.ToInt64(field.ConstantValue, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static (GupForm? Form, bool Pins) ClassifyGup(string name)
    {
        bool pins;
        string rest;
        if (name.StartsWith("GetUserPages", System.StringComparison.Ordinal))
        {
            pins = false;
            rest = name.Substring("GetUserPages".Length);
        }
        else if (name.StartsWith("PinUserPages", System.StringComparison.Ordinal))
        {
            pins = true;
            rest = name.Substring("PinUserPages".Length);
        }
        else
        {
            return (null, false);
        }

        GupForm? form = rest switch
        {
            "" => GupForm.Plain,
            "Locked" => GupForm.Locked,
            "Unlocked" => GupForm.Unlocked,
            "Fast" => GupForm.Fast,
            _ => null,
        };
        return (form, pins);
    }

    private static INamedTypeSymbol? Resolve(Compilation compilation, string metadataName)
    {
        var type = compilation.GetTypeByMetadataName(metadataName);
        return type is not null && type.ContainingAssembly?.Name == RuntimeAssemblyName ? type : null;
    }

    private static long? EnumValue(INamedTypeSymbol enumType, string name)
    {
        foreach (var member in enumType.GetMembers(name))
        {
            if (member is IFieldSymbol { HasConstantValue: true } field && field.ConstantValue is not null)
            {
                return System.Convert.ToInt64(field.ConstantValue, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static IMethodSymbol? SingleMethod(INamedTypeSymbol type, string name)
    {
        IMethodSymbol? found = null;
        foreach (var member in type.GetMembers(name))
        {
            if (member is IMethodSymbol method)
            {
                if (found is not null)
                {
                    return found;
                }

                found = method;
            }
        }

        return found;
    }

    private static IPropertySymbol? SingleProperty(INamedTypeSymbol type, string name)
    {
        foreach (var member in type.GetMembers(name))
        {
            if (member is IPropertySymbol property)
            {
                return property;
            }
        }

        return null;
    }
}
