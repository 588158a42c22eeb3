using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using OtelStorage.Storage.Blocks;
using Query.Api.Reading;

namespace Query.Api.Apis;

/// <summary>The body of <c>POST /traces/lookup</c>.</summary>
/// <param name="TraceIds">The traces to read, 32 hex characters each.</param>
public sealed record TraceLookupRequest(IReadOnlyList<string?>? TraceIds);

/// <summary>The native trace-by-ID routes: OTLP JSON by default, OTLP protobuf on request.</summary>
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
        api.MapPost("/lookup", LookupTraces)
            .WithName("LookupTraces")
            .CountsBadRequestsAs("trace_lookup")
            .WithSummary("Many traces by ID at once, across every block, without a time range")
            .WithDescription("Body {\"traceIds\":[\"<32 hex>\", ...]}, at most Query:MaxLimit IDs. The answer holds every found trace's spans in one OTLP TracesData (JSON, or protobuf with 'Accept: application/x-protobuf'); traces not found are absent. Each row group is read once for all the asked traces it holds, so sorted batches of IDs are much cheaper than one request per trace.")
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

    public static async Task<TraceResult> LookupTraces([AsParameters] QueryServices services)
    {
        var ids = await ReadTraceIdsAsync(services);
        var result = await services.Traces.FindManyAsync(services.Tenant, ids, 0, ulong.MaxValue, services.Aborted);
        services.Telemetry.Request("trace_lookup", "ok");
        var data = OtlpAssembler.ToTracesData(result.Traces.Values.SelectMany(t => t), deduplicate: false);
        return services.WantsProtobuf ? TraceResult.Protobuf(data, ProtobufMediaType) : TraceResult.Json(data);
    }

    private static async Task<List<byte[]>> ReadTraceIdsAsync(QueryServices services)
    {
        TraceLookupRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<TraceLookupRequest>(services.Http.Request.Body, JsonSerializerOptions.Web, services.Aborted);
        }
        catch (JsonException e)
        {
            throw new QueryParameterException($"the body must be JSON of the form {{\"traceIds\":[\"<32 hex characters>\", ...]}}: {e.Message}");
        }

        var max = services.Options.Value.MaxLimit;
        if (body?.TraceIds is not { Count: > 0 } asked)
        {
            throw new QueryParameterException("traceIds must list at least one trace ID, as {\"traceIds\":[\"<32 hex characters>\"]}");
        }

        if (asked.Count > max)
        {
            throw new QueryParameterException($"traceIds holds {asked.Count} IDs, more than the maximum of {max} (Query:MaxLimit): split the request");
        }

        return [.. asked.Select((id, i) => QueryParsing.TraceId(id, $"traceIds[{i}]")).DistinctBy(Convert.ToHexString)];
    }
}
