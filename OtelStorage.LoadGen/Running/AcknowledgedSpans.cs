using System.Buffers.Binary;
using System.Collections.Concurrent;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.LoadGen.Running;

/// <summary>The spans the server acknowledged, by trace, for verification.</summary>
public sealed class AcknowledgedSpans
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<ulong>> _byTrace = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, ConcurrentBag<ulong>> ByTrace => _byTrace;

    public long SpanCount => _byTrace.Values.Sum(b => (long)b.Count);

    public void Add(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    var traceId = Convert.ToHexStringLower(span.TraceId.Span);
                    _byTrace.GetOrAdd(traceId, _ => []).Add(BinaryPrimitives.ReadUInt64BigEndian(span.SpanId.Span));
                }
            }
        }
    }
}
