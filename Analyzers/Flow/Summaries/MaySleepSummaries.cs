using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.Flow.Summaries;

/// <summary>
/// "May this method sleep?" with the call chain that proves it, for FL2001 (sleeping under RetryNowait) and FL3006
/// (sleeping in atomic context). Create one per compilation in the compilation-start action; answers are computed
/// the first time a caller asks and cached.
/// <para>
/// Seeds: methods carrying <c>[FaultLine.MaySleep]</c> (on the method, its property, a method it overrides or an
/// interface member it implements) and the .NET blocking APIs (<see cref="IsBlockingDotNetApi"/>). From a method with
/// source in this compilation the search follows calls breadth-first, so a chain is a shortest one and recursion
/// terminates (each method is visited once). It never assumes more than it sees: virtual, interface and delegate
/// calls without the attribute, and methods without source here (other than the .NET APIs), do not sleep.
/// </para>
/// </summary>
internal sealed class MaySleepSummaries
{
    /// <summary>Methods one search may visit before it gives up (and says "no", without caching).</summary>
    private const int MaxVisited = 4096;

    private readonly Compilation compilation;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> chains = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> callees = new(SymbolEqualityComparer.Default);
    private readonly IMethodSymbol? monitorEnter;

    public MaySleepSummaries(Compilation compilation)
    {
        this.compilation = compilation;
        monitorEnter = FirstMethod(compilation.GetTypeByMetadataName("System.Threading.Monitor"), "Enter");
    }

    /// <summary><c>Monitor.Enter</c>, which a <c>lock</c> statement calls (null when the framework lacks it).</summary>
    public IMethodSymbol? MonitorEnter => monitorEnter;

    /// <summary>
    /// Whether calling <paramref name="method"/> may sleep. <paramref name="chain"/> starts with
    /// <paramref name="method"/> and ends with the seed it reaches (just <paramref name="method"/> when it is a seed):
    /// <c>[FrameBuffer.WaitForPage, Wait.Event]</c> reads "calls FrameBuffer.WaitForPage, which calls Wait.Event".
    /// </summary>
    public bool TryGetSleepChain(IMethodSymbol method, CancellationToken cancellationToken, out ImmutableArray<IMethodSymbol> chain)
    {
        method = Normalize(method);
        if (!chains.TryGetValue(method, out chain))
        {
            chain = Search(method, cancellationToken);
        }

        return !chain.IsDefaultOrEmpty;
    }

    /// <summary>A method that sleeps by itself: <c>[MaySleep]</c> or a .NET blocking API.</summary>
    public bool IsSeed(IMethodSymbol method) => HasMaySleepAttribute(method) || IsBlockingDotNetApi(method);

    /// <summary>
    /// The method an operation calls, for the operations that run another method's code synchronously: invocations,
    /// property reads (getters, e.g. <c>Task.Result</c>), property writes (setters), object creations and <c>lock</c>.
    /// </summary>
    public IMethodSymbol? CalledMethod(IOperation operation) => operation switch
    {
        IInvocationOperation invocation => invocation.TargetMethod,
        IPropertyReferenceOperation property when IsWriteTarget(property) => property.Property.SetMethod,
        IPropertyReferenceOperation property => property.Property.GetMethod,
        IObjectCreationOperation creation => creation.Constructor,
        ILockOperation => monitorEnter,
        _ => null,
    };

