using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Otlp.Splitting;

/// <summary>One message's worth of spans: a request holding a subset of the original spans, and its encoded size.</summary>
public readonly record struct SpanBatch(ExportTraceServiceRequest Request, int SpanCount, int EncodedSize);
