using System.Collections.Immutable;
using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Conditions;
using OtelStorage.TraceQL.Evaluation;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;

namespace Query.Api.Search;

/// <summary>
/// Turns a TraceQL query's pushdown conditions into the <see cref="SpanQuery"/> that finds candidate spans. Only what
/// is exact goes into the column conditions (service, name, status, kind, duration and the promoted HTTP and database
/// attributes: sets of values from <c>=</c> and <c>||</c>, patterns, <c>!=</c>, ranges), and only what every result
/// span must satisfy; the rest runs as <see cref="SpanQuery.Filter"/> on each decoded span, and what needs the whole
/// trace is left to the evaluator.
/// </summary>
public static class TraceQLPushdown
{
    /// <summary>
    /// The candidate-span query for <paramref name="query"/> within the time range and limits of <paramref name="range"/>.
    /// Every span that can appear in a result of the query satisfies it.
    /// </summary>
    public static SpanQuery Apply(TraceQLQuery query, SpanQuery range)
    {
        var conditions = query.Conditions;
        if (!conditions.NeedsWholeTrace)
        {
            // A span filter decides each span alone: a span is in a result exactly when the query keeps it on its own.
            return Promote(query, range) with { Filter = span => query.Evaluate(Single(span)).Count > 0 };
        }

        if (!conditions.AllConditions)
        {
            return range;
        }

        var perSpan = conditions.Items
            .Where(c => c.Operator != ConditionOperator.None && !(c.Field is IntrinsicReference i && Intrinsics.NeedsWholeTrace(i.Intrinsic)))
            .Select(AsSpanFilter)
            .OfType<TraceQLQuery>()
            .ToList();
        var promoted = Promote(query, range);
        return perSpan.Count == 0 ? promoted : promoted with
        {
            Filter = span =>
            {
                var single = Single(span);
                return perSpan.TrueForAll(f => f.Evaluate(single).Count > 0);
            },
        };
    }

    private static TraceData Single(StoredSpan span) => new() { TraceId = span.Span.TraceId.ToByteArray(), Spans = [TraceQLAdapter.ToTraceSpan(span)] };

    // One condition as a span filter of its own, so it runs with exactly the evaluator's semantics (events and links
    // bind one at a time, unscoped names fall back to the resource). A condition that does not print back as a valid
    // filter is left out: fewer filters only mean more candidates.
    private static TraceQLQuery? AsSpanFilter(Condition condition)
    {
        try
        {
            return TraceQLQuery.Parse("{ " + condition + " }");
        }
        catch (TraceQLParseException)
        {
            return null;
        }
    }

    private static SpanQuery Promote(TraceQLQuery query, SpanQuery range)
    {
        var conditions = query.Conditions;
        // A span filter says, through ||, which values a field may take; otherwise only a conjunction says anything.
        IReadOnlyList<FieldConditions> groups = !conditions.NeedsWholeTrace ? RequiredConditions.Of(query)
            : conditions.AllConditions ? [.. conditions.Items.Where(c => c.Operator != ConditionOperator.None).Select(c => new FieldConditions(c.Field, ImmutableArray.Create(c)))]
            : [];
        var q = range;
        var predicates = new List<ColumnPredicate>();
        foreach (var group in groups)
        {
            if (group.AnyOf.Count == 1 && Exact(q, group.AnyOf[0]) is { } exact)
            {
                q = exact;
            }
            else if (ColumnOf(group.Field) is { } column && Predicate(column, group) is { } predicate)
            {
                predicates.Add(predicate);
            }
        }

        return predicates.Count == 0 ? q : q with { Predicates = [.. q.Predicates, .. predicates] };
    }

    /// <summary>The query with one condition as an exact-value property, which also lets whole blocks be skipped by their service and operation lists.</summary>
    private static SpanQuery? Exact(SpanQuery q, Condition c)
    {
        var operand = c.Operand;
        return c.Field switch
        {
            AttributeReference { Scope: AttributeScope.Resource, Name: "service.name" } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.String =>
                q with { Service = operand.AsString() },
            IntrinsicReference { Intrinsic: Intrinsic.Name } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.String =>
                q with { SpanName = operand.AsString() },
            IntrinsicReference { Intrinsic: Intrinsic.Status } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.Status =>
                q with { StatusCode = (int)operand.AsStatus() },
            IntrinsicReference { Intrinsic: Intrinsic.Kind } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.Kind =>
                q with { Kind = (int)operand.AsKind() },
            IntrinsicReference { Intrinsic: Intrinsic.Duration } when operand.Type is TraceQLType.Duration or TraceQLType.Int =>
                Duration(q, c.Operator, operand.Type == TraceQLType.Duration ? operand.AsDurationNanoseconds() : operand.AsInt()),
            _ => null,
        };
    }

