using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FaultLine.CodeFixes.GupCallers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace FaultLine.Analyzers.Tests.GupCallers.Fixes;

/// <summary>
/// The analyzer reports nothing on code that does not bind, so the fixes never see half-typed code through the
/// verifier. These tests hand each fix a diagnostic (with every property an FL1xxx diagnostic may carry) on code
/// being typed, and check that it neither throws nor offers an action.
/// </summary>
public class GupFixesOnBrokenCodeTests
{
    private static readonly CodeFixProvider[] Providers =
    {
        new FL1001InterruptibleWithoutLockedFix(),
        new FL1002ResultDiscardedFix(),
        new FL1003PartialCountFix(),
        new FL1004InterruptConvertedFix(),
        new FL1005RetryLoopFix(),
        new FL1006LockedNotTrueFix(),
        new FL1008SimplerFormFix(),
        new FL1009FlagRejectedByFastFix(),
    };

    public static TheoryData<string, string, string> BrokenCode => new()
    {
        // A call missing its closing parenthesis, with the lock around it.
        { "mm.MmapReadLock();\n        long ret = Gup.GetUserPages(mm, start, 1, FollFlags.Interruptible, pages;\n        mm.MmapReadUnlock();\n        return ret;", "Gup.GetUserPages(mm, start, 1, FollFlags.Interruptible, pages", "GetUserPages" },
        // A missing argument.
        { "long ret = Gup.GetUserPagesFast(start, , FollFlags.Nowait, pages);\n        return ret;", "Gup.GetUserPagesFast(start, , FollFlags.Nowait, pages)", "GetUserPagesFast" },
        // A method name still being typed.
        { "Gup.GetUserPag(mm, start, 1, FollFlags.Write, pages);\n        return 0;", "Gup.GetUserPag(mm, start, 1, FollFlags.Write, pages)", "GetUserPages" },
        // A missing comma, in a loop whose body is still open.
        { "long ret = 0;\n        while (true)\n        {\n            ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write null);\n            return -;", "Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Write null)", "GetUserPagesUnlocked" },
        // ref to a local that does not exist.
        { "long ret = Gup.GetUserPagesLocked(mm, start, 1, FollFlags.Write, pages, ref lockd);\n        return ret;", "ref lockd", "GetUserPagesLocked" },
        // A return whose value is half written after an interruptible call.
        { "long ret = Gup.GetUserPagesUnlocked(mm, start, 1, FollFlags.Interruptible, null);\n        if (ret < 0)\n            return -Errno.;\n        return 0;", "-Errno.", "GetUserPagesUnlocked" },
    };

    [Theory]
    [MemberData(nameof(BrokenCode))]
    public async Task No_fix_is_offered_and_nothing_throws(string body, string marked, string method)
    {
        var source = "using FaultLine;\n\nclass Driver\n{\n    long Grab(MmStruct mm, ulong start, Page[] pages)\n    {\n        " + body + "\n    }\n}\n";
        var document = CreateDocument(source);
        var span = new TextSpan(source.IndexOf(marked, StringComparison.Ordinal), marked.Length);
        Assert.True(span.Start >= 0);
        var tree = await document.GetSyntaxTreeAsync();

        foreach (var provider in Providers)
        {
            var id = provider.FixableDiagnosticIds.Single();
            var descriptor = new DiagnosticDescriptor(id, id, id, "FaultLine.GupCallers", DiagnosticSeverity.Warning, true);
            var diagnostic = Diagnostic.Create(descriptor, Location.Create(tree!, span), new[] { Location.Create(tree!, span) }, AllProperties(method));
            var actions = new List<CodeAction>();
            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None);
            await provider.RegisterCodeFixesAsync(context);
            Assert.True(actions.Count == 0, $"{id} offered '{actions.FirstOrDefault()?.Title}' on broken code");
        }
    }

    [Fact]
    public async Task Control_the_same_harness_offers_a_fix_on_well_formed_code()
    {
        const string Source = "using FaultLine;\n\nclass Driver\n{\n    long Grab(ulong start, Page[] pages) => Gup.GetUserPagesFast(start, 1, FollFlags.Nowait, pages);\n}\n";
        var document = CreateDocument(Source);
        var tree = await document.GetSyntaxTreeAsync();
        var span = new TextSpan(Source.IndexOf("FollFlags.Nowait", StringComparison.Ordinal), "FollFlags.Nowait".Length);
        var descriptor = new DiagnosticDescriptor("FL1009", "FL1009", "FL1009", "FaultLine.GupCallers", DiagnosticSeverity.Error, true);
        var diagnostic = Diagnostic.Create(descriptor, Location.Create(tree!, span), AllProperties("GetUserPagesFast"));
        var actions = new List<CodeAction>();
        await new FL1009FlagRejectedByFastFix().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        Assert.Single(actions);
    }

    private static ImmutableDictionary<string, string?> AllProperties(string method) => new Dictionary<string, string?>
    {
        ["Method"] = method,
        ["LockedForm"] = "GetUserPagesLocked",
        ["UnlockedForm"] = "GetUserPagesUnlocked",
        ["Replacement"] = "GetUserPagesUnlocked",
        ["Kind"] = "LockAroundCall",
        ["Flags"] = "Interruptible",
        ["ResultLocal"] = "ret",
        ["LostErrno"] = "EINTR",
        ["RequestedCount"] = "1",
        ["Pages"] = "pages",
        ["Pins"] = "false",
        ["LockedLocal"] = "lockd",
        ["LockedState"] = "false",
        ["Retried"] = "gup",
    }.ToImmutableDictionary();

    private static Document CreateDocument(string source)
    {
        var coreDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = new[]
        {
            MetadataReference.CreateFromFile(typeof(object).Assembly.Location),
            MetadataReference.CreateFromFile(Path.Combine(coreDirectory, "System.Runtime.dll")),
            MetadataReference.CreateFromFile(typeof(FaultLine.Gup).Assembly.Location),
        };
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject("Broken", LanguageNames.CSharp)
            .WithMetadataReferences(references)
            .WithCompilationOptions(new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        return project.AddDocument("Broken.cs", SourceText.From(source));
    }
}
