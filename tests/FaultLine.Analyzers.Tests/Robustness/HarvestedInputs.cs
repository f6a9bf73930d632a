using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using FaultLine.Analyzers.Tests.Samples;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Testing;

namespace FaultLine.Analyzers.Tests.Robustness;

/// <summary>One source file of an input: its path in the compilation and its text (markup already removed).</summary>
public sealed record InputFile(string Path, string Text);

/// <summary>
/// A compilable unit the robustness tests replay: the files one rule test handed to the verifier (usually one), or
/// a sample variant with its scenario's helper file. <see cref="Group"/> is the test file or sample scenario it came
/// from (one theory row each); <see cref="Name"/> says where exactly.
/// </summary>
/// <remarks>
/// <see cref="Edited"/> lists the files whose typing is replayed: every file of a rule-test input; of a sample, the
/// variant, and the scenario's helper files only with Buggy.cs (so each file on disk is replayed once), never the
/// generated global usings. <see cref="Preview"/>: the test file parses its sources with LanguageVersion.Preview
/// (a SolutionTransform does), and so does the replay.
/// </remarks>
public sealed record ReplayInput(string Group, string Name, ImmutableArray<InputFile> Files, bool IsSample, ImmutableArray<int> Edited, bool Preview = false);

/// <summary>
/// Collects the inputs of the robustness tests from disk: every sample file under Samples/FaultLine.Samples, and every
/// C# source the rule tests in this project give the verifiers (VerifyAnalyzerAsync, VerifyWithoutRuntimeAsync,
/// VerifyCodeFixAsync's source and expected output, TestCode/FixedCode and TestState/FixedState.Sources). The test
/// files are parsed with Roslyn and each source argument is evaluated syntactically: string and raw string literals,
/// interpolations (their holes resolved to constants, locals, fields, a theory parameter's InlineData rows, or a
/// helper's parameter from its call sites in the file),
/// concatenation and string.Replace with literal arguments. A source expression that cannot be evaluated is listed
/// in <see cref="Unresolved"/>, and the tests fail on it, so a new test shape is never silently left out.
/// </summary>
public static class HarvestedInputs
{
    private static readonly Lazy<Harvest> Lazy = new(Collect);

    /// <summary>Every distinct input, rule tests first (in file order), then samples.</summary>
    public static ImmutableArray<ReplayInput> All => Lazy.Value.Inputs;

    /// <summary>Source expressions found in test files that could not be evaluated ("file:line: expression").</summary>
    public static ImmutableArray<string> Unresolved => Lazy.Value.Unresolved;

    /// <summary>How many source expressions were harvested before de-duplication.</summary>
    public static int RawCount => Lazy.Value.RawCount;

    /// <summary>The group names (test file paths relative to the test project, sample scenario folders), in order.</summary>
    public static IEnumerable<string> Groups => All.Select(i => i.Group).Distinct();

    public static IEnumerable<object[]> GroupRows() => Groups.Select(g => new object[] { g });

    public static IEnumerable<ReplayInput> InGroup(string group) => All.Where(i => i.Group == group);

    private sealed record Harvest(ImmutableArray<ReplayInput> Inputs, ImmutableArray<string> Unresolved, int RawCount);

