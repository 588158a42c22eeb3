using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Tests;

/// <summary>Small traces built inline for one test, and the labels of what a query returns from them.</summary>
internal static class TestTraces
{
    private const long Millisecond = 1_000_000;

    public static TraceSpan Span(
        string label,
        string parent = "",
        string name = "op",
        string service = "svc",
        long startMs = 0,
        long endMs = 10,
        SpanStatus status = SpanStatus.Unset,
        SpanKind kind = SpanKind.Internal,
        KeyValue[]? attributes = null,
        KeyValue[]? resource = null,
        SpanEvent[]? events = null,
        SpanLink[]? links = null) => new()
        {
            TraceId = TraceSet.TraceId('f'),
            SpanId = TraceSet.SpanId(label),
            ParentSpanId = parent.Length == 0 ? [] : TraceSet.SpanId(parent),
            Name = name,
            Kind = kind,
            Status = status,
            StartUnixNanos = startMs * Millisecond,
            EndUnixNanos = endMs * Millisecond,
            Attributes = attributes ?? [],
            ResourceAttributes = resource ?? [TraceSet.Kv("service.name", service)],
            Events = events ?? [],
            Links = links ?? [],
        };

    public static TraceData Of(params TraceSpan[] spans) => new() { TraceId = TraceSet.TraceId('f'), Spans = spans };

    /// <summary>The labels of every span the query returns from <paramref name="trace"/>, in trace order.</summary>
    public static string Matches(string query, TraceData trace) =>
        string.Join(' ', TraceQLQuery.Parse(query).Evaluate(trace).SelectMany(s => s.Spans).Select(s => TraceSet.Label(s.Span)).Distinct());

    public static SpanEvent Event(string name, long timeMs, params KeyValue[] attributes) =>
        new() { Name = name, TimeUnixNanos = timeMs * Millisecond, Attributes = attributes };
}
