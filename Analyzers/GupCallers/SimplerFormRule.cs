using System.Collections.Generic;
using System.Linq;
using FaultLine.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace FaultLine.Analyzers.GupCallers;

/// <summary>
/// FL1008, two suggestions that keep the meaning (Andrea Arcangeli's get_user_pages_locked/unlocked RFC, 2014):
/// <list type="bullet">
/// <item><c>mm.MmapReadLock(); GetUserPages(mm, ...); mm.MmapReadUnlock();</c> as three consecutive statements:
/// use <c>GetUserPagesUnlocked</c>. Only when the flags are known and have no Interruptible (which the unlocked form
/// would start to honour) and the other arguments need no lock (no calls, no VMA fields).</item>
/// <item><c>GetUserPagesUnlocked(KernelTask.Current.Mm, ...)</c>: use <c>GetUserPagesFast</c>. Only when the flags
/// are known and all accepted by the fast form (rule 24: no Interruptible, no Nowait) and a pages array is passed.</item>
/// </list>
/// </summary>
internal sealed class SimplerFormRule : IGupRule
{
    public void Analyze(GupMethodFacts facts, Reporter reporter)
    {
        foreach (var call in facts.Calls)
        {
            switch (call.Api.Form)
            {
                case GupForm.Plain:
                    CheckLockAround(call, facts, reporter);
                    break;
                case GupForm.Unlocked:
                    CheckCurrentMm(call, facts, reporter);
                    break;
            }
        }
    }

    private static void CheckLockAround(GupCallSite call, GupMethodFacts facts, Reporter reporter)
    {
        var symbols = facts.Symbols;
        if (call.MmArgument is null || symbols.FollInterruptible is not { } interruptible
            || !call.Flags.NoneHaveAnyOf(interruptible)
            || !IsSimpleMm(call.MmArgument.Value)
            || call.Invocation.Arguments.Any(argument => !NeedsNoLock(argument.Value, symbols)))
        {
            return;
        }

        if (EnclosingStatement(call.Syntax) is not { Parent: BlockSyntax block } statement)
        {
            return;
        }

        var index = block.Statements.IndexOf(statement);
        if (index <= 0 || index + 1 >= block.Statements.Count)
        {
            return;
        }

        var model = facts.Model;
        var before = block.Statements[index - 1];
        var after = block.Statements[index + 1];
        if (!IsMmapLockCall(before, model, call.MmArgument.Value, symbols, unlock: false)
            || !IsMmapLockCall(after, model, call.MmArgument.Value, symbols, unlock: true))
        {
            return;
        }

        var replacement = call.Api.NameOf(GupForm.Unlocked);
        reporter.Report(Diagnostic.Create(
            Descriptors.FL1008SimplerFormAvailable,
            call.Syntax.GetLocation(),
            new[] { before.GetLocation(), after.GetLocation() },
            FlagText.Properties(
                (Descriptors.Properties.Method, call.Api.Name),
                (Descriptors.Properties.Replacement, replacement),
                (Descriptors.Properties.Kind, Descriptors.Properties.LockAroundCall)),
            $"The mmap read lock is taken and released around a single '{call.Api.Name}' call",
            replacement));
    }

    private static void CheckCurrentMm(GupCallSite call, GupMethodFacts facts, Reporter reporter)
    {
        var symbols = facts.Symbols;
        if (call.MmArgument is null || call.Pages is null || call.Pages.ConstantValue is { HasValue: true, Value: null }
            || !call.Flags.AllWithin(symbols.FastAllowedFlags)
            || !IsCurrentMm(call.MmArgument.Value, facts))
        {
            return;
        }

        var replacement = call.Api.NameOf(GupForm.Fast);
        reporter.Report(Diagnostic.Create(
            Descriptors.FL1008SimplerFormAvailable,
            call.Syntax.GetLocation(),
            FlagText.Properties(
                (Descriptors.Properties.Method, call.Api.Name),
                (Descriptors.Properties.Replacement, replacement),
                (Descriptors.Properties.Kind, Descriptors.Properties.CurrentMm)),
            $"'{call.Api.Name}' is called on the current task's mm",
            replacement));
    }

