using System.Collections.Immutable;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Conditions;

/// <summary>
/// Walks a checked query as Tempo's <c>extractConditions</c> does, with two refinements: a literal on the left is turned
/// around (<c>500 &lt;= x</c> becomes <c>x &gt;= 500</c>), and fields under <c>!</c> or inside arithmetic become
/// <see cref="ConditionOperator.None"/>, so <see cref="QueryConditions.AllConditions"/> stays true only when it is.
/// </summary>
internal sealed class ConditionExtractor
{
    private readonly List<Condition> _items = [];
    private bool _allConditions = true;
    private bool _needsWholeTrace;

    public static QueryConditions Extract(QueryExpression query, ImmutableArray<FieldReference> selectFields)
    {
        var extractor = new ConditionExtractor();
        extractor.VisitPipeline(query.Pipeline);
        return new QueryConditions(extractor._items.ToImmutableArray(), extractor._allConditions, extractor._needsWholeTrace, selectFields);
    }

    private void VisitPipeline(Pipeline pipeline)
    {
        foreach (var stage in pipeline.Stages)
        {
            VisitStage(stage);
        }
    }

    private void VisitStage(PipelineStage stage)
    {
        switch (stage)
        {
            case SpansetFilter { Condition: { } condition }:
                VisitCondition(condition);
                break;
            case SpansetOperation operation:
                _allConditions = false;
                _needsWholeTrace = true;
                VisitStage(operation.Left);
                VisitStage(operation.Right);
                break;
            case Pipeline pipeline:
                VisitPipeline(pipeline);
                break;
            case ScalarFilter filter:
                _needsWholeTrace = true;
                VisitScalar(filter.Left);
                VisitScalar(filter.Right);
                break;
            case GroupStage group:
                _needsWholeTrace = true;
                AddFieldsOf(group.Expression);
                break;
            case CoalesceStage:
                _needsWholeTrace = true;
                break;
        }
    }

    private void VisitScalar(ScalarExpression scalar)
    {
        switch (scalar)
        {
            case AggregateExpression { Argument: { } argument }:
                AddFieldsOf(argument);
                break;
            case ScalarBinaryExpression binary:
                VisitScalar(binary.Left);
                VisitScalar(binary.Right);
                break;
            case PipelineAggregate aggregate:
                _allConditions = false;
                VisitPipeline(aggregate.Source);
                VisitScalar(aggregate.Aggregate);
                break;
        }
    }

    private void VisitCondition(FieldExpression condition)
    {
        switch (condition)
        {
            case BinaryExpression { Operator: BinaryOperator.And } and:
                VisitCondition(and.Left);
                VisitCondition(and.Right);
                break;
            case BinaryExpression { Operator: BinaryOperator.Or } or:
                _allConditions = false;
                VisitCondition(or.Left);
                VisitCondition(or.Right);
                break;
            case BinaryExpression { Left: FieldReference field, Right: Literal literal } comparison when OperatorText.IsComparison(comparison.Operator):
                Add(field, ToCondition(comparison.Operator), literal.Value);
                break;
            case BinaryExpression { Left: Literal literal, Right: FieldReference field } comparison when OperatorText.IsComparison(comparison.Operator):
                Add(field, Flipped(comparison.Operator), literal.Value);
                break;
            case UnaryExpression { Operator: UnaryOperator.Exists, Operand: FieldReference field }:
                Add(field, ConditionOperator.Exists, TraceQLValue.Nil);
                break;
            case UnaryExpression { Operator: UnaryOperator.NotExists, Operand: FieldReference field }:
                Add(field, ConditionOperator.NotExists, TraceQLValue.Nil);
                break;
            case FieldReference field:
                // A bare field joined by && or || means "is true", as Tempo rewrites it.
                Add(field, ConditionOperator.Equal, TraceQLValue.Bool(true));
                break;
            default:
                AddFieldsOf(condition);
                break;
        }
    }

    private void AddFieldsOf(FieldExpression expression)
    {
        switch (expression)
        {
            case FieldReference field:
                Add(field, ConditionOperator.None, TraceQLValue.Nil);
                break;
            case UnaryExpression unary:
                AddFieldsOf(unary.Operand);
                break;
            case BinaryExpression binary:
                AddFieldsOf(binary.Left);
                AddFieldsOf(binary.Right);
                break;
        }
    }

    /// <summary>The field as conditions hold it: intrinsics in their scoped spelling, no source position.</summary>
    internal static FieldReference Normalized(FieldReference field) =>
        field is IntrinsicReference intrinsic
            ? new IntrinsicReference(intrinsic.Intrinsic, Intrinsics.ScopedName(intrinsic.Intrinsic))
            : field with { Position = default };

    private void Add(FieldReference field, ConditionOperator op, TraceQLValue operand)
    {
        if (field is IntrinsicReference intrinsic)
        {
            _needsWholeTrace |= Intrinsics.NeedsWholeTrace(intrinsic.Intrinsic);
        }

        field = Normalized(field);
        var condition = new Condition(field, op, op == ConditionOperator.None ? TraceQLValue.Nil : operand);
        if (!_items.Contains(condition))
        {
            _items.Add(condition);
        }
    }

    internal static ConditionOperator ToCondition(BinaryOperator op) => op switch
    {
        BinaryOperator.Equal => ConditionOperator.Equal,
        BinaryOperator.NotEqual => ConditionOperator.NotEqual,
        BinaryOperator.Regex => ConditionOperator.Regex,
        BinaryOperator.NotRegex => ConditionOperator.NotRegex,
        BinaryOperator.Greater => ConditionOperator.Greater,
        BinaryOperator.GreaterOrEqual => ConditionOperator.GreaterOrEqual,
        BinaryOperator.Less => ConditionOperator.Less,
        _ => ConditionOperator.LessOrEqual,
    };

    /// <summary><c>literal op field</c> as <c>field op' literal</c>; a regular expression on the right is the field, which a store cannot push down.</summary>
    internal static ConditionOperator Flipped(BinaryOperator op) => op switch
    {
        BinaryOperator.Greater => ConditionOperator.Less,
        BinaryOperator.GreaterOrEqual => ConditionOperator.LessOrEqual,
        BinaryOperator.Less => ConditionOperator.Greater,
        BinaryOperator.LessOrEqual => ConditionOperator.GreaterOrEqual,
        BinaryOperator.Regex or BinaryOperator.NotRegex => ConditionOperator.None,
        _ => ToCondition(op),
    };
}
