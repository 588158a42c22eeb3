using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Otlp.Splitting;

/// <summary>
/// One message's worth of spans: a request holding a subset of the original spans and its encoded size.
/// <see cref="Encoded"/>, when not empty, is the exact encoding of the spans as received, so it is copied instead of
/// serialised again; <see cref="Request"/> is then null when the request was validated on the wire and never decoded.
/// </summary>
public readonly record struct SpanBatch(ExportTraceServiceRequest? Request, int SpanCount, int EncodedSize, ReadOnlyMemory<byte> Encoded = default)
{
    /// <summary>A batch of received bytes, checked by <see cref="Validation.WireSpanValidator"/>, that travels as it is.</summary>
    public static SpanBatch FromEncoded(ReadOnlyMemory<byte> encoded, int spanCount) => new(null, spanCount, encoded.Length, encoded);
}
