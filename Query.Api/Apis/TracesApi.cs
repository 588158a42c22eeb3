using Microsoft.AspNetCore.Http.HttpResults;
using OtelStorage.Storage.Blocks;
using Query.Api.Reading;

namespace Query.Api.Apis;

/// <summary>The native trace-by-ID route: OTLP JSON by default, OTLP protobuf on request.</summary>
public static class TracesApi
{
    public const string ProtobufMediaType = "application/x-protobuf";

    public static IEndpointRouteBuilder MapTracesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/traces").WithTags("Traces").WithNativeParameterErrors();
        api.MapGet("/{traceId}", GetTrace)
            .WithName("GetTrace")
            .CountsBadRequestsAs("trace")
            .WithSummary("A trace by ID, across every block, without a time range")
            .WithDescription("OTLP JSON (hex IDs, {\"resourceSpans\":[...]}) by default; OTLP protobuf TracesData with 'Accept: application/x-protobuf'. Spans stored twice come back once.")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status200OK, contentType: ProtobufMediaType);
        return app;
    }

    public static async Task<Results<TraceResult, JsonHttpResult<ErrorResponse>>> GetTrace(
        string traceId,
        [AsParameters] QueryServices services)
    {
        var id = QueryParsing.TraceId(traceId);
        var result = await services.Traces.FindAsync(services.Tenant, id, 0, ulong.MaxValue, services.Aborted);
        if (result.Spans.Count == 0)
        {
            services.Telemetry.Request("trace", "not_found");
            return ErrorResults.NotFound($"trace {Convert.ToHexStringLower(id)} was not found");
        }

        services.Telemetry.Request("trace", "ok");
        var data = OtlpAssembler.ToTracesData(result.Spans, deduplicate: false);
        return services.WantsProtobuf ? TraceResult.Protobuf(data, ProtobufMediaType) : TraceResult.Json(data);
    }
}
