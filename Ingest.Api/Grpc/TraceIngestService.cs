using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Ingest.Api.Ingest;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Otlp.Errors;
using OtelStorage.Tenancy;

namespace Ingest.Api.Grpc;

/// <summary>
/// OTLP/gRPC trace export (https://opentelemetry.io/docs/specs/otlp/#otlpgrpc). Failures carry a
/// google.rpc.Status in <c>grpc-status-details-bin</c>; throttling attaches RetryInfo so clients retry it.
/// </summary>
/// <remarks>
/// Bound by hand rather than through the generated <c>TraceServiceBase</c>: the same method, but its request
/// marshaller keeps the received bytes undecoded (<see cref="ReceivedExport"/>), which valid requests are published as.
/// </remarks>
[BindServiceMethod(typeof(TraceIngestService), nameof(BindService))]
public class TraceIngestService(IngestPipeline pipeline, ApiKeyAuthorizer authorizer, IngestTelemetry telemetry)
{
    private static readonly Method<ReceivedExport, ExportTraceServiceResponse> ExportMethod = new(
        MethodType.Unary,
        TraceService.Descriptor.FullName,
        "Export",
        ReceivedExport.Marshaller,
        Marshallers.Create(response => response.ToByteArray(), ExportTraceServiceResponse.Parser.ParseFrom));

    /// <summary>Called by Grpc.AspNetCore, which maps the method to <see cref="Export"/> by name and signature.</summary>
    public static void BindService(ServiceBinderBase binder, TraceIngestService? service) =>
        binder.AddMethod(ExportMethod, service is null ? null : service.Export);

    // Virtual because Grpc.AspNetCore only binds a handler that is (or overrides) a virtual method of the bind type.
    public virtual async Task<ExportTraceServiceResponse> Export(ReceivedExport received, ServerCallContext context)
    {
        using var _ = received;
        var headers = context.RequestHeaders;
        if (!TenantId.TryResolve(headers.GetValue("x-scope-orgid"), out var tenant, out var tenantError))
        {
            telemetry.Request(IngestProtocol.Grpc, "invalid");
            throw OtlpStatus.Create(Code.InvalidArgument, tenantError!).ToRpcException();
        }

        var access = authorizer.Authorize(headers.GetValue("authorization"), headers.GetValue("x-api-key"), tenant);
        if (access != ApiKeyDecision.Allowed)
        {
            telemetry.Request(IngestProtocol.Grpc, access == ApiKeyDecision.Forbidden ? "forbidden" : "unauthenticated");
            var code = access == ApiKeyDecision.Forbidden ? Code.PermissionDenied : Code.Unauthenticated;
            throw OtlpStatus.Create(code, ApiKeyAuthorizer.Explain(access, tenant)).ToRpcException();
        }

        var result = await pipeline.IngestProtobufAsync(received.Encoded, IngestProtocol.Grpc, tenant, context.CancellationToken);
        return result.Outcome switch
        {
            IngestOutcome.Accepted => result.Response,
            IngestOutcome.Throttled => throw OtlpStatus.Create(Code.ResourceExhausted, result.Error!, result.RetryAfter).ToRpcException(),
            IngestOutcome.Invalid => throw OtlpStatus.Create(Code.InvalidArgument, result.Error!).ToRpcException(),
            // RetryInfo on UNAVAILABLE is optional (it is retried anyway) but tells clients how long to back off.
            _ => throw OtlpStatus.Create(Code.Unavailable, result.Error!, result.RetryAfter).ToRpcException(),
        };
    }
}
