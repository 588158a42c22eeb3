using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>
/// <c>avg</c>, <c>min</c>, <c>max</c> and <c>sum</c> over the numeric values of a span set; spans without one are skipped,
/// and a span set with none has no value, so any comparison with it is false, as in Tempo.
/// </summary>
internal static class Aggregates
{
    public static TraceQLValue Of(AggregateFunction function, IEnumerable<TraceQLValue> values)
    {
        var numbers = values.Where(v => v.IsNumeric).ToList();
        if (numbers.Count == 0)
        {
            return TraceQLValue.Nil;
        }

        return function switch
        {
            AggregateFunction.Min => numbers.MinBy(v => v.AsDouble()),
            AggregateFunction.Max => numbers.MaxBy(v => v.AsDouble()),
            AggregateFunction.Sum => Sum(numbers),
            AggregateFunction.Avg when numbers.All(v => v.Type == TraceQLType.Duration) =>
                TraceQLValue.Duration((long)Math.Round(numbers.Average(v => (decimal)v.AsDurationNanoseconds()))),
            AggregateFunction.Avg => TraceQLValue.Float(numbers.Average(v => v.AsDouble())),
            _ => TraceQLValue.Int(numbers.Count),
        };
    }

    private static TraceQLValue Sum(List<TraceQLValue> numbers)
    {
        if (numbers.All(v => v.Type == TraceQLType.Int))
        {
            return TraceQLValue.Int(numbers.Aggregate(0L, (sum, v) => unchecked(sum + v.AsInt())));
        }

        if (numbers.All(v => v.Type == TraceQLType.Duration))
        {
            return TraceQLValue.Duration(numbers.Aggregate(0L, (sum, v) => unchecked(sum + v.AsDurationNanoseconds())));
        }

        return TraceQLValue.Float(numbers.Sum(v => v.AsDouble()));
    }
}