    /// <summary>Whether the method's own code is read: non-virtual (or sealed) with source in this compilation.</summary>
    public bool CanFollow(IMethodSymbol method)
    {
        if (method.IsAbstract || method.IsExtern || method.MethodKind == MethodKind.DelegateInvoke)
        {
            return false;
        }

        if ((method.IsVirtual || method.IsOverride) && !method.IsSealed && method.ContainingType is { IsSealed: false })
        {
            // Another override may run instead of this body.
            return false;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (compilation.ContainsSyntaxTree(reference.SyntaxTree))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The .NET APIs that block the thread (the analyzers cannot read their bodies).</summary>
    public static bool IsBlockingDotNetApi(IMethodSymbol method)
    {
        // In-memory streams override the blocking Stream members without blocking.
        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            if (type.ToDisplayString() is "System.IO.MemoryStream" or "System.IO.UnmanagedMemoryStream")
            {
                return false;
            }
        }

        for (var current = method; current is not null; current = current.OverriddenMethod)
        {
            if (IsBlockingDeclaration(current))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBlockingDeclaration(IMethodSymbol method)
    {
        var type = method.ContainingType?.OriginalDefinition;
        if (type is null || type.ContainingAssembly is null)
        {
            return false;
        }

        var name = method.Name;
        switch (type.ToDisplayString())
        {
            case "System.Threading.Thread":
                return name is "Sleep" or "Join";
            case "System.Threading.Monitor":
                // TryEnter waits only in the overloads that take a timeout (int or TimeSpan).
                return name is "Enter" or "Wait"
                    || (name is "TryEnter" && method.Parameters.Any(p => p.Type.SpecialType == SpecialType.System_Int32 || p.Type.Name == "TimeSpan"));
            case "System.Threading.Lock":
                return name is "Enter" or "EnterScope";
            case "System.Threading.Tasks.Task":
                return name is "Wait" or "WaitAll" or "WaitAny";
            case "System.Threading.Tasks.Task<TResult>":
                return name is "get_Result";
            case "System.Runtime.CompilerServices.TaskAwaiter":
            case "System.Runtime.CompilerServices.TaskAwaiter<TResult>":
            case "System.Runtime.CompilerServices.ConfiguredTaskAwaitable.ConfiguredTaskAwaiter":
            case "System.Runtime.CompilerServices.ConfiguredTaskAwaitable<TResult>.ConfiguredTaskAwaiter":
            case "System.Runtime.CompilerServices.ValueTaskAwaiter":
            case "System.Runtime.CompilerServices.ValueTaskAwaiter<TResult>":
                return name is "GetResult";
            case "System.Threading.WaitHandle":
                return name is "WaitOne" or "WaitAll" or "WaitAny" or "SignalAndWait";
            case "System.Threading.SemaphoreSlim":
            case "System.Threading.ManualResetEventSlim":
            case "System.Threading.CountdownEvent":
                return name is "Wait";
            case "System.Threading.Barrier":
                return name is "SignalAndWait";
            case "System.Threading.ReaderWriterLockSlim":
                return name is "EnterReadLock" or "EnterWriteLock" or "EnterUpgradeableReadLock";
            case "System.Threading.SpinWait":
                return false;
            case "System.IO.Stream":
            case "System.IO.FileStream":
            case "System.IO.BufferedStream":
            case "System.Net.Sockets.NetworkStream":
            case "System.IO.Pipes.PipeStream":
                // Not MemoryStream: its Read and Write never block.
                return name is "Read" or "ReadByte" or "ReadExactly" or "ReadAtLeast" or "Write" or "WriteByte" or "CopyTo" or "Flush";
            case "System.IO.File":
                return name.StartsWith("ReadAll", System.StringComparison.Ordinal)
                    || name.StartsWith("WriteAll", System.StringComparison.Ordinal)
                    || name.StartsWith("AppendAll", System.StringComparison.Ordinal)
                    || name is "ReadLines" or "Copy" or "Move" or "Replace";
            case "System.IO.StreamReader":
            case "System.IO.TextReader":
                return name is "Read" or "ReadLine" or "ReadToEnd" or "ReadBlock";
            case "System.Console":
                return name is "Read" or "ReadLine" or "ReadKey";
            default:
                return false;
        }
    }

    private static bool HasMaySleepAttribute(IMethodSymbol method)
    {
        for (var current = method; current is not null; current = current.OverriddenMethod)
        {
            if (HasAttribute(current) || (current.AssociatedSymbol is { } associated && HasAttribute(associated)))
            {
                return true;
            }
        }

        // An implementation of an annotated interface member sleeps too (the attribute states the contract).
        var type = method.ContainingType;
        if (type is null || method.MethodKind is not (MethodKind.Ordinary or MethodKind.PropertyGet or MethodKind.PropertySet))
        {
            return false;
        }

        foreach (var implemented in method.ExplicitInterfaceImplementations)
        {
            if (HasAttribute(implemented) || (implemented.AssociatedSymbol is { } associated && HasAttribute(associated)))
            {
                return true;
            }
        }

        foreach (var @interface in type.AllInterfaces)
        {
            foreach (var member in @interface.GetMembers(method.Name))
            {
                if (member is IMethodSymbol interfaceMethod
                    && SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(interfaceMethod), method)
                    && (HasAttribute(interfaceMethod) || (interfaceMethod.AssociatedSymbol is { } associated && HasAttribute(associated))))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool HasAttribute(ISymbol symbol)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "MaySleepAttribute", ContainingNamespace: { Name: "FaultLine", ContainingNamespace.IsGlobalNamespace: true } })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Breadth-first from <paramref name="start"/>; cycle-safe (visited set) and iterative (a queue, no recursion).</summary>
    private ImmutableArray<IMethodSymbol> Search(IMethodSymbol start, CancellationToken cancellationToken)
    {
        if (IsSeed(start))
        {
            var own = ImmutableArray.Create(start);
            chains.TryAdd(start, own);
            return own;
        }

        if (!CanFollow(start))
        {
            chains.TryAdd(start, ImmutableArray<IMethodSymbol>.Empty);
            return ImmutableArray<IMethodSymbol>.Empty;
        }

        var parent = new Dictionary<IMethodSymbol, IMethodSymbol>(SymbolEqualityComparer.Default);
        var visited = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { start };
        var queue = new Queue<IMethodSymbol>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = queue.Dequeue();
            foreach (var callee in CalleesOf(current, cancellationToken))
            {
                if (!visited.Add(callee))
                {
                    continue;
                }

                parent[callee] = current;
                if (visited.Count > MaxVisited)
                {
                    return ImmutableArray<IMethodSymbol>.Empty;
                }

                if (chains.TryGetValue(callee, out var known))
                {
                    if (!known.IsDefaultOrEmpty)
                    {
                        return Found(start, callee, known, parent);
                    }

                    continue;
                }

                if (IsSeed(callee))
                {
                    return Found(start, callee, ImmutableArray.Create(callee), parent);
                }

                if (CanFollow(callee))
                {
                    queue.Enqueue(callee);
                }
            }
        }

        // Nothing reachable from start sleeps, so nothing reachable from any visited method does either.
        foreach (var method in visited)
        {
            chains.TryAdd(method, ImmutableArray<IMethodSymbol>.Empty);
        }

        return ImmutableArray<IMethodSymbol>.Empty;
    }

    private ImmutableArray<IMethodSymbol> Found(
        IMethodSymbol start, IMethodSymbol reached, ImmutableArray<IMethodSymbol> tail, Dictionary<IMethodSymbol, IMethodSymbol> parent)
    {
        var path = new List<IMethodSymbol>();
        for (var current = reached; !SymbolEqualityComparer.Default.Equals(current, start); current = parent[current])
        {
            path.Add(current);
        }

        path.Add(start);
        path.Reverse();

        // path = start .. reached; the chain is path without its last element, then reached's own chain.
        var builder = ImmutableArray.CreateBuilder<IMethodSymbol>(path.Count - 1 + tail.Length);
        for (var i = 0; i < path.Count - 1; i++)
        {
            builder.Add(path[i]);
        }

        builder.AddRange(tail);
        var chain = builder.ToImmutable();

        // Every suffix of a shortest chain is a chain for its first method.
        for (var i = 0; i < path.Count - 1; i++)
        {
            chains.TryAdd(path[i], chain.RemoveRange(0, i));
        }

        return chain;
    }

    /// <summary>The methods a method with readable source calls directly (not from its lambdas), cached; for other summaries over the same call graph.</summary>
    internal ImmutableArray<IMethodSymbol> DirectCallees(IMethodSymbol method, CancellationToken cancellationToken) =>
        CanFollow(Normalize(method)) ? CalleesOf(Normalize(method), cancellationToken) : ImmutableArray<IMethodSymbol>.Empty;

    private ImmutableArray<IMethodSymbol> CalleesOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (callees.TryGetValue(method, out var cached))
        {
            return cached;
        }

        var found = ImmutableArray.CreateBuilder<IMethodSymbol>();
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (var body in Bodies(method, cancellationToken))
        {
            // Explicit stack: no recursion proportional to the nesting depth of the code.
            var stack = new Stack<IOperation>();
            stack.Push(body);
            while (stack.Count > 0)
            {
                var operation = stack.Pop();
                if (CalledMethod(operation) is { } callee && seen.Add(Normalize(callee)))
                {
                    found.Add(Normalize(callee));
                }

                foreach (var child in operation.ChildOperations)
                {
                    // Lambdas and local functions run at another time (or never); a call to a local function is
                    // followed as a call instead.
                    if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                    {
                        stack.Push(child);
                    }
                }
            }
        }

        var result = found.ToImmutable();
        callees.TryAdd(method, result);
        return result;
    }

    private IEnumerable<IOperation> Bodies(IMethodSymbol method, CancellationToken cancellationToken)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (!compilation.ContainsSyntaxTree(reference.SyntaxTree))
            {
                continue;
            }

            var node = reference.GetSyntax(cancellationToken);
            var model = SemanticModelFor(reference.SyntaxTree);
            var operation = model.GetOperation(node, cancellationToken);
            if (operation is ILocalFunctionOperation localFunction)
            {
                operation = localFunction.Body;
            }

            if (operation is not null)
            {
                yield return operation;
            }
        }
    }

#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() method within a diagnostic analyzer
    // Summaries read other methods' bodies, which the analysis context does not hand out.
    private SemanticModel SemanticModelFor(SyntaxTree tree) => compilation.GetSemanticModel(tree);
#pragma warning restore RS1030

    private static IMethodSymbol Normalize(IMethodSymbol method)
    {
        method = method.PartialImplementationPart ?? method;
        method = method.ReducedFrom ?? method;
        return method.OriginalDefinition;
    }

    private static bool IsWriteTarget(IPropertyReferenceOperation property) =>
        property.Parent is IAssignmentOperation assignment && assignment.Target == property;

    private static IMethodSymbol? FirstMethod(INamedTypeSymbol? type, string name)
    {
        if (type is null)
        {
            return null;
        }

        foreach (var member in type.GetMembers(name))
        {
            if (member is IMethodSymbol method)
            {
                return method;
            }
        }

        return null;
    }
}
