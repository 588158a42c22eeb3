using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Evaluation;

/// <summary>
/// Evaluates field expressions on the spans of one trace. Event and link fields bind one event or link at a time: a
/// span matches a filter when some event (and some link) of it makes the whole condition true, so
/// <c>{ event:name = "exception" &amp;&amp; event.exception.type = "Timeout" }</c> needs one event with both.
/// </summary>
internal sealed class FieldEvaluator(CompiledQuery query, TraceIndex trace)
{
    private static readonly SpanEvent?[] NoEvent = [null];
    private static readonly SpanLink?[] NoLink = [null];

    /// <summary>True when <paramref name="condition"/>, which reads the scopes <paramref name="use"/>, holds for span <paramref name="span"/>.</summary>
    public bool Matches(FieldExpression condition, ScopeUse use, int span)
    {
        if (use == default)
        {
            return Evaluate(condition, new Binding(span, trace.Spans[span], null, null)).IsTrue;
        }

        foreach (var binding in Bindings(use, span))
        {
            if (Evaluate(condition, binding).IsTrue)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value of <paramref name="expression"/> on a span: for event and link fields, the first event or link that has one.</summary>
    public TraceQLValue ValueOf(FieldExpression expression, ScopeUse use, int span)
    {
        if (use == default)
        {
            return Evaluate(expression, new Binding(span, trace.Spans[span], null, null));
        }

        foreach (var binding in Bindings(use, span))
        {
            var value = Evaluate(expression, binding);
            if (!value.IsNil)
            {
                return value;
            }
        }

        return TraceQLValue.Nil;
    }

    private IEnumerable<Binding> Bindings(ScopeUse use, int index)
    {
        var span = trace.Spans[index];
        IReadOnlyList<SpanEvent?> events = use.Events && span.Events.Count > 0 ? (IReadOnlyList<SpanEvent?>)span.Events : NoEvent;
        IReadOnlyList<SpanLink?> links = use.Links && span.Links.Count > 0 ? (IReadOnlyList<SpanLink?>)span.Links : NoLink;
        foreach (var spanEvent in events)
        {
            foreach (var link in links)
            {
                yield return new Binding(index, span, spanEvent, link);
            }
        }
    }

    private TraceQLValue Evaluate(FieldExpression expression, in Binding binding) => expression switch
    {
        Literal literal => literal.Value,
        AttributeReference attribute => Attribute(attribute, binding),
        IntrinsicReference intrinsic => IntrinsicValue(intrinsic.Intrinsic, binding),
        UnaryExpression unary => Unary(unary, binding),
        BinaryExpression binary => Binary(binary, binding),
        _ => TraceQLValue.Nil,
    };

    private TraceQLValue Unary(UnaryExpression unary, in Binding binding)
    {
        var operand = Evaluate(unary.Operand, binding);
        return unary.Operator switch
        {
            UnaryOperator.Not => operand.Type == TraceQLType.Bool ? TraceQLValue.Bool(!operand.AsBool()) : TraceQLValue.Nil,
            UnaryOperator.Negate => ValueOperations.Negate(operand),
            UnaryOperator.Exists => TraceQLValue.Bool(!operand.IsNil),
            _ => TraceQLValue.Bool(operand.IsNil),
        };
    }

    private TraceQLValue Binary(BinaryExpression binary, in Binding binding)
    {
        // A field that is not a boolean, such as a missing attribute, counts as false on either side of && and ||.
        switch (binary.Operator)
        {
            case BinaryOperator.And:
                return TraceQLValue.Bool(Evaluate(binary.Left, binding).IsTrue && Evaluate(binary.Right, binding).IsTrue);
            case BinaryOperator.Or:
                return TraceQLValue.Bool(Evaluate(binary.Left, binding).IsTrue || Evaluate(binary.Right, binding).IsTrue);
        }

        var left = Evaluate(binary.Left, binding);
        var right = Evaluate(binary.Right, binding);
        if (OperatorText.IsArithmetic(binary.Operator))
        {
            return ValueOperations.Arithmetic(binary.Operator, left, right);
        }

        if (binary.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual && IsIdComparison(binary, left, right))
        {
            var same = string.Equals(HexId.Normalize(left.AsString()), HexId.Normalize(right.AsString()), StringComparison.Ordinal);
            return TraceQLValue.Bool(same == (binary.Operator == BinaryOperator.Equal));
        }

        var literalPattern = query.PatternOf(binary);
        return TraceQLValue.Bool(ValueOperations.Compare(binary.Operator, left, right, pattern => literalPattern ?? query.DynamicPattern(pattern)));
    }

    private static bool IsIdComparison(BinaryExpression binary, TraceQLValue left, TraceQLValue right) =>
        left.Type == TraceQLType.String && right.Type == TraceQLType.String
        && (binary.Left is IntrinsicReference l && Intrinsics.IsId(l.Intrinsic) || binary.Right is IntrinsicReference r && Intrinsics.IsId(r.Intrinsic));

    private static TraceQLValue Attribute(AttributeReference attribute, in Binding binding) => attribute.Scope switch
    {
        AttributeScope.Span => Find(binding.Span.Attributes, attribute.Name),
        AttributeScope.Resource => Find(binding.Span.ResourceAttributes, attribute.Name),
        AttributeScope.Event => binding.Event is null ? TraceQLValue.Nil : Find(binding.Event.Attributes, attribute.Name),
        AttributeScope.Link => binding.Link is null ? TraceQLValue.Nil : Find(binding.Link.Attributes, attribute.Name),
        AttributeScope.Instrumentation => Find(binding.Span.Scope.Attributes, attribute.Name),
        _ => Find(binding.Span.Attributes, attribute.Name) is { IsNil: false } spanValue ? spanValue : Find(binding.Span.ResourceAttributes, attribute.Name),
    };

    /// <summary>The value of the first attribute named <paramref name="key"/>; nil when there is none.</summary>
    internal static TraceQLValue Find(IReadOnlyList<KeyValue> attributes, string key)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            if (string.Equals(attributes[i].Key, key, StringComparison.Ordinal))
            {
                return attributes[i].Value;
            }
        }

        return TraceQLValue.Nil;
    }

