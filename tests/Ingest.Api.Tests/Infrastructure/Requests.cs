using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Ingest.Api.Tests.Infrastructure;

/// <summary>Simple valid requests for the error-path and throughput tests.</summary>
public static class Requests
{
    public static ExportTraceServiceRequest Spans(int count, int attributeBytes = 16)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "test" } };
        var traceId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray());
        for (var i = 0; i < count; i++)
        {
            scope.Spans.Add(new Span
            {
                TraceId = traceId,
                SpanId = ByteString.CopyFrom(BitConverter.GetBytes((long)i + 1)),
                Name = "span " + i,
                Kind = Span.Types.SpanKind.Server,
                StartTimeUnixNano = 1_764_057_600_000_000_000,
                EndTimeUnixNano = 1_764_057_600_001_000_000,
                Attributes = { new KeyValue { Key = "payload", Value = new AnyValue { StringValue = new string('x', attributeBytes) } } },
            });
        }

        var resource = new ResourceSpans { Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "tests" } } } } };
        resource.ScopeSpans.Add(scope);
        return new ExportTraceServiceRequest { ResourceSpans = { resource } };
    }
}
