using System.Collections.Immutable;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Conditions;

/// <summary>
/// What every span in a result of a span-filter query must satisfy, field by field, including what <c>||</c> implies:
/// <c>(resource.service.name = "a" || resource.service.name = "b") &amp;&amp; span.http.response.status_code &gt;= 500</c>
/// requires one of the two service names, and the status code. A store may drop a span that fails any group.
/// </summary>
public static class RequiredConditions
{
    /// <summary>
    /// The groups of conditions, each on one field (a field may have several groups), that every span of every result
    /// satisfies: at least one condition of each group holds for it. Empty when the query is not a pipeline of span filters (and <c>select()</c>), since
    /// its results may then hold spans that no one filter kept; see <see cref="QueryConditions"/> for those.
    /// </summary>
    public static IReadOnlyList<FieldConditions> Of(TraceQLQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var groups = new List<FieldConditions>();
        foreach (var stage in query.Expression.Pipeline.Stages)
        {
            switch (stage)
            {
                case SpansetFilter { Condition: { } condition }:
                    // Chained filters each keep a subset of the spans before them, so their requirements add up.
                    groups.AddRange(Required(condition));
                    break;
                case SpansetFilter or SelectStage:
                    break;
                default:
                    return [];
            }
        }

        return groups;
    }

    private static List<FieldConditions> Required(FieldExpression expression)
    {
        switch (expression)
        {
            case BinaryExpression { Operator: BinaryOperator.And } and:
                return [.. Required(and.Left), .. Required(and.Right)];
            case BinaryExpression { Operator: BinaryOperator.Or } or:
                // A span that passes either side satisfies, for a field both sides constrain, a group of each side.
                var right = Required(or.Right);
                return
                [
                    .. Required(or.Left)
                        .DistinctBy(l => l.Field)
                        .Select(l => (Left: l, Right: right.Find(r => r.Field.Equals(l.Field))))
                        .Where(pair => pair.Right is not null)
                        .Select(pair => new FieldConditions(pair.Left.Field, pair.Left.AnyOf.Concat(pair.Right!.AnyOf).Distinct().ToImmutableArray())),
                ];
            case BinaryExpression { Left: FieldReference field, Right: Literal literal } comparison when OperatorText.IsComparison(comparison.Operator):
                return One(field, ConditionExtractor.ToCondition(comparison.Operator), literal.Value);
            case BinaryExpression { Left: Literal literal, Right: FieldReference field } comparison when OperatorText.IsComparison(comparison.Operator):
                return One(field, ConditionExtractor.Flipped(comparison.Operator), literal.Value);
            default:
                return [];
        }
    }

    private static List<FieldConditions> One(FieldReference field, ConditionOperator op, TraceQLValue operand)
    {
        // A nil operand or a pattern on the field's side says nothing a store can check.
        if (op == ConditionOperator.None || operand.IsNil)
        {
            return [];
        }

        var normalized = ConditionExtractor.Normalized(field);
        return [new FieldConditions(normalized, ImmutableArray.Create(new Condition(normalized, op, operand)))];
    }
}

/// <summary>Conditions on one field of which every result span satisfies at least one.</summary>
/// <param name="Field">The field, as in <see cref="Condition.Field"/>.</param>
/// <param name="AnyOf">The alternatives, once each.</param>
public sealed record FieldConditions(FieldReference Field, EquatableArray<Condition> AnyOf);