    private TraceQLValue IntrinsicValue(Intrinsic intrinsic, in Binding binding)
    {
        var span = binding.Span;
        return intrinsic switch
        {
            Ast.Intrinsic.Duration => TraceQLValue.Duration(span.DurationNanos),
            Ast.Intrinsic.Name => TraceQLValue.String(span.Name),
            Ast.Intrinsic.Status => TraceQLValue.Status(span.Status),
            Ast.Intrinsic.StatusMessage => TraceQLValue.String(span.StatusMessage),
            Ast.Intrinsic.Kind => TraceQLValue.Kind(span.Kind),
            Ast.Intrinsic.ChildCount => TraceQLValue.Int(trace.ChildCount[binding.Index]),
            Ast.Intrinsic.SpanId => HexId.Value(span.SpanId),
            Ast.Intrinsic.ParentId => HexId.Value(span.ParentSpanId),
            Ast.Intrinsic.TraceId => HexId.Value(trace.Trace.TraceId.Length > 0 ? trace.Trace.TraceId : span.TraceId),
            Ast.Intrinsic.TraceDuration => TraceQLValue.Duration(trace.DurationNanos),
            Ast.Intrinsic.TraceRootName => trace.Root < 0 ? TraceQLValue.Nil : TraceQLValue.String(trace.Spans[trace.Root].Name),
            Ast.Intrinsic.TraceRootService => trace.Root < 0 ? TraceQLValue.Nil : Find(trace.Spans[trace.Root].ResourceAttributes, "service.name"),
            Ast.Intrinsic.EventName => binding.Event is null ? TraceQLValue.Nil : TraceQLValue.String(binding.Event.Name),
            Ast.Intrinsic.EventTimeSinceStart => binding.Event is null ? TraceQLValue.Nil : TraceQLValue.Duration(binding.Event.TimeUnixNanos - span.StartUnixNanos),
            Ast.Intrinsic.LinkTraceId => binding.Link is null ? TraceQLValue.Nil : HexId.Value(binding.Link.TraceId),
            Ast.Intrinsic.LinkSpanId => binding.Link is null ? TraceQLValue.Nil : HexId.Value(binding.Link.SpanId),
            Ast.Intrinsic.InstrumentationName => TraceQLValue.String(span.Scope.Name),
            _ => TraceQLValue.String(span.Scope.Version),
        };
    }

    private readonly record struct Binding(int Index, TraceSpan Span, SpanEvent? Event, SpanLink? Link);
}
