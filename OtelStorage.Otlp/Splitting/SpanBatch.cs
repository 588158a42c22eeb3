using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Otlp.Splitting;

/// <summary>
/// One message's worth of spans: a request holding a subset of the original spans and its encoded size.
/// <see cref="Encoded"/>, when not empty, is the exact encoding of <see cref="Request"/> as received, so it can be
/// copied instead of serialised again.
/// </summary>
public readonly record struct SpanBatch(ExportTraceServiceRequest Request, int SpanCount, int EncodedSize, ReadOnlyMemory<byte> Encoded = default);
