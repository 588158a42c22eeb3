using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using OtelStorage.Storage.Blocks;
using Query.Api.Formats;
using Query.Api.Reading;
using Query.Api.Search;

namespace Query.Api.Apis;

/// <summary>
/// Jaeger's <c>/api/traces</c> parameters (jaeger's cmd/query/app/query_parser.go): times in µs, durations as Go
/// durations; <c>tag</c>, <c>tags</c> and <c>traceID</c> may repeat. Descriptions target the properties: the OpenAPI
/// generator fails to read a DescriptionAttribute from an <c>[AsParameters]</c> record's constructor parameter.
/// </summary>
public sealed record JaegerSearchParameters(
    [FromQuery(Name = "service")][property: Description("Service name (resource service.name); required unless traceID is given.")] string? Service,
    [FromQuery(Name = "operation")][property: Description("Span name.")] string? Operation,
    [FromQuery(Name = "tags")][property: Description("Tags as a JSON object of strings, for example {\"error\":\"true\",\"http.route\":\"/cart\"}; may repeat.")] string[]? Tags,
    [FromQuery(Name = "tag")][property: Description("One tag as key:value (the first ':' splits, so values may hold colons); may repeat.")] string[]? Tag,
    [FromQuery(Name = "start")][property: Description("Earliest span start, Unix microseconds.")] string? Start,
    [FromQuery(Name = "end")][property: Description("Latest span start, Unix microseconds; default now.")] string? End,
    [FromQuery(Name = "lookback")][property: Description("Window before end when start is absent, a Go duration (1h, 2d); 'custom' is ignored.")] string? Lookback,
    [FromQuery(Name = "minDuration")][property: Description("Shortest span duration, a Go duration with a unit (10ms, 1.5s); 0 means none.")] string? MinDuration,
    [FromQuery(Name = "maxDuration")][property: Description("Longest span duration, a Go duration with a unit; 0 means none.")] string? MaxDuration,
    [FromQuery(Name = "limit")][property: Description("Traces to return; default Query:DefaultLimit, at most Query:MaxLimit.")] string? Limit,
    [FromQuery(Name = "traceID")][property: Description("Return exactly these traces (hex IDs), in this order; other parameters are checked but do not filter. May repeat, at most Query:MaxLimit times.")] string[]? TraceId);

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
        api.MapGet("/traces", FindTraces).WithName("JaegerFindTraces").WithSummary("Jaeger: traces matching a search, newest first by trace start, or the traces named by traceID")
            .WithDescription("Without traceID, service is required (400 \"parameter 'service' is required\", as Jaeger); a trace matches when one of its spans "
                             + "starting between start and end satisfies every filter together, and traces come newest first by trace start (the earliest span start), then trace ID. With traceID (repeatable), "
                             + "the answer holds exactly those traces in the order asked, and an errors entry {\"msg\":\"trace not found\",\"traceID\":...} for each one missing.")
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

    /// <summary>
    /// Jaeger's search: by <c>traceID</c> when given (those traces, in the order asked; each missing one an error entry
    /// <c>{"msg":"trace not found","traceID":...}</c> beside the found ones, as Jaeger's <c>tracesByIDs</c> answers),
    /// else by the filters, which then need <c>service</c>, exact and newest first by trace start (<see cref="ExactTraceSearch"/>).
    /// Every parameter is checked either way, as Jaeger does.
    /// </summary>
    public static async Task<Ok<JaegerResponse<IReadOnlyList<JaegerTrace>>>> FindTraces(
        [AsParameters] JaegerSearchParameters parameters, [AsParameters] QueryServices services)
    {
        var now = services.Time.GetUtcNow();
        var criteria = Parse(parameters, now);
        var ids = TraceIds(parameters.TraceId, services.Options.Value.MaxLimit);
        if (ids.Count == 0 && string.IsNullOrEmpty(parameters.Service))
        {
            throw new QueryParameterException("parameter 'service' is required");
        }

        if (criteria is { MinDurationNanos: { } min, MaxDurationNanos: { } max } && max < min)
        {
            throw new QueryParameterException("'maxDuration' should be greater than 'minDuration'");
        }

        if (ids.Count > 0)
        {
            return TypedResults.Ok(await FindByIdsAsync(ids, services));
        }

        // A trace matches when one span in the range satisfies every filter together; the answer holds whole traces.
        var (query, limit) = criteria.Build(services.Options.Value, now);
        var found = await ExactTraceSearch.FindAsync(services, query, ExactTraceSearch.EveryCandidate, limit);
        services.MarkPartial(found.Search);
        services.Telemetry.Request("jaeger_search", found.Search.Partial ? "partial" : "ok");
        var data = found.Traces.Select(t => JaegerConverter.ToTrace(t.Spans)).ToList();
        return TypedResults.Ok(Envelope<IReadOnlyList<JaegerTrace>>(data, data.Count));
    }

    private static async Task<JaegerResponse<IReadOnlyList<JaegerTrace>>> FindByIdsAsync(List<byte[]> ids, QueryServices services)
    {
        var found = (await services.Traces.FindManyAsync(services.Tenant, [.. ids.DistinctBy(Convert.ToHexStringLower)], 0, ulong.MaxValue, services.Aborted)).Traces;

        var data = new List<JaegerTrace>(ids.Count);
        var errors = new List<JaegerError>();
        foreach (var hex in ids.Select(Convert.ToHexStringLower))
        {
            if (found.TryGetValue(hex, out var spans))
            {
                data.Add(JaegerConverter.ToTrace(spans));
            }
            else
            {
                errors.Add(new JaegerError(0, "trace not found", hex));
            }
        }

        services.Telemetry.Request("jaeger_search", errors.Count == 0 ? "ok" : "not_found");
        return new JaegerResponse<IReadOnlyList<JaegerTrace>>(data, data.Count, 0, 0, errors.Count > 0 ? errors : null);
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
            MinDurationNanos = GoDuration(p.MinDuration, "minDuration"),
            MaxDurationNanos = GoDuration(p.MaxDuration, "maxDuration"),
        };

        // The Jaeger UI sends lookback (1h, 2d, custom) with start; honour it only when start is absent.
        if (c.StartUnixNano is null && !string.IsNullOrEmpty(p.Lookback) && p.Lookback != "custom")
        {
            var lookback = (ulong)QueryParsing.Duration(p.Lookback, "lookback");
            var end = c.EndUnixNano ?? QueryParsing.ToUnixNano(now);
            c.StartUnixNano = end > lookback ? end - lookback : 0;
        }

        // A key given twice keeps its last value, tag= before tags=, as Jaeger's parseTags fills one map.
        var tags = new Dictionary<string, (string Value, string Parameter)>(StringComparer.Ordinal);
        foreach (var tag in p.Tag ?? [])
        {
            var (key, value) = QueryParsing.Tag(tag);
            tags[key] = (value, "tag");
        }

        foreach (var json in p.Tags ?? [])
        {
            foreach (var (key, value) in QueryParsing.JaegerTags(json))
            {
                tags[key] = (value, "tags");
            }
        }

        foreach (var (key, (value, parameter)) in tags)
        {
            AddTag(c, key, value, parameter);
        }

        return c;
    }

    /// <summary>
    /// One Jaeger tag filter. Most match a span attribute or else a resource attribute, by string form. The tags the
    /// OpenTelemetry translator derives from OTLP fields, and Jaeger v2's own special keys, become the field filters
    /// they stand for: <c>error</c> (true: status ERROR; false: status OK, as Jaeger v2's store reads it),
    /// <c>span.kind</c>, <c>span.status</c> and <c>otel.status_code</c>. A <c>resource.</c> prefix is dropped.
    /// </summary>
    internal static void AddTag(SearchCriteria c, string key, string value, string parameter)
    {
        switch (key)
        {
            case "error":
                c.StatusCode = GoBool(value, $"the error tag in {parameter}") ? 2 : 1;
                break;
            case "span.kind":
                c.AddTag(key, value);
                break;
            case "span.status" or "otel.status_code":
                c.StatusCode = value.ToUpperInvariant() switch
                {
                    "UNSET" => 0,
                    "OK" => 1,
                    "ERROR" => 2,
                    _ => throw new QueryParameterException($"the {key} tag in {parameter} must be one of OK, ERROR, UNSET, got '{value}'"),
                };
                break;
            default:
                c.Tags.Add(new KeyValuePair<string, string>(key.StartsWith("resource.", StringComparison.Ordinal) ? key[9..] : key, value));
                break;
        }
    }

    /// <summary>
    /// A Go duration as Jaeger parses it (<c>time.ParseDuration</c>): a bare number other than 0 has no unit and is an
    /// error. Zero means no bound, as in Jaeger's query parameters.
    /// </summary>
    internal static long? GoDuration(string? value, string name)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Trim() is var text && text.Length > 0 && text != "0" && text.All(char.IsAsciiDigit))
        {
            throw new QueryParameterException($"{name} must have a unit (ns, us, ms, s, m or h), for example {text}ms, got '{value}'");
        }

        var nanos = QueryParsing.Duration(value, name);
        return nanos == 0 ? null : nanos;
    }

    /// <summary>A boolean as Go's <c>strconv.ParseBool</c> reads it: 1, t, true, 0, f, false in any of its cases.</summary>
    internal static bool GoBool(string value, string name) => value switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => throw new QueryParameterException($"{name} must be true or false, got '{value}'"),
    };

    private static List<byte[]> TraceIds(string[]? values, int max)
    {
        if (values is { Length: > 0 } && values.Length > max)
        {
            throw new QueryParameterException($"traceID may be given at most {max} times (Query:MaxLimit), got {values.Length}");
        }

        return [.. (values ?? []).Select(v => QueryParsing.TraceId(v, "traceID", padShort: true))];
    }

    private static JaegerResponse<T> Envelope<T>(T data, int total) => new(data, total, 0, 0, null);

    /// <summary>An error in Jaeger's envelope, whose message Grafana shows.</summary>
    internal static JsonHttpResult<JaegerResponse<object>> Error(int code, string message, string? traceId = null) =>
        TypedResults.Json(new JaegerResponse<object>(null, 0, 0, 0, [new JaegerError(code, message, traceId)]), statusCode: code);
}
