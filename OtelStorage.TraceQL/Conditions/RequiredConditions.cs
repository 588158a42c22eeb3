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
    /// The groups of conditions, each on one field, that every span of every result satisfies: at least one condition
    /// of each group holds for it. Empty when the query is not a pipeline of span filters (and <c>select()</c>), since
    /// its results may then hold spans that no one filter kept; see <see cref="QueryConditions"/> for those.
    /// </summary>
    public static IReadOnlyList<FieldConditions> Of(TraceQLQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var groups = new Dictionary<FieldReference, List<Condition>>();
        foreach (var stage in query.Expression.Pipeline.Stages)
        {
            switch (stage)
            {
                case SpansetFilter { Condition: { } condition }:
                    // Chained filters each keep a subset of the spans before them, so their requirements add up.
                    foreach (var (field, alternatives) in Required(condition))
                    {
                        if (groups.TryGetValue(field, out var existing))
                        {
                            // Two requirements on one field both hold; keeping either is enough for a store.
                            groups[field] = alternatives.Count < existing.Count ? alternatives : existing;
                        }
                        else
                        {
                            groups[field] = alternatives;
                        }
                    }

                    break;
                case SpansetFilter or SelectStage:
                    break;
                default:
                    return [];
            }
        }

        return [.. groups.Select(g => new FieldConditions(g.Key, g.Value.ToImmutableArray()))];
    }

    private static Dictionary<FieldReference, List<Condition>> Required(FieldExpression expression)
    {
        switch (expression)
        {
            case BinaryExpression { Operator: BinaryOperator.And } and:
                var both = Required(and.Left);
                foreach (var (field, alternatives) in Required(and.Right))
                {
                    both[field] = both.TryGetValue(field, out var left) && left.Count < alternatives.Count ? left : alternatives;
                }

                return both;
            case BinaryExpression { Operator: BinaryOperator.Or } or:
                // A span that passes either side satisfies, for a field both sides constrain, one of the two groups.
                var right = Required(or.Right);
                return Required(or.Left)
                    .Where(l => right.ContainsKey(l.Key))
                    .ToDictionary(l => l.Key, l => l.Value.Concat(right[l.Key]).Distinct().ToList());
            case BinaryExpression { Left: FieldReference field, Right: Literal literal } comparison when OperatorText.IsComparison(comparison.Operator):
                return One(field, ConditionExtractor.ToCondition(comparison.Operator), literal.Value);
            case BinaryExpression { Left: Literal literal, Right: FieldReference field } comparison when OperatorText.IsComparison(comparison.Operator):
                return One(field, ConditionExtractor.Flipped(comparison.Operator), literal.Value);
            default:
                return [];
        }
    }

    private static Dictionary<FieldReference, List<Condition>> One(FieldReference field, ConditionOperator op, TraceQLValue operand)
    {
        // A nil operand or a pattern on the field's side says nothing a store can check.
        if (op == ConditionOperator.None || operand.IsNil)
        {
            return [];
        }

        var normalized = ConditionExtractor.Normalized(field);
        return new() { [normalized] = [new Condition(normalized, op, operand)] };
    }
}

/// <summary>Conditions on one field of which every result span satisfies at least one.</summary>
/// <param name="Field">The field, as in <see cref="Condition.Field"/>.</param>
/// <param name="AnyOf">The alternatives, once each.</param>
public sealed record FieldConditions(FieldReference Field, EquatableArray<Condition> AnyOf);
