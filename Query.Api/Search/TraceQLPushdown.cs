using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Conditions;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;

namespace Query.Api.Search;

/// <summary>
/// Turns a TraceQL query's pushdown conditions into the <see cref="SpanQuery"/> that finds candidate spans. Only what
/// is exact goes into the promoted filters (service, name, status, kind, duration), and only when every result span
/// must satisfy every condition; the rest runs as <see cref="SpanQuery.Filter"/> on each decoded span, and what needs
/// the whole trace is left to the evaluator.
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
            return Promote(conditions, range) with { Filter = span => query.Evaluate(Single(span)).Count > 0 };
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
        var promoted = Promote(conditions, range);
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

    private static SpanQuery Promote(QueryConditions conditions, SpanQuery range)
    {
        if (!conditions.AllConditions)
        {
            return range;
        }

        var q = range;
        foreach (var c in conditions.Items)
        {
            var operand = c.Operand;
            switch (c.Field)
            {
                case AttributeReference { Scope: AttributeScope.Resource, Name: "service.name" } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.String:
                    q = q with { Service = operand.AsString() };
                    break;
                case IntrinsicReference { Intrinsic: Intrinsic.Name } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.String:
                    q = q with { SpanName = operand.AsString() };
                    break;
                case IntrinsicReference { Intrinsic: Intrinsic.Status } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.Status:
                    q = q with { StatusCode = (int)operand.AsStatus() };
                    break;
                case IntrinsicReference { Intrinsic: Intrinsic.Kind } when c.Operator == ConditionOperator.Equal && operand.Type == TraceQLType.Kind:
                    q = q with { Kind = (int)operand.AsKind() };
                    break;
                case IntrinsicReference { Intrinsic: Intrinsic.Duration } when operand.Type is TraceQLType.Duration or TraceQLType.Int:
                    q = Duration(q, c.Operator, operand.Type == TraceQLType.Duration ? operand.AsDurationNanoseconds() : operand.AsInt());
                    break;
            }
        }

        return q;
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