    /// <summary>
    /// The column that holds exactly what a TraceQL field reads, for the spans that have it. Span attributes map only
    /// from a column's first key (storage keeps the older key's value when the span lacks the first); an unscoped name
    /// only to a column of one key, since the span lacking it then holds the empty value, which the predicate admits.
    /// </summary>
    private static (SpanColumn Column, bool Unscoped)? ColumnOf(FieldReference field) => field switch
    {
        IntrinsicReference { Intrinsic: Intrinsic.Name } => (SpanColumn.Name, false),
        IntrinsicReference { Intrinsic: Intrinsic.Status } => (SpanColumn.Status, false),
        IntrinsicReference { Intrinsic: Intrinsic.Kind } => (SpanColumn.Kind, false),
        IntrinsicReference { Intrinsic: Intrinsic.Duration } => (SpanColumn.Duration, false),
        AttributeReference { Scope: AttributeScope.Resource, Name: "service.name" } => (SpanColumn.Service, false),
        AttributeReference { Scope: AttributeScope.Span, Name: "http.request.method" } => (SpanColumn.HttpMethod, false),
        AttributeReference { Scope: AttributeScope.Span, Name: "http.response.status_code" } => (SpanColumn.HttpStatusCode, false),
        AttributeReference { Scope: AttributeScope.Span, Name: "http.route" } => (SpanColumn.HttpRoute, false),
        AttributeReference { Scope: AttributeScope.None, Name: "http.route" } => (SpanColumn.HttpRoute, true),
        AttributeReference { Scope: AttributeScope.Span, Name: "db.system.name" } => (SpanColumn.DbSystem, false),
        _ => null,
    };

    /// <summary>The column condition that every span satisfying one of the group's conditions passes, or null when there is none worth checking.</summary>
    private static ColumnPredicate? Predicate((SpanColumn Column, bool Unscoped) target, FieldConditions group)
    {
        var (column, unscoped) = target;
        var conditions = group.AnyOf;
        if (ColumnPredicate.IsString(column))
        {
            // Comparisons of strings by order, or with a value of another type, are left to the span filter.
            if (!conditions.All(c => c.Operand.Type == TraceQLType.String && c.Operator is ConditionOperator.Equal or ConditionOperator.NotEqual or ConditionOperator.Regex or ConditionOperator.NotRegex))
            {
                return null;
            }

            if (conditions.All(c => c.Operator == ConditionOperator.Equal))
            {
                var values = conditions.Select(c => c.Operand.AsString());
                return ColumnPredicate.AnyOf(column, unscoped ? values.Append("") : values);
            }

            return ColumnPredicate.Matching(column, value => (unscoped && value.Length == 0) || conditions.Any(c => Passes(c, value)));
        }

        // Integer columns: status and kind by enum, duration by duration or integer, the HTTP status code by integer.
        var numbers = new List<(ConditionOperator Op, long Value)>();
        foreach (var c in conditions)
        {
            long? value = (column, c.Operand.Type) switch
            {
                (SpanColumn.Status, TraceQLType.Status) => (long)c.Operand.AsStatus(),
                (SpanColumn.Kind, TraceQLType.Kind) => (long)c.Operand.AsKind(),
                (SpanColumn.Duration, TraceQLType.Duration) => c.Operand.AsDurationNanoseconds(),
                (SpanColumn.Duration or SpanColumn.HttpStatusCode, TraceQLType.Int) => c.Operand.AsInt(),
                _ => null,
            };
            if (value is not { } v || c.Operator is not (ConditionOperator.Equal or ConditionOperator.Greater or ConditionOperator.GreaterOrEqual or ConditionOperator.Less or ConditionOperator.LessOrEqual)
                || (column is SpanColumn.Status or SpanColumn.Kind && c.Operator != ConditionOperator.Equal))
            {
                return null;
            }

            numbers.Add((c.Operator, v));
        }

        if (numbers.TrueForAll(n => n.Op == ConditionOperator.Equal))
        {
            return ColumnPredicate.AnyOf(column, numbers.Select(n => n.Value));
        }

        // Several ranges or values: the smallest range that holds them all.
        var min = numbers.Min(n => n.Op switch
        {
            ConditionOperator.Greater => n.Value == long.MaxValue ? long.MaxValue : n.Value + 1,
            ConditionOperator.GreaterOrEqual or ConditionOperator.Equal => n.Value,
            _ => long.MinValue,
        });
        var max = numbers.Max(n => n.Op switch
        {
            ConditionOperator.Less => n.Value == long.MinValue ? long.MinValue : n.Value - 1,
            ConditionOperator.LessOrEqual or ConditionOperator.Equal => n.Value,
            _ => long.MaxValue,
        });
        return ColumnPredicate.Between(column, min, max);
    }

    // The evaluator's own comparison; a pattern that runs out of time keeps the row, for the span filter to decide.
    private static bool Passes(Condition condition, string value)
    {
        try
        {
            return condition.Matches(TraceQLValue.String(value));
        }
        catch (TraceQLEvaluationException)
        {
            return true;
        }
    }

    private static SpanQuery Duration(SpanQuery q, ConditionOperator op, long nanos)
    {
        long? min = op switch
        {
            ConditionOperator.Greater when nanos < long.MaxValue => nanos + 1,
            ConditionOperator.GreaterOrEqual or ConditionOperator.Equal => nanos,
            _ => null,
        };
        long? max = op switch
        {
            ConditionOperator.Less when nanos > long.MinValue => nanos - 1,
            ConditionOperator.LessOrEqual or ConditionOperator.Equal => nanos,
            _ => null,
        };
        // The tightest of several bounds; negative bounds say nothing about durations, which are never negative here.
        if (min is { } lo && lo > 0)
        {
            q = q with { MinDurationNanos = Math.Max(q.MinDurationNanos ?? 0, lo) };
        }

        if (max is { } hi)
        {
            q = q with { MaxDurationNanos = Math.Max(0, Math.Min(q.MaxDurationNanos ?? long.MaxValue, hi)) };
        }

        return q;
    }
}