    private static Harvest Collect()
    {
        var testProject = Path.Combine(SampleCompiler.RepoRoot, "tests", "FaultLine.Analyzers.Tests");
        var unresolved = new List<string>();
        var raw = new List<ReplayInput>();
        foreach (var file in Directory.EnumerateFiles(testProject, "*.cs", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(testProject, file).Replace('\\', '/');
            if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
                || relative.StartsWith("Robustness/", StringComparison.Ordinal) || relative.StartsWith("Verifiers/", StringComparison.Ordinal))
            {
                continue;
            }

            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file), path: relative);
            new TestFileHarvester(tree, relative, raw, unresolved).Run();
        }

        raw.AddRange(Samples());

        // Identical inputs (the same sources, in the same order, parsed the same way) are replayed once, under the first name seen.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var distinct = raw.Where(input => seen.Add($"{input.IsSample}{input.Preview}\0" + string.Join("\0\0", input.Files.Select(f => f.Text)))).ToImmutableArray();
        return new Harvest(distinct, unresolved.ToImmutableArray(), raw.Count);
    }

    /// <summary>Every .cs file of every scenario, compiled with the scenario's other files and the SDK's implicit usings.</summary>
    private static IEnumerable<ReplayInput> Samples()
    {
        var root = Path.Combine(SampleCompiler.RepoRoot, "Samples", "FaultLine.Samples");
        foreach (var dir in Directory.EnumerateDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
        {
            var scenario = Path.GetFileName(dir);
            if (scenario is "bin" or "obj")
            {
                continue;
            }

            var files = Directory.EnumerateFiles(dir, "*.cs").OrderBy(f => f, StringComparer.Ordinal).ToList();
            var helpers = files.Where(f => Path.GetFileName(f) is not ("Buggy.cs" or "Fixed.cs")).ToList();
            foreach (var variant in files.Where(f => Path.GetFileName(f) is "Buggy.cs" or "Fixed.cs"))
            {
                // Buggy.cs and Fixed.cs declare the same types: each compiles with the helpers only, as SampleCompiler does.
                var inputFiles = new[] { variant }.Concat(helpers)
                    .Select(f => new InputFile(Path.GetFileName(f), File.ReadAllText(f)))
                    .Append(new InputFile(SampleCompiler.ImplicitUsingsFileName, ReplayCompiler.ImplicitUsings))
                    .ToImmutableArray();
                var isBuggy = Path.GetFileName(variant) == "Buggy.cs";
                var edited = Enumerable.Range(0, inputFiles.Length - 1).Where(i => i == 0 || isBuggy).ToImmutableArray();
                yield return new ReplayInput("Samples/" + scenario, $"Samples/{scenario}/{Path.GetFileName(variant)}", inputFiles, IsSample: true, edited);
            }
        }
    }

    /// <summary>Finds the verifier calls and test objects in one test file and evaluates their source expressions.</summary>
    private sealed class TestFileHarvester
    {
        private static readonly HashSet<string> VerifyMethods = new(StringComparer.Ordinal) { "VerifyAnalyzerAsync", "VerifyWithoutRuntimeAsync", "VerifyCodeFixAsync" };

        private readonly SyntaxTree tree;
        private readonly string relative;
        private readonly List<ReplayInput> inputs;
        private readonly List<string> unresolved;

        public TestFileHarvester(SyntaxTree tree, string relative, List<ReplayInput> inputs, List<string> unresolved)
        {
            this.tree = tree;
            this.relative = relative;
            this.inputs = inputs;
            this.unresolved = unresolved;
        }

        public void Run()
        {
            var root = tree.GetRoot();
            foreach (var invocation in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                var name = invocation.Expression switch
                {
                    MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
                    IdentifierNameSyntax id => id.Identifier.ValueText,
                    _ => null,
                };
                if (name == "Add" && invocation.Expression is MemberAccessExpressionSyntax { Expression: var list } && list.ToString().EndsWith("Sources", StringComparison.Ordinal)
                    && invocation.ArgumentList.Arguments.Count == 1)
                {
                    // test.TestState.Sources.Add(text) or .Add((path, text)): one more file, taken as an input of its own.
                    var added = invocation.ArgumentList.Arguments[0].Expression;
                    AddSingle(added is TupleExpressionSyntax tuple ? tuple.Arguments.Last().Expression : added);
                    continue;
                }

                if (name is null || !VerifyMethods.Contains(name))
                {
                    continue;
                }

                // The verifiers take the source first; VerifyCodeFixAsync takes the expected output second.
                var count = name == "VerifyCodeFixAsync" ? 2 : 1;
                foreach (var argument in invocation.ArgumentList.Arguments.Take(count))
                {
                    AddSingle(argument.Expression);
                }
            }

            foreach (var assignment in root.DescendantNodes().OfType<AssignmentExpressionSyntax>())
            {
                // TestCode = ... in an object initializer, or test.TestCode = ... after it.
                var left = assignment.Left switch
                {
                    IdentifierNameSyntax id when assignment.Parent is InitializerExpressionSyntax => id,
                    MemberAccessExpressionSyntax member => member.Name as IdentifierNameSyntax,
                    _ => null,
                };
                if (left is null)
                {
                    continue;
                }

                switch (left.Identifier.ValueText)
                {
                    case "TestCode" or "FixedCode":
                        AddSingle(assignment.Right);
                        break;
                    case "Sources" when assignment.Right is InitializerExpressionSyntax sources:
                        AddGroup(sources);
                        break;
                }
            }
        }

        private void AddSingle(ExpressionSyntax expression)
        {
            foreach (var text in Evaluate(expression))
            {
                Add(expression, new[] { text });
            }
        }

        /// <summary>One input of several files: the elements of a Sources collection (a text, or a (path, text) tuple).</summary>
        private void AddGroup(InitializerExpressionSyntax sources)
        {
            var perFile = new List<IReadOnlyList<string>>();
            foreach (var element in sources.Expressions)
            {
                var text = element is TupleExpressionSyntax tuple ? tuple.Arguments.Last().Expression : element;
                var values = Evaluate(text);
                if (values.Count == 0)
                {
                    return;
                }

                perFile.Add(values);
            }

            if (perFile.Any(values => values.Count > 1))
            {
                // Elements that expand to several values (theory rows) would need a cross product; none do today.
                var line = sources.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                unresolved.Add($"{relative}:{line}: Sources with an element of several values (teach AddGroup the cross product)");
                return;
            }

            if (perFile.Count > 0)
            {
                Add(sources, perFile.Select(values => values[0]).ToArray());
            }
        }

        private void Add(SyntaxNode at, IReadOnlyList<string> texts)
        {
            var line = at.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            var files = ImmutableArray.CreateBuilder<InputFile>();
            for (var i = 0; i < texts.Count; i++)
            {
                string stripped;
                try
                {
                    TestFileMarkupParser.GetPositionsAndSpans(texts[i], out stripped, out _, out _);
                }
                catch (ArgumentException e)
                {
                    unresolved.Add($"{relative}:{line}: malformed markup: {e.Message}");
                    return;
                }

                files.Add(new InputFile($"/0/Test{i}.cs", stripped));
            }

            // A test file that switches its projects to LanguageVersion.Preview has all its inputs parsed that way.
            var preview = tree.GetRoot().DescendantNodes().OfType<MemberAccessExpressionSyntax>().Any(m => m.ToString() == "LanguageVersion.Preview");
            inputs.Add(new ReplayInput(relative, $"{relative}:{line}", files.ToImmutable(), IsSample: false, Enumerable.Range(0, texts.Count).ToImmutableArray(), preview));
        }

        /// <summary>The values <paramref name="expression"/> can have (several for a theory parameter); empty and recorded when unknown.</summary>
        private List<string> Evaluate(ExpressionSyntax expression)
        {
            var values = TryEvaluate(expression, depth: 0);
            if (values is null)
            {
                var line = expression.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                var text = expression.ToString();
                unresolved.Add($"{relative}:{line}: {(text.Length > 80 ? text.Substring(0, 80) + "..." : text)}");
                return new List<string>();
            }

            return values;
        }

        private List<string>? TryEvaluate(ExpressionSyntax expression, int depth)
        {
            if (depth > 20)
            {
                return null;
            }

            switch (expression)
            {
                case LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression):
                    return new List<string> { literal.Token.ValueText };

                case ParenthesizedExpressionSyntax parenthesized:
                    return TryEvaluate(parenthesized.Expression, depth + 1);

                case InterpolatedStringExpressionSyntax interpolated:
                {
                    var results = new List<string> { string.Empty };
                    foreach (var content in interpolated.Contents)
                    {
                        var parts = content switch
                        {
                            InterpolatedStringTextSyntax text => new List<string> { text.TextToken.ValueText },
                            InterpolationSyntax { AlignmentClause: null, FormatClause: null } hole => TryEvaluate(hole.Expression, depth + 1),
                            _ => null,
                        };
                        if (parts is null)
                        {
                            return null;
                        }

                        results = results.SelectMany(prefix => parts.Select(part => prefix + part)).ToList();
                    }

                    return results;
                }

                case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression):
                {
                    var left = TryEvaluate(binary.Left, depth + 1);
                    var right = TryEvaluate(binary.Right, depth + 1);
                    return left is null || right is null ? null : left.SelectMany(l => right.Select(r => l + r)).ToList();
                }

                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Replace" } member } call
                    when call.ArgumentList.Arguments.Count == 2:
                {
                    var receiver = TryEvaluate(member.Expression, depth + 1);
                    var oldValue = TryEvaluate(call.ArgumentList.Arguments[0].Expression, depth + 1);
                    var newValue = TryEvaluate(call.ArgumentList.Arguments[1].Expression, depth + 1);
                    if (receiver is null || oldValue is not [var o] || newValue is not [var n])
                    {
                        return null;
                    }

                    return receiver.Select(r => r.Replace(o, n, StringComparison.Ordinal)).ToList();
                }

                case IdentifierNameSyntax identifier:
                    return TryEvaluateName(identifier, depth);

                default:
                    return null;
            }
        }

        /// <summary>A local or field initialised once, or a parameter of a theory (its InlineData values at that position).</summary>
        private List<string>? TryEvaluateName(IdentifierNameSyntax identifier, int depth)
        {
            var name = identifier.Identifier.ValueText;
            var member = identifier.FirstAncestorOrSelf<MemberDeclarationSyntax>(m => m is BaseMethodDeclarationSyntax or PropertyDeclarationSyntax or FieldDeclarationSyntax);

            if (member is not null)
            {
                var local = member.DescendantNodes().OfType<VariableDeclaratorSyntax>()
                    .FirstOrDefault(v => v.Identifier.ValueText == name && v.SpanStart < identifier.SpanStart && v.Initializer is not null);
                if (local is not null)
                {
                    return AssignedOnce(member, name) ? TryEvaluate(local.Initializer!.Value, depth + 1) : null;
                }

                if (member is MethodDeclarationSyntax method)
                {
                    var index = method.ParameterList.Parameters.IndexOf(p => p.Identifier.ValueText == name);
                    if (index >= 0)
                    {
                        return HasInlineData(method) ? InlineDataValues(method, index) : CallSiteValues(method, index, depth);
                    }
                }
            }

            var field = tree.GetRoot().DescendantNodes().OfType<FieldDeclarationSyntax>()
                .SelectMany(f => f.Declaration.Variables)
                .Where(v => v.Identifier.ValueText == name && v.Initializer is not null)
                .ToList();
            return field.Count == 1 ? TryEvaluate(field[0].Initializer!.Value, depth + 1) : null;
        }

        /// <summary>Whether the local <paramref name="name"/> is never assigned after its declaration (so its initializer is its value).</summary>
        private static bool AssignedOnce(SyntaxNode member, string name) =>
            !member.DescendantNodes().OfType<AssignmentExpressionSyntax>()
                .Any(a => a.Left is IdentifierNameSyntax left && left.Identifier.ValueText == name);

        /// <summary>A helper's parameter: its argument at every call of the helper in the file (positional arguments only).</summary>
        private List<string>? CallSiteValues(MethodDeclarationSyntax method, int index, int depth)
        {
            var values = new List<string>();
            foreach (var call in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (call.Expression is not IdentifierNameSyntax callee || callee.Identifier.ValueText != method.Identifier.ValueText)
                {
                    continue;
                }

                var argument = call.ArgumentList.Arguments.ElementAtOrDefault(index);
                if (argument is null || argument.NameColon is not null || TryEvaluate(argument.Expression, depth + 1) is not { } argumentValues)
                {
                    return null;
                }

                values.AddRange(argumentValues);
            }

            return values.Count > 0 ? values : null;
        }

        private static bool HasInlineData(MethodDeclarationSyntax method) =>
            method.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "InlineData" or "InlineDataAttribute" or "Xunit.InlineData");

        private static List<string>? InlineDataValues(MethodDeclarationSyntax method, int index)
        {
            var values = new List<string>();
            foreach (var attribute in method.AttributeLists.SelectMany(l => l.Attributes))
            {
                if (attribute.Name.ToString() is not ("InlineData" or "InlineDataAttribute" or "Xunit.InlineData"))
                {
                    continue;
                }

                var argument = attribute.ArgumentList?.Arguments.ElementAtOrDefault(index);
                if (argument?.Expression is not LiteralExpressionSyntax literal || !literal.IsKind(SyntaxKind.StringLiteralExpression))
                {
                    return null;
                }

                values.Add(literal.Token.ValueText);
            }

            return values.Count > 0 ? values : null;
        }
    }
}
