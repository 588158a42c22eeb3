using System.Collections.Concurrent;
using System.Runtime.InteropServices;
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
    public void Sent(ExportTraceServiceRequest request) => Record(request, number: null);

    /// <summary>Records every span of a request the server accepted, as carried by request <paramref name="number"/>.</summary>
    public void Acknowledge(ExportTraceServiceRequest request, int number = 0) => Record(request, number);

    /// <summary>Records every span of a patched request the server accepted, from its bytes at the template's offsets: no parsing.</summary>
    public void Acknowledge(PatchedRequest request)
    {
        var groups = new int[request.Template.GroupCount];
        for (var group = 0; group < groups.Length; group++)
        {
            groups[group] = SpanContent.Group(request.ResourceBytes(group), request.ScopeBytes(group));
        }

        // The spans of each trace side by side (a counting sort by trace), so that each trace is locked once.
        var ends = new int[request.Template.TraceCount];
        for (var span = 0; span < request.SpanCount; span++)
        {
            ends[request.TraceOf(span)]++;
        }

        for (var trace = 1; trace < ends.Length; trace++)
        {
            ends[trace] += ends[trace - 1];
        }

        var byTrace = new SpanFingerprint[request.SpanCount];
        var traces = new TraceSpans[ends.Length];
        for (var span = request.SpanCount - 1; span >= 0; span--)
        {
            var trace = request.TraceOf(span);
            byTrace[--ends[trace]] = new SpanFingerprint(request.SpanId(span), SpanContent.Of(groups[request.GroupOf(span)], request.SpanBytes(span)));
            traces[trace] ??= Trace(request.TraceId(span));
        }

        for (var trace = 0; trace < traces.Length; trace++)
        {
            var next = trace + 1 < ends.Length ? ends[trace + 1] : byTrace.Length;
            Record(traces[trace], byTrace.AsSpan(ends[trace]..next), request: 0);
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
                    copy[traceId] = spans.AcknowledgedSpans();
                }
            }
        }

        return copy;
    }

    /// <summary>The content fingerprint the span was last sent or acknowledged with; false when the ledger holds no such span.</summary>
    public bool TryGetContent(string traceId, ulong spanId, out int content)
    {
        var found = TryGetEntry(traceId, spanId, out var entry);
        content = entry.Content;
        return found;
    }

    /// <summary>The number of the request that acknowledged the span, or null when it was not acknowledged.</summary>
    public int? RequestOf(string traceId, ulong spanId) => TryGetEntry(traceId, spanId, out var entry) && entry.IsAcknowledged ? entry.Request : null;

    private bool TryGetEntry(string traceId, ulong spanId, out Entry entry)
    {
        entry = default;
        if (!_byTrace.TryGetValue(traceId, out var spans))
        {
            return false;
        }

        lock (spans)
        {
            var index = spans.IndexOf(spanId);
            entry = index >= 0 ? spans[index] : default;
            return index >= 0;
        }
    }

    private TraceSpans Trace(ReadOnlySpan<byte> traceId) => _byTrace.GetOrAdd(Convert.ToHexStringLower(traceId), _ => new TraceSpans());

    private void Record(ExportTraceServiceRequest request, int? number)
    {
        foreach (var trace in SpanContent.Of(request.ResourceSpans).GroupBy(s => s.TraceId, s => s.Span))
        {
            Record(Trace(trace.Key.Span), [.. trace], number);
        }
    }

    /// <summary>Records spans of one trace as sent, or as acknowledged by <paramref name="request"/> when that is not null.</summary>
    private void Record(TraceSpans trace, ReadOnlySpan<SpanFingerprint> spans, int? request)
    {
        var acknowledged = 0;
        lock (trace)
        {
            foreach (var span in spans)
            {
                var index = trace.IndexOf(span.SpanId);
                if (index < 0)
                {
                    trace.Add(new Entry(span.SpanId, span.Content, request ?? Entry.NotAcknowledged));
                }
                else if (!trace[index].IsAcknowledged)
                {
                    trace.Replace(index, new Entry(span.SpanId, span.Content, request ?? Entry.NotAcknowledged));
                }
                else
                {
                    continue; // its first acknowledgment stands
                }

                if (request is not null)
                {
                    acknowledged++;
                }
            }

            if (acknowledged > 0 && trace.Acknowledged == 0)
            {
                Interlocked.Increment(ref _acknowledgedTraces);
            }

            trace.Acknowledged += acknowledged;
        }

        Interlocked.Add(ref _acknowledged, acknowledged);
    }

    /// <param name="SpanId">The span's ID.</param>
    /// <param name="Content">The fingerprint of what was sent (<see cref="SpanContent"/>).</param>
    /// <param name="Request">The acknowledging request's number (0 when not numbered), or <see cref="NotAcknowledged"/>.</param>
    private readonly record struct Entry(ulong SpanId, int Content, int Request)
    {
        // Not an int?: 16 bytes a span instead of 24, for the load generator's millions of spans.
        public const int NotAcknowledged = -1;

        public bool IsAcknowledged => Request != NotAcknowledged;
    }

    /// <summary>One trace's spans in the order recorded.</summary>
    private sealed class TraceSpans
    {
        // Most traces hold a few dozen spans, found faster by a scan than by hashing; longer ones get an index.
        private const int ScanUpTo = 32;
        private readonly List<Entry> _entries = [];
        private Dictionary<ulong, int>? _index;

        public Entry this[int index] => _entries[index];

        public int Acknowledged { get; set; }

        public int IndexOf(ulong spanId)
        {
            if (_index is not null)
            {
                return _index.TryGetValue(spanId, out var found) ? found : -1;
            }

            var entries = CollectionsMarshal.AsSpan(_entries);
            for (var i = 0; i < entries.Length; i++)
            {
                if (entries[i].SpanId == spanId)
                {
                    return i;
                }
            }

            return -1;
        }

        public void Add(Entry entry)
        {
            _entries.Add(entry);
            if (_index is not null)
            {
                _index[entry.SpanId] = _entries.Count - 1;
            }
            else if (_entries.Count > ScanUpTo)
            {
                _index = _entries.Select((e, i) => (e.SpanId, i)).ToDictionary(e => e.SpanId, e => e.i);
            }
        }

        public void Replace(int index, Entry entry) => _entries[index] = entry;

        public SpanFingerprint[] AcknowledgedSpans() => [.. _entries.Where(e => e.IsAcknowledged).Select(e => new SpanFingerprint(e.SpanId, e.Content))];
    }
}
