using System.Collections.Concurrent;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.LoadGen.Workload;

namespace OtelStorage.LoadGen.Verification;

/// <summary>
/// The spans a client sent, by trace (hex trace ID): each with the fingerprint of its content, and whether the server
/// acknowledged it and in which request. <see cref="TraceVerifier"/> reads the acknowledged spans back and judges every
/// other span it finds against what was sent. Thread-safe.
/// </summary>
public sealed class SpanLedger
{
    private readonly ConcurrentDictionary<string, TraceSpans> _byTrace = new(StringComparer.Ordinal);
    private long _acknowledged;
    private int _acknowledgedTraces;

    /// <summary>Distinct acknowledged spans.</summary>
    public long AcknowledgedCount => Interlocked.Read(ref _acknowledged);

    /// <summary>Traces with at least one acknowledged span.</summary>
    public int AcknowledgedTraceCount => Volatile.Read(ref _acknowledgedTraces);

    /// <summary>Records every span of a request about to be sent; none is acknowledged by this.</summary>
    public void Sent(ExportTraceServiceRequest request)
    {
        foreach (var (traceId, span) in SpanContent.Of(request.ResourceSpans))
        {
            Record(Convert.ToHexStringLower(traceId.Span), span, request: null);
        }
    }

    /// <summary>Records every span of a request the server accepted, as carried by request <paramref name="number"/>.</summary>
    public void Acknowledge(ExportTraceServiceRequest request, int number = 0)
    {
        foreach (var (traceId, span) in SpanContent.Of(request.ResourceSpans))
        {
            Record(Convert.ToHexStringLower(traceId.Span), span, number);
        }
    }

    /// <summary>Records every span of a patched request the server accepted, from its bytes at the template's offsets: no parsing.</summary>
    public void Acknowledge(PatchedRequest request)
    {
        var groups = new int[request.Template.GroupCount];
        for (var group = 0; group < groups.Length; group++)
        {
            groups[group] = SpanContent.Group(request.ResourceBytes(group), request.ScopeBytes(group));
        }

        var traceIds = new string?[request.Template.TraceCount];
        for (var span = 0; span < request.SpanCount; span++)
        {
            var traceId = traceIds[request.TraceOf(span)] ??= Convert.ToHexStringLower(request.TraceId(span));
            Record(traceId, new SpanFingerprint(request.SpanId(span), SpanContent.Of(groups[request.GroupOf(span)], request.SpanBytes(span))), request: 0);
        }
    }

    /// <summary>The spans of one request by trace, in the form of <see cref="Acknowledged"/>.</summary>
    public static Dictionary<string, SpanFingerprint[]> SpansOf(ExportTraceServiceRequest request) =>
        SpanContent.Of(request.ResourceSpans)
            .GroupBy(s => Convert.ToHexStringLower(s.TraceId.Span), s => s.Span, StringComparer.Ordinal)
            .ToDictionary(t => t.Key, t => t.DistinctBy(s => s.SpanId).ToArray(), StringComparer.Ordinal);

    /// <summary>A copy of the spans acknowledged now, by trace.</summary>
    public Dictionary<string, SpanFingerprint[]> Acknowledged()
    {
        var copy = new Dictionary<string, SpanFingerprint[]>(_byTrace.Count, StringComparer.Ordinal);
        foreach (var (traceId, spans) in _byTrace)
        {
            lock (spans)
            {
                if (spans.Acknowledged > 0)
                {
                    copy[traceId] = [.. spans.Entries.Where(e => e.Value.Request is not null).Select(e => new SpanFingerprint(e.Key, e.Value.Content))];
                }
            }
        }

        return copy;
    }

    /// <summary>The content fingerprint the span was last sent or acknowledged with; false when the ledger holds no such span.</summary>
    public bool TryGetContent(string traceId, ulong spanId, out int content)
    {
        content = 0;
        if (!TryGetEntry(traceId, spanId, out var entry))
        {
            return false;
        }

        content = entry.Content;
        return true;
    }

    /// <summary>The number of the request that acknowledged the span, or null when it was not acknowledged.</summary>
    public int? RequestOf(string traceId, ulong spanId) => TryGetEntry(traceId, spanId, out var entry) ? entry.Request : null;

    private bool TryGetEntry(string traceId, ulong spanId, out Entry entry)
    {
        entry = default;
        if (!_byTrace.TryGetValue(traceId, out var spans))
        {
            return false;
        }

        lock (spans)
        {
            return spans.Entries.TryGetValue(spanId, out entry);
        }
    }

    /// <summary>Records a span as sent, or as acknowledged by <paramref name="request"/> when that is not null.</summary>
    private void Record(string traceId, SpanFingerprint span, int? request)
    {
        var spans = _byTrace.GetOrAdd(traceId, _ => new TraceSpans());
        lock (spans)
        {
            if (spans.Entries.TryGetValue(span.SpanId, out var earlier) && earlier.Request is not null)
            {
                return; // its first acknowledgment stands
            }

            spans.Entries[span.SpanId] = new Entry(span.Content, request);
            if (request is not null)
            {
                Interlocked.Increment(ref _acknowledged);
                if (spans.Acknowledged++ == 0)
                {
                    Interlocked.Increment(ref _acknowledgedTraces);
                }
            }
        }
    }

    /// <param name="Content">The fingerprint of what was sent (<see cref="SpanContent"/>).</param>
    /// <param name="Request">The acknowledging request's number (0 when not numbered), or null while not acknowledged.</param>
    private readonly record struct Entry(int Content, int? Request);

    private sealed class TraceSpans
    {
        public Dictionary<ulong, Entry> Entries { get; } = [];

        public int Acknowledged { get; set; }
    }
}
