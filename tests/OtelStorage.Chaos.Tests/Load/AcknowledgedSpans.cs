using System.Buffers.Binary;
using System.Collections.Concurrent;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Chaos.Tests.Load;

/// <summary>Every (traceId, spanId) the server acknowledged with success, by trace (hex trace ID).</summary>
public sealed class AcknowledgedSpans
{
    private readonly ConcurrentDictionary<string, HashSet<ulong>> _byTrace = new(StringComparer.Ordinal);
    private long _count;

    /// <summary>Distinct acknowledged spans.</summary>
    public long Count => Interlocked.Read(ref _count);

    public int TraceCount => _byTrace.Count;

    /// <summary>Records every span of a request the server accepted in full.</summary>
    public void Add(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    var spans = _byTrace.GetOrAdd(Convert.ToHexStringLower(span.TraceId.Span), _ => []);
                    lock (spans)
                    {
                        if (spans.Add(BinaryPrimitives.ReadUInt64BigEndian(span.SpanId.Span)))
                        {
                            Interlocked.Increment(ref _count);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The spans of one request, by trace, in the form of <see cref="Snapshot"/>.</summary>
    public static Dictionary<string, ulong[]> Of(ExportTraceServiceRequest request)
    {
        var spans = new AcknowledgedSpans();
        spans.Add(request);
        return spans.Snapshot();
    }

    /// <summary>A copy of what is acknowledged now.</summary>
    public Dictionary<string, ulong[]> Snapshot()
    {
        var copy = new Dictionary<string, ulong[]>(_byTrace.Count, StringComparer.Ordinal);
        foreach (var (traceId, spans) in _byTrace)
        {
            lock (spans)
            {
                copy[traceId] = [.. spans];
            }
        }

        return copy;
    }
}
