using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Microsoft.CodeAnalysis.Testing;

/// <summary>
/// Finds out whether an analyzer asks to report diagnostics in generated code, by running its
/// <see cref="DiagnosticAnalyzer.Initialize"/> against a context that only records that request. Such an analyzer
/// is exempt from the generated-code re-run (its diagnostics are supposed to stay), like in roslyn-sdk.
/// </summary>
internal static class GeneratedCodeConfiguration
{
    public static bool ReportsInGeneratedCode(DiagnosticAnalyzer analyzer)
    {
        var context = new RecordingAnalysisContext();
        try
        {
            analyzer.Initialize(context);
        }
        catch (Exception)
        {
            // An analyzer that cannot initialize here is judged by its diagnostics instead; keep the check on.
            return false;
        }

        return context.Flags is { } flags && flags.HasFlag(GeneratedCodeAnalysisFlags.ReportDiagnostics);
    }

    /// <summary>Accepts every registration and ignores it, except the generated-code configuration.</summary>
    private sealed class RecordingAnalysisContext : AnalysisContext
    {
        public GeneratedCodeAnalysisFlags? Flags { get; private set; }

        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => Flags = analysisMode;

        public override void EnableConcurrentExecution()
        {
        }

        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action)
        {
        }

        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action)
        {
        }

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action)
        {
        }

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds)
        {
        }

        public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind)
        {
        }

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action)
        {
        }

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action)
        {
        }

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action)
        {
        }

        public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action)
        {
        }

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds)
        {
        }

        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action)
        {
        }

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action)
        {
        }

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds)
        {
        }
    }
}
