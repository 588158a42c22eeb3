using OpenTelemetry.Proto.Common.V1;
using OtelStorage.TraceQL;
using OtelStorage.TraceQL.Evaluation;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;
using TraceQLKeyValue = OtelStorage.TraceQL.Model.KeyValue;
using TraceQLScope = OtelStorage.TraceQL.Model.InstrumentationScope;

namespace Query.Api.Tests.Differential;

/// <summary>A trace the naive search found: its ID in hex, its start, and the span sets the query yielded.</summary>
internal sealed record NaiveMatch(string TraceId, long StartUnixNanos, IReadOnlyList<SpansetResult> Spansets);

/// <summary>
/// The oracle for TraceQL search (<c>/api/search?q=</c>): every span held in memory, grouped by trace and
/// de-duplicated, each whole trace evaluated by <see cref="TraceQLQuery.Evaluate"/>, with no pushdown and no paging.
/// A trace is in the answer when the query yields a span set and one of the spans it yielded starts within
/// <c>[start, end]</c>; the answer is ordered newest first by trace start (the earliest start of any span of the trace),
/// then by trace ID bytewise, and cut to <c>limit</c>. It maps OTLP to the evaluator's model on its own, so that the
/// pushed-down path's mapping, storage round trip and candidate search are all under test.
/// </summary>
internal sealed class NaiveTraceSearch
{
    private readonly List<TraceData> _traces;

    public NaiveTraceSearch(IEnumerable<WrittenSpan> spans)
    {
        _traces = [];
        foreach (var trace in spans.GroupBy(s => Convert.ToHexStringLower(s.Span.TraceId.Span)))
        {
            // A span stored twice (in two blocks) counts once.
            var unique = trace.DistinctBy(s => Convert.ToHexStringLower(s.Span.SpanId.Span)).Select(ToTraceSpan).ToList();
            unique.Sort((a, b) => a.StartUnixNanos != b.StartUnixNanos ? a.StartUnixNanos.CompareTo(b.StartUnixNanos) : a.SpanId.AsSpan().SequenceCompareTo(b.SpanId));
            _traces.Add(new TraceData { TraceId = unique[0].TraceId, Spans = unique });
        }
    }

    /// <summary>Every de-duplicated span, for drawing query values from the data.</summary>
    public IEnumerable<TraceSpan> AllSpans => _traces.SelectMany(t => t.Spans);

    public IReadOnlyList<NaiveMatch> Search(TraceQLQuery query, ulong startUnixNano, ulong endUnixNano, int limit)
    {
        var found = new List<(TraceData Trace, long Start, IReadOnlyList<SpansetResult> Sets)>();
        foreach (var trace in _traces)
        {
            var sets = query.Evaluate(trace);
            var inWindow = sets.Any(set => set.Spans.Any(m => (ulong)m.Span.StartUnixNanos >= startUnixNano && (ulong)m.Span.StartUnixNanos <= endUnixNano));
            if (inWindow)
            {
                found.Add((trace, trace.Spans.Min(s => s.StartUnixNanos), sets));
            }
        }

        found.Sort((a, b) => a.Start != b.Start ? b.Start.CompareTo(a.Start) : a.Trace.TraceId.AsSpan().SequenceCompareTo(b.Trace.TraceId));
        return [.. found.Take(limit).Select(f => new NaiveMatch(Convert.ToHexStringLower(f.Trace.TraceId), f.Start, f.Sets))];
    }

    private static TraceSpan ToTraceSpan(WrittenSpan written)
    {
        var span = written.Span;
        return new TraceSpan
        {
            TraceId = span.TraceId.ToByteArray(),
            SpanId = span.SpanId.ToByteArray(),
            ParentSpanId = span.ParentSpanId.ToByteArray(),
            Name = span.Name,
            Kind = (SpanKind)(int)span.Kind,
            Status = span.Status is null ? SpanStatus.Unset : (SpanStatus)(int)span.Status.Code,
            StatusMessage = span.Status?.Message ?? "",
            StartUnixNanos = (long)span.StartTimeUnixNano,
            EndUnixNanos = (long)span.EndTimeUnixNano,
            Attributes = Values(span.Attributes),
            ResourceAttributes = Values(written.Resource.Attributes),
            Scope = new TraceQLScope { Name = written.Scope.Name, Version = written.Scope.Version, Attributes = Values(written.Scope.Attributes) },
            Events = [.. span.Events.Select(e => new SpanEvent { Name = e.Name, TimeUnixNanos = (long)e.TimeUnixNano, Attributes = Values(e.Attributes) })],
            Links = [.. span.Links.Select(l => new SpanLink { TraceId = l.TraceId.ToByteArray(), SpanId = l.SpanId.ToByteArray(), Attributes = Values(l.Attributes) })],
        };
    }

    // The store generates strings, integers, doubles, booleans and non-empty arrays of one of those.
    private static List<TraceQLKeyValue> Values(IEnumerable<OpenTelemetry.Proto.Common.V1.KeyValue> attributes) =>
        [.. attributes.Select(a => new TraceQLKeyValue(a.Key, Value(a.Value)))];

    private static TraceQLValue Value(AnyValue value) => value.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => TraceQLValue.String(value.StringValue),
        AnyValue.ValueOneofCase.IntValue => TraceQLValue.Int(value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => TraceQLValue.Float(value.DoubleValue),
        AnyValue.ValueOneofCase.BoolValue => TraceQLValue.Bool(value.BoolValue),
        AnyValue.ValueOneofCase.ArrayValue => value.ArrayValue.Values[0].ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => TraceQLValue.StringArray(value.ArrayValue.Values.Select(v => v.StringValue)),
            AnyValue.ValueOneofCase.IntValue => TraceQLValue.IntArray(value.ArrayValue.Values.Select(v => v.IntValue)),
            AnyValue.ValueOneofCase.DoubleValue => TraceQLValue.FloatArray(value.ArrayValue.Values.Select(v => v.DoubleValue)),
            _ => TraceQLValue.BoolArray(value.ArrayValue.Values.Select(v => v.BoolValue)),
        },
        _ => throw new ArgumentException($"the generated store has no {value.ValueCase} values", nameof(value)),
    };
}
