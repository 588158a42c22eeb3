using Microsoft.AspNetCore.Http.HttpResults;
using OtelStorage.Storage.Blocks;
using Query.Api.Formats;
using Query.Api.Reading;

namespace Query.Api.Apis;

/// <summary>Jaeger's <c>/api/traces</c> search parameters: times in µs, durations as Go durations.</summary>
public sealed record JaegerSearchParameters(
    string? Service,
    string? Operation,
    string? Tags,
    string[]? Tag,
    string? Start,
    string? End,
    string? Lookback,
    string? MinDuration,
    string? MaxDuration,
    string? Limit);

public sealed record JaegerOperationsParameters(string? Service, string? SpanKind);

public sealed record JaegerDependenciesParameters(string? EndTs, string? Lookback);

/// <summary>
/// The Jaeger query API (jaeger-query's HTTP JSON API), enough for the Jaeger UI and Grafana's Jaeger data
/// source: it checks the connection with <c>/api/services</c>, searches with <c>/api/traces</c> and opens a
/// trace with <c>/api/traces/{id}</c>. That last route is shared with Tempo: a request that accepts protobuf
/// gets Tempo's answer (OTLP protobuf), any other gets Jaeger JSON.
/// </summary>
public static class JaegerApi
{
    public static IEndpointRouteBuilder MapJaegerApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Jaeger").WithJaegerParameterErrors();
        api.MapGet("/services", GetServices).WithName("JaegerServices").WithSummary("Jaeger: service names");
        api.MapGet("/services/{service}/operations", GetServiceOperations).WithName("JaegerServiceOperations").WithSummary("Jaeger: operation names of a service");
        api.MapGet("/operations", GetOperations).WithName("JaegerOperations").WithSummary("Jaeger: operations of a service with span kinds");
        api.MapGet("/traces", FindTraces).WithName("JaegerFindTraces").WithSummary("Jaeger: traces matching a search, newest first")
            .CountsBadRequestsAs("jaeger_search");
        api.MapGet("/traces/{traceId}", GetTrace).WithName("JaegerGetTrace")
            .WithSummary("Jaeger: a trace by ID (Tempo's OTLP protobuf when the request accepts application/protobuf)");
        api.MapGet("/dependencies", GetDependencies).WithName("JaegerDependencies").WithSummary("Jaeger: dependency links (endTs and lookback in ms)");
        return app;
    }

    public static async Task<Ok<JaegerResponse<IReadOnlyList<string>>>> GetServices([AsParameters] QueryServices services)
    {
        var list = await services.Metadata.ServicesAsync(services.Tenant, 0, ulong.MaxValue, services.Aborted);
        return TypedResults.Ok(Envelope<IReadOnlyList<string>>([.. list.Select(s => s.Name)], list.Count));
    }

    public static async Task<Ok<JaegerResponse<IReadOnlyList<string>>>> GetServiceOperations(string service, [AsParameters] QueryServices services)
    {
        var ops = await services.Metadata.OperationsAsync(services.Tenant, service, 0, ulong.MaxValue, services.Aborted);
        var names = ops.Select(o => o.Name).Distinct().ToList();
        return TypedResults.Ok(Envelope<IReadOnlyList<string>>(names, names.Count));
    }

    public static async Task<Results<Ok<JaegerResponse<IReadOnlyList<JaegerOperation>>>, JsonHttpResult<JaegerResponse<object>>>> GetOperations(
        [AsParameters] JaegerOperationsParameters parameters, [AsParameters] QueryServices services)
    {
        if (string.IsNullOrEmpty(parameters.Service))
        {
            return Error(400, "service is required, for example /api/operations?service=frontend");
        }

        var ops = await services.Metadata.OperationsAsync(services.Tenant, parameters.Service, 0, ulong.MaxValue, services.Aborted);
        var list = ops
            .Select(o => new JaegerOperation(o.Name, JaegerConverter.KindName((OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind)o.Kind) ?? string.Empty))
            .Where(o => string.IsNullOrEmpty(parameters.SpanKind) || string.Equals(o.SpanKind, parameters.SpanKind, StringComparison.OrdinalIgnoreCase))
            .Distinct()
            .ToList();
        return TypedResults.Ok(Envelope<IReadOnlyList<JaegerOperation>>(list, list.Count));
    }

    public static async Task<Ok<JaegerResponse<IReadOnlyList<JaegerTrace>>>> FindTraces(
        [AsParameters] JaegerSearchParameters parameters, [AsParameters] QueryServices services)
    {
        var (query, limit) = Parse(parameters, services.Time.GetUtcNow()).Build(services.Options.Value, services.Time.GetUtcNow());
        var traces = (await TraceSearch.FindTracesAsync(services, query, limit)).Traces;
        services.Telemetry.Request("jaeger_search", "ok");
        var data = traces.Select(t => JaegerConverter.ToTrace(t.Spans)).ToList();
        return TypedResults.Ok(Envelope<IReadOnlyList<JaegerTrace>>(data, data.Count));
    }

    public static async Task<Results<Ok<JaegerResponse<IReadOnlyList<JaegerTrace>>>, TraceResult, JsonHttpResult<JaegerResponse<object>>>> GetTrace(
        string traceId, [AsParameters] QueryServices services)
    {
        var id = QueryParsing.TraceId(traceId, "traceId", padShort: true);
        var result = await services.Traces.FindAsync(services.Tenant, id, 0, ulong.MaxValue, services.Aborted);
        if (services.WantsProtobuf)
        {
            // Tempo's /api/traces/{id}: tempopb.Trace, whose field 1 (batches) is OTLP's ResourceSpans, so TracesData bytes are it.
            services.Telemetry.Request("tempo_trace", result.Spans.Count == 0 ? "not_found" : "ok");
            return result.Spans.Count == 0
                ? Error(404, $"trace {Convert.ToHexStringLower(id)} was not found")
                : TraceResult.Protobuf(OtlpAssembler.ToTracesData(result.Spans, deduplicate: false), "application/protobuf");
        }

        services.Telemetry.Request("jaeger_trace", result.Spans.Count == 0 ? "not_found" : "ok");
        return result.Spans.Count == 0
            ? Error(404, "trace not found", Convert.ToHexStringLower(id))
            : TypedResults.Ok(Envelope<IReadOnlyList<JaegerTrace>>([JaegerConverter.ToTrace(result.Spans)], 1));
    }

    public static async Task<Ok<JaegerResponse<IReadOnlyList<JaegerDependency>>>> GetDependencies(
        [AsParameters] JaegerDependenciesParameters parameters, [AsParameters] QueryServices services)
    {
        var end = string.IsNullOrEmpty(parameters.EndTs) ? QueryParsing.ToUnixNano(services.Time.GetUtcNow()) : QueryParsing.UnixTime(parameters.EndTs, "endTs", 1_000_000, "milliseconds");
        var lookback = string.IsNullOrEmpty(parameters.Lookback) ? (ulong)TimeSpan.FromDays(1).Ticks * 100 : QueryParsing.UnixTime(parameters.Lookback, "lookback", 1_000_000, "milliseconds");
        var edges = await services.Metadata.DependenciesAsync(services.Tenant, end > lookback ? end - lookback : 0, end, services.Aborted);
        var data = edges.Select(e => new JaegerDependency(e.Parent, e.Child, e.CallCount)).ToList();
        return TypedResults.Ok(Envelope<IReadOnlyList<JaegerDependency>>(data, data.Count));
    }

    private static SearchCriteria Parse(JaegerSearchParameters p, DateTimeOffset now)
    {
        var c = new SearchCriteria
        {
            Service = p.Service,
            Operation = p.Operation,
            Limit = SpansApi.ParseLimit(p.Limit),
            StartUnixNano = string.IsNullOrEmpty(p.Start) ? null : QueryParsing.UnixTime(p.Start, "start", 1000, "microseconds"),
            EndUnixNano = string.IsNullOrEmpty(p.End) ? null : QueryParsing.UnixTime(p.End, "end", 1000, "microseconds"),
            MinDurationNanos = string.IsNullOrEmpty(p.MinDuration) ? null : QueryParsing.Duration(p.MinDuration, "minDuration"),
            MaxDurationNanos = string.IsNullOrEmpty(p.MaxDuration) ? null : QueryParsing.Duration(p.MaxDuration, "maxDuration"),
        };

        // The Jaeger UI sends lookback (1h, 2d, custom) with start; honour it only when start is absent.
        if (c.StartUnixNano is null && !string.IsNullOrEmpty(p.Lookback) && p.Lookback != "custom")
        {
            var lookback = (ulong)QueryParsing.Duration(p.Lookback, "lookback");
            var end = c.EndUnixNano ?? QueryParsing.ToUnixNano(now);
            c.StartUnixNano = end > lookback ? end - lookback : 0;
        }

        if (!string.IsNullOrEmpty(p.Tags))
        {
            foreach (var (key, value) in QueryParsing.JaegerTags(p.Tags))
            {
                c.AddTag(key, value);
            }
        }

        foreach (var tag in p.Tag ?? [])
        {
            var (key, value) = QueryParsing.Tag(tag);
            c.AddTag(key, value);
        }

        return c;
    }

    private static JaegerResponse<T> Envelope<T>(T data, int total) => new(data, total, 0, 0, null);

    /// <summary>An error in Jaeger's envelope, whose message Grafana shows.</summary>
    internal static JsonHttpResult<JaegerResponse<object>> Error(int code, string message, string? traceId = null) =>
        TypedResults.Json(new JaegerResponse<object>(null, 0, 0, 0, [new JaegerError(code, message, traceId)]), statusCode: code);
}
