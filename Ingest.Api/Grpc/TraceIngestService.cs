using Google.Rpc;
using Grpc.Core;
using Ingest.Api.Ingest;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Otlp.Errors;

namespace Ingest.Api.Grpc;

/// <summary>
/// OTLP/gRPC trace export (https://opentelemetry.io/docs/specs/otlp/#otlpgrpc). Failures carry a
/// google.rpc.Status in <c>grpc-status-details-bin</c>; throttling attaches RetryInfo so clients retry it.
/// </summary>
public sealed class TraceIngestService(IngestPipeline pipeline, ApiKeyAuthenticator authenticator, IngestTelemetry telemetry) : TraceService.TraceServiceBase
{
    public override async Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context)
    {
        var headers = context.RequestHeaders;
        if (!authenticator.IsAuthorized(headers.GetValue("authorization"), headers.GetValue("x-api-key")))
        {
            telemetry.Request(IngestProtocol.Grpc, "unauthenticated");
            throw OtlpStatus.Create(Code.Unauthenticated, "A valid API key is required (authorization: Bearer KEY or x-api-key: KEY).").ToRpcException();
        }

        if (!TenantId.TryResolve(headers.GetValue("x-scope-orgid"), out var tenant, out var tenantError))
        {
            telemetry.Request(IngestProtocol.Grpc, "invalid");
            throw OtlpStatus.Create(Code.InvalidArgument, tenantError!).ToRpcException();
        }

        var result = await pipeline.IngestAsync(request, IngestProtocol.Grpc, tenant, context.CancellationToken);
        return result.Outcome switch
        {
            IngestOutcome.Accepted => result.Response,
            IngestOutcome.Throttled => throw OtlpStatus.Create(Code.ResourceExhausted, result.Error!, result.RetryAfter).ToRpcException(),
            // RetryInfo on UNAVAILABLE is optional (it is retried anyway) but tells clients how long to back off.
            _ => throw OtlpStatus.Create(Code.Unavailable, result.Error!, result.RetryAfter).ToRpcException(),
        };
    }
}
