using System.Buffers.Binary;
using System.Collections.Concurrent;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Chaos.Tests.Load;

/// <summary>
/// Every (traceId, spanId) the server acknowledged with success, by trace (hex trace ID), with the number of the
/// request that carried it, so that a lost span can be traced to its request's times.
/// </summary>
public sealed class AcknowledgedSpans
{
    private readonly ConcurrentDictionary<string, Dictionary<ulong, int>> _byTrace = new(StringComparer.Ordinal);
    private long _count;

    /// <summary>Distinct acknowledged spans.</summary>
    public long Count => Interlocked.Read(ref _count);

    public int TraceCount => _byTrace.Count;

    /// <summary>Records every span of a request the server accepted, as carried by request <paramref name="number"/>.</summary>
    public void Add(ExportTraceServiceRequest request, int number = 0)
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
                        if (spans.TryAdd(BinaryPrimitives.ReadUInt64BigEndian(span.SpanId.Span), number))
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

    /// <summary>The number of the request that acknowledged the span, or null.</summary>
    public int? RequestOf(string traceId, ulong spanId)
    {
        if (!_byTrace.TryGetValue(traceId, out var spans))
        {
            return null;
        }

        lock (spans)
        {
            return spans.TryGetValue(spanId, out var number) ? number : null;
        }
    }

    /// <summary>A copy of what is acknowledged now.</summary>
    public Dictionary<string, ulong[]> Snapshot()
    {
        var copy = new Dictionary<string, ulong[]>(_byTrace.Count, StringComparer.Ordinal);
        foreach (var (traceId, spans) in _byTrace)
        {
            lock (spans)
            {
                copy[traceId] = [.. spans.Keys];
            }
        }

        return copy;
    }
}