    /// <summary>The statement a GUP call is the whole value of: <c>Gup.X(...);</c>, <c>ret = Gup.X(...);</c>, <c>var ret = Gup.X(...);</c>.</summary>
    private static StatementSyntax? EnclosingStatement(SyntaxNode invocation) => invocation.Parent switch
    {
        ExpressionStatementSyntax statement => statement,
        AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax statement } => statement,
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement } } } => statement,
        _ => null,
    };

    /// <summary><c>mm.MmapReadLock();</c> / <c>mm.MmapLock.DownRead();</c> (or the unlocks) on the same mm.</summary>
    private static bool IsMmapLockCall(StatementSyntax statement, SemanticModel? model, IOperation mm, KnownSymbols symbols, bool unlock)
    {
        if (model is null || statement is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax expression }
            || model.GetOperation(expression) is not IInvocationOperation { Instance: { } instance } invocation)
        {
            return false;
        }

        var method = invocation.TargetMethod;
        if (symbols.IsMethod(method, unlock ? symbols.MmapReadUnlock : symbols.MmapReadLock))
        {
            return Comparisons.SameValueSource(instance, mm);
        }

        return symbols.RwSemaphore is not null
            && SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.RwSemaphore)
            && method.Name == (unlock ? "UpRead" : "DownRead")
            && instance is IPropertyReferenceOperation { Property.Name: "MmapLock", Instance: { } owner }
            && Comparisons.SameValueSource(owner, mm);
    }

    /// <summary>A local, parameter, field or property chain (<c>ram.Mm</c>): the lock calls name the same mm.</summary>
    private static bool IsSimpleMm(IOperation mm) => Comparisons.StripConversions(mm) switch
    {
        ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation => true,
        IFieldReferenceOperation field => field.Instance is null || IsSimpleMm(field.Instance),
        IPropertyReferenceOperation { Arguments.IsEmpty: true } property => property.Instance is null || IsSimpleMm(property.Instance),
        _ => false,
    };

    /// <summary>An argument that can be evaluated without the mmap lock: no calls, no VMA fields.</summary>
    private static bool NeedsNoLock(IOperation argument, KnownSymbols symbols)
    {
        foreach (var operation in argument.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IInvocationOperation:
                case IFlowCaptureReferenceOperation:
                    return false;
                case IMemberReferenceOperation { Instance.Type: { } type } when SymbolEqualityComparer.Default.Equals(type, symbols.VmAreaStruct):
                    return false;
            }
        }

        return true;
    }

    /// <summary><c>KernelTask.Current.Mm</c>, directly or through a local assigned from it once and never again.</summary>
    private static bool IsCurrentMm(IOperation mm, GupMethodFacts facts)
    {
        mm = Comparisons.StripConversions(mm);
        if (IsCurrentMmExpression(mm, facts.Symbols))
        {
            return true;
        }

        if (mm is not ILocalReferenceOperation { Local: var local } || local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } declarator)
        {
            return false;
        }

        // KernelTask.Current.Mm! : the null-forgiving operator has no operation of its own.
        while (initializer is PostfixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression } forgiving)
        {
            initializer = forgiving.Operand;
        }

        var model = declarator.SyntaxTree == facts.Model?.SyntaxTree ? facts.Model : null;
        if (model?.GetOperation(initializer) is not { } value || !IsCurrentMmExpression(Comparisons.StripConversions(value), facts.Symbols))
        {
            return false;
        }

        // Never assigned again anywhere in the method (its lambdas included).
        var body = declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>();
        if (body is null)
        {
            return false;
        }

        foreach (var name in body.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (name.Identifier.ValueText == local.Name && IsWrittenName(name))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsWrittenName(IdentifierNameSyntax name) => name.Parent switch
    {
        AssignmentExpressionSyntax assignment => assignment.Left == name,
        ArgumentSyntax argument => !argument.RefKindKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.None),
        PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax => true,
        _ => false,
    };

    private static bool IsCurrentMmExpression(IOperation operation, KnownSymbols symbols) =>
        operation is IPropertyReferenceOperation { Instance: IPropertyReferenceOperation { Instance: null } current } mm
        && SymbolEqualityComparer.Default.Equals(mm.Property.OriginalDefinition, symbols.KernelTaskMm)
        && SymbolEqualityComparer.Default.Equals(current.Property.OriginalDefinition, symbols.KernelTaskCurrent);
}
