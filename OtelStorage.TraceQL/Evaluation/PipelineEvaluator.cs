using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>
/// Runs a pipeline over one trace as Tempo's engine does: the first stage receives one span set holding every span,
/// each stage maps span sets to span sets, and an empty result ends the pipeline.
/// </summary>
internal sealed class PipelineEvaluator(CompiledQuery query, TraceIndex trace)
{
    private readonly FieldEvaluator _fields = new(query, trace);

    public List<Spanset> Evaluate(Pipeline pipeline, List<Spanset> input)
    {
        foreach (var stage in pipeline.Stages)
        {
            input = EvaluateStage(stage, input);
            if (input.Count == 0)
            {
                break;
            }
        }

        return input;
    }

    private List<Spanset> EvaluateStage(PipelineStage stage, List<Spanset> input) => stage switch
    {
        SpansetFilter filter => Filter(filter, input),
        SpansetOperation operation => Operate(operation, input),
        Pipeline pipeline => Evaluate(pipeline, input),
        ScalarFilter filter => FilterByScalar(filter, input),
        GroupStage group => Group(group, input),
        CoalesceStage => input.Count == 0 ? input : [new Spanset(Spanset.UnionOfSpans(input), [])],
        SelectStage => input,
        _ => throw new NotSupportedException($"the pipeline stage {stage} is not supported yet"),
    };

    private List<Spanset> Filter(SpansetFilter filter, List<Spanset> input)
    {
        if (filter.Condition is null)
        {
            return input;
        }

        var output = new List<Spanset>(input.Count);
        var use = query.ScopeUseOf(filter.Condition);
        foreach (var set in input)
        {
            var matching = new List<int>();
            foreach (var span in set.Spans)
            {
                if (_fields.Matches(filter.Condition, use, span))
                {
                    matching.Add(span);
                }
            }

            if (matching.Count > 0)
            {
                output.Add(new Spanset(matching, set.Attributes));
            }
        }

        return output;
    }

    private List<Spanset> Operate(SpansetOperation operation, List<Spanset> input)
    {
        var output = new List<Spanset>();
        foreach (var set in input)
        {
            var left = EvaluateStage(operation.Left, [set]);
            var right = EvaluateStage(operation.Right, [set]);
            IReadOnlyList<int> spans = operation.Operator switch
            {
                SpansetOperator.And when left.Count > 0 && right.Count > 0 => Spanset.UnionOfSpans([.. left, .. right]),
                SpansetOperator.And => [],
                SpansetOperator.Union => Spanset.UnionOfSpans([.. left, .. right]),
                _ when right.Count == 0 => [],
                _ => StructuralJoin.Join(operation.Operator, trace, Spanset.UnionOfSpans(left), Spanset.UnionOfSpans(right)),
            };
            if (spans.Count > 0)
            {
                output.Add(new Spanset(spans, set.Attributes));
            }
        }

        return output;
    }

    private List<Spanset> FilterByScalar(ScalarFilter filter, List<Spanset> input)
    {
        var output = new List<Spanset>();
        foreach (var set in input)
        {
            var attributes = set.Attributes.ToList();
            var contributed = new List<Spanset>();
            var left = Scalar(filter.Left, set, attributes, contributed);
            var right = Scalar(filter.Right, set, attributes, contributed);
            if (!ValueOperations.Compare(filter.Operator, left, right, _ => null))
            {
                continue;
            }

            // A comparison of pipelines, such as ({ a } | count()) > ({ b } | count()), returns the spans those pipelines found.
            var spans = contributed.Count > 0 ? Spanset.UnionOfSpans(contributed) : set.Spans;
            if (spans.Count > 0)
            {
                output.Add(new Spanset(spans, attributes));
            }
        }

        return output;
    }

    private TraceQLValue Scalar(ScalarExpression scalar, Spanset set, List<SpansetAttribute> attributes, List<Spanset> contributed)
    {
        switch (scalar)
        {
            case ScalarLiteral literal:
                return literal.Value;
            case AggregateExpression aggregate:
                return Aggregate(aggregate, set.Spans, attributes);
            case ScalarBinaryExpression binary:
                return ValueOperations.Arithmetic(binary.Operator, Scalar(binary.Left, set, attributes, contributed), Scalar(binary.Right, set, attributes, contributed));
            case PipelineAggregate pipeline:
                var found = Evaluate(pipeline.Source, [set]);
                contributed.AddRange(found);
                return Aggregate(pipeline.Aggregate, Spanset.UnionOfSpans(found), attributes);
            default:
                return TraceQLValue.Nil;
        }
    }

    private TraceQLValue Aggregate(AggregateExpression aggregate, IReadOnlyList<int> spans, List<SpansetAttribute> attributes)
    {
        var value = TraceQLValue.Int(spans.Count);
        if (aggregate.Argument is { } argument)
        {
            var use = query.ScopeUseOf(argument);
            value = Aggregates.Of(aggregate.Function, spans.Select(span => _fields.ValueOf(argument, use, span)));
        }

        if (!value.IsNil)
        {
            attributes.Add(new SpansetAttribute(aggregate.ToString(), value));
        }

        return value;
    }

    private List<Spanset> Group(GroupStage group, List<Spanset> input)
    {
        var name = group.ToString();
        var use = query.ScopeUseOf(group.Expression);
        var output = new List<Spanset>();
        foreach (var set in input)
        {
            var groups = new Dictionary<TraceQLValue, List<int>>();
            var order = new List<TraceQLValue>();
            foreach (var span in set.Spans)
            {
                var value = _fields.ValueOf(group.Expression, use, span);
                if (!groups.TryGetValue(value, out var members))
                {
                    groups[value] = members = [];
                    order.Add(value);
                }

                members.Add(span);
            }

            output.AddRange(order.Select(value => new Spanset(groups[value], [.. set.Attributes, new SpansetAttribute(name, value)])));
        }

        return output;
    }
}
