using OpenTelemetry.Proto.Common.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;
using TraceQLKeyValue = OtelStorage.TraceQL.Model.KeyValue;
using TraceQLScope = OtelStorage.TraceQL.Model.InstrumentationScope;

namespace Query.Api.Search;

/// <summary>Stored OTLP spans as the TraceQL evaluator sees them: typed attributes of every scope, events, links and the instrumentation scope.</summary>
public static class TraceQLAdapter
{
    /// <summary>One trace's spans, ordered by start time and span ID so that span sets list them the same way on every call.</summary>
    public static TraceData ToTraceData(IReadOnlyList<StoredSpan> spans) => new()
    {
        TraceId = spans.Count > 0 ? spans[0].Span.TraceId.ToByteArray() : [],
        Spans = [.. spans
            .OrderBy(s => s.StartTimeUnixNano)
            .ThenBy(s => s.Span.SpanId.ToByteArray(), Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b)))
            .Select(ToTraceSpan)],
    };

    public static TraceSpan ToTraceSpan(StoredSpan stored)
    {
        var s = stored.Span;
        return new TraceSpan
        {
            TraceId = s.TraceId.ToByteArray(),
            SpanId = s.SpanId.ToByteArray(),
            ParentSpanId = s.ParentSpanId.ToByteArray(),
            Name = s.Name,
            Kind = (SpanKind)(int)s.Kind,
            Status = (SpanStatus)(int)(s.Status?.Code ?? 0),
            StatusMessage = s.Status?.Message ?? "",
            StartUnixNanos = (long)s.StartTimeUnixNano,
            EndUnixNanos = (long)s.EndTimeUnixNano,
            Attributes = ToKeyValues(s.Attributes),
            ResourceAttributes = stored.Resource is { } resource ? ToKeyValues(resource.Attributes) : [],
            Scope = stored.Scope is { } scope
                ? new TraceQLScope { Name = scope.Name, Version = scope.Version, Attributes = ToKeyValues(scope.Attributes) }
                : TraceQLScope.Empty,
            Events = [.. s.Events.Select(e => new SpanEvent { Name = e.Name, TimeUnixNanos = (long)e.TimeUnixNano, Attributes = ToKeyValues(e.Attributes) })],
            Links = [.. s.Links.Select(l => new SpanLink { TraceId = l.TraceId.ToByteArray(), SpanId = l.SpanId.ToByteArray(), Attributes = ToKeyValues(l.Attributes) })],
        };
    }

    /// <summary>
    /// An OTLP value as TraceQL types it: strings, integers, doubles, booleans, and arrays whose elements share one of
    /// those types. Bytes, key-value lists and mixed arrays have no TraceQL type and read as nil.
    /// </summary>
    public static TraceQLValue ToValue(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => TraceQLValue.String(value.StringValue),
        AnyValue.ValueOneofCase.IntValue => TraceQLValue.Int(value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => TraceQLValue.Float(value.DoubleValue),
        AnyValue.ValueOneofCase.BoolValue => TraceQLValue.Bool(value.BoolValue),
        AnyValue.ValueOneofCase.ArrayValue => ToArray(value.ArrayValue.Values),
        _ => TraceQLValue.Nil,
    };

    private static TraceQLValue ToArray(Google.Protobuf.Collections.RepeatedField<AnyValue> values)
    {
        if (values.Count == 0)
        {
            return TraceQLValue.StringArray([]);
        }

        var kind = values[0].ValueCase;
        if (values.Any(v => v.ValueCase != kind))
        {
            return TraceQLValue.Nil;
        }

        return kind switch
        {
            AnyValue.ValueOneofCase.StringValue => TraceQLValue.StringArray(values.Select(v => v.StringValue)),
            AnyValue.ValueOneofCase.IntValue => TraceQLValue.IntArray(values.Select(v => v.IntValue)),
            AnyValue.ValueOneofCase.DoubleValue => TraceQLValue.FloatArray(values.Select(v => v.DoubleValue)),
            AnyValue.ValueOneofCase.BoolValue => TraceQLValue.BoolArray(values.Select(v => v.BoolValue)),
            _ => TraceQLValue.Nil,
        };
    }

    private static TraceQLKeyValue[] ToKeyValues(IEnumerable<OpenTelemetry.Proto.Common.V1.KeyValue> attributes) =>
        [.. attributes.Select(a => new TraceQLKeyValue(a.Key, ToValue(a.Value))).Where(a => !a.Value.IsNil)];
}
