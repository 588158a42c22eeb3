using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using Query.Api.Formats;
using Query.Api.Reading;
using Query.Api.Search;

namespace Query.Api.Apis;

/// <summary>
/// <c>GET /api/v3/traces</c>: api_v3's <c>TraceQueryParameters</c> under proto3 JSON names, each beside the snake_case
/// name of earlier Jaeger releases, which Jaeger still accepts (the proto3 name wins when both are given).
/// </summary>
public sealed class JaegerV3SearchParameters
{
    [FromQuery(Name = "query.serviceName"), Description("Service name (resource service.name).")]
    public string? ServiceName { get; init; }

    [FromQuery(Name = "query.service_name"), Description("Older name of query.serviceName.")]
    public string? ServiceNameSnake { get; init; }

    [FromQuery(Name = "query.operationName"), Description("Span name.")]
    public string? OperationName { get; init; }

    [FromQuery(Name = "query.operation_name"), Description("Older name of query.operationName.")]
    public string? OperationNameSnake { get; init; }

    [FromQuery(Name = "query.attributes"), Description("Attributes a span must all have, as a JSON object of strings, for example {\"http.route\":\"/cart\",\"error\":\"true\"}.")]
    public string? Attributes { get; init; }

    [FromQuery(Name = "query.startTimeMin"), Description("Required. Earliest span start, inclusive, RFC 3339 (2026-11-25T09:00:00Z, up to nanoseconds).")]
    public string? StartTimeMin { get; init; }

    [FromQuery(Name = "query.start_time_min"), Description("Older name of query.startTimeMin.")]
    public string? StartTimeMinSnake { get; init; }

    [FromQuery(Name = "query.startTimeMax"), Description("Required. Latest span start, exclusive, RFC 3339.")]
    public string? StartTimeMax { get; init; }

    [FromQuery(Name = "query.start_time_max"), Description("Older name of query.startTimeMax.")]
    public string? StartTimeMaxSnake { get; init; }

    [FromQuery(Name = "query.durationMin"), Description("Shortest span duration, a Go duration with a unit (10ms, 1.5s).")]
    public string? DurationMin { get; init; }

    [FromQuery(Name = "query.duration_min"), Description("Older name of query.durationMin.")]
    public string? DurationMinSnake { get; init; }

    [FromQuery(Name = "query.durationMax"), Description("Longest span duration, a Go duration with a unit.")]
    public string? DurationMax { get; init; }

    [FromQuery(Name = "query.duration_max"), Description("Older name of query.durationMax.")]
    public string? DurationMaxSnake { get; init; }

    [FromQuery(Name = "query.searchDepth"), Description("Traces to return, newest first; default 100 (at most Query:MaxLimit).")]
    public string? SearchDepth { get; init; }

    [FromQuery(Name = "query.search_depth"), Description("Older name of query.searchDepth.")]
    public string? SearchDepthSnake { get; init; }

    [FromQuery(Name = "query.num_traces"), Description("Oldest name of query.searchDepth.")]
    public string? NumTraces { get; init; }

    [FromQuery(Name = "query.rawTraces"), Description("true or false. Accepted; traces are always returned as stored (no clock-skew adjustment).")]
    public string? RawTraces { get; init; }

    [FromQuery(Name = "query.raw_traces"), Description("Older name of query.rawTraces.")]
    public string? RawTracesSnake { get; init; }

    [FromQuery(Name = "query.filter"), Description("Jaeger's experimental structured filter (off by default in Jaeger): refused with a 400 here too.")]
    public string? Filter { get; init; }
}

/// <summary><c>GET /api/v3/traces/{trace_id}</c>: an optional window of blocks to look in, and <c>rawTraces</c>.</summary>
public sealed class JaegerV3TraceParameters
{
    [FromQuery(Name = "startTime"), Description("Only blocks holding spans at or after this time are read, RFC 3339.")]
    public string? StartTime { get; init; }

    [FromQuery(Name = "start_time"), Description("Older name of startTime.")]
    public string? StartTimeSnake { get; init; }

    [FromQuery(Name = "endTime"), Description("Only blocks holding spans at or before this time are read, RFC 3339.")]
    public string? EndTime { get; init; }

    [FromQuery(Name = "end_time"), Description("Older name of endTime.")]
    public string? EndTimeSnake { get; init; }

    [FromQuery(Name = "rawTraces"), Description("true or false. Accepted; traces are always returned as stored.")]
    public string? RawTraces { get; init; }

    [FromQuery(Name = "raw_traces"), Description("Older name of rawTraces.")]
    public string? RawTracesSnake { get; init; }
}

/// <summary><c>GET /api/v3/operations</c>: the service, and optionally a span kind.</summary>
public sealed class JaegerV3OperationsParameters
{
    [FromQuery(Name = "service"), Description("Required. The service whose operations to list.")]
    public string? Service { get; init; }

    [FromQuery(Name = "spanKind"), Description("server, client, producer, consumer or internal; absent for every kind.")]
    public string? SpanKind { get; init; }

    [FromQuery(Name = "span_kind"), Description("Older name of spanKind.")]
    public string? SpanKindSnake { get; init; }
}

/// <summary>
/// Jaeger v2's OTLP-based query API (api_v3: jaeger-idl's proto/api_v3/query_service.proto, as jaeger's
/// cmd/query/app/apiv3/http_gateway.go serves it over HTTP). Traces come as OTLP JSON inside
/// <c>{"result":{"resourceSpans":[...]}}</c>; errors as <c>{"error":{"httpCode":400,"message":"..."}}</c>; a search or
/// lookup that finds nothing is a 404 "No traces found", as Jaeger answers.
/// </summary>
public static partial class JaegerV3Api
{
    /// <summary>Jaeger's default <c>query.searchDepth</c>.</summary>
    private const int DefaultSearchDepth = 100;

    private static readonly string[] SpanKinds = ["server", "client", "producer", "consumer", "internal"];

    public static IEndpointRouteBuilder MapJaegerV3Api(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v3").WithTags("Jaeger v3").WithJaegerV3ParameterErrors();
        api.MapGet("/services", GetServices).WithName("JaegerV3Services").WithSummary("Jaeger api_v3: service names, {\"services\":[...]}");
        api.MapGet("/operations", GetOperations).WithName("JaegerV3Operations")
            .WithSummary("Jaeger api_v3: a service's operations, {\"operations\":[{\"name\",\"spanKind\"}]}")
            .WithDescription("An operation whose spans have no kind is listed as internal, as Jaeger does.");
        api.MapGet("/traces", FindTraces).WithName("JaegerV3FindTraces").CountsBadRequestsAs("jaeger_v3_search")
            .WithSummary("Jaeger api_v3: traces with a span matching every filter, newest first by trace start, as OTLP JSON in {\"result\":{...}}")
            .WithDescription("query.startTimeMin and query.startTimeMax are required; their range may not exceed Query:MaxSearchRange. "
                             + "Filters apply to one span (as in Jaeger): service, operation, attributes and durations. No match is a 404 \"No traces found\".")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        api.MapGet("/traces/{trace_id}", GetTrace).WithName("JaegerV3GetTrace").CountsBadRequestsAs("jaeger_v3_trace")
            .WithSummary("Jaeger api_v3: a trace by ID (hex, 64 or 128 bits) as OTLP JSON in {\"result\":{...}}")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return app;
    }

    public static async Task<Ok<JaegerV3Services>> GetServices([AsParameters] QueryServices services)
    {
        var list = await services.Metadata.ServicesAsync(services.Tenant, 0, ulong.MaxValue, services.Aborted);
        return TypedResults.Ok(new JaegerV3Services([.. list.Select(s => s.Name)]));
    }

    public static async Task<Ok<JaegerV3Operations>> GetOperations([AsParameters] JaegerV3OperationsParameters parameters, [AsParameters] QueryServices services)
    {
        if (string.IsNullOrEmpty(parameters.Service))
        {
            throw new QueryParameterException("service is required, for example /api/v3/operations?service=frontend");
        }

        var (kind, kindName) = Either(parameters.SpanKind, "spanKind", parameters.SpanKindSnake, "span_kind");
        if (kind is not null && !SpanKinds.Contains(kind, StringComparer.OrdinalIgnoreCase))
        {
            throw new QueryParameterException($"{kindName} must be one of {string.Join(", ", SpanKinds)}, got '{kind}'");
        }

        var operations = await services.Metadata.OperationsAsync(services.Tenant, parameters.Service, 0, ulong.MaxValue, services.Aborted);
        var list = operations
            .Select(o => (o.Name, Kind: JaegerConverter.KindName((Span.Types.SpanKind)o.Kind) ?? string.Empty))
            .Where(o => kind is null || string.Equals(o.Kind, kind, StringComparison.OrdinalIgnoreCase))
            .Select(o => new JaegerV3Operation(o.Name, o.Kind.Length == 0 ? "internal" : o.Kind))
            .Distinct()
            .ToList();
        return TypedResults.Ok(new JaegerV3Operations(list));
    }

    public static async Task<Results<TraceResult, JsonHttpResult<JaegerV3Error>>> FindTraces(
        [AsParameters] JaegerV3SearchParameters parameters, [AsParameters] QueryServices services)
    {
        var options = services.Options.Value;
        if (!string.IsNullOrEmpty(parameters.Filter))
        {
            throw new QueryParameterException("query.filter (Jaeger's experimental structured filter, off by default in Jaeger) is not supported: use query.attributes, or TraceQL on /api/search");
        }

        var (minText, minName) = Either(parameters.StartTimeMin, "query.startTimeMin", parameters.StartTimeMinSnake, "query.start_time_min");
        var (maxText, maxName) = Either(parameters.StartTimeMax, "query.startTimeMax", parameters.StartTimeMaxSnake, "query.start_time_max");
        if (minText is null || maxText is null)
        {
            throw new QueryParameterException("query.startTimeMin and query.startTimeMax are required, as RFC 3339 times such as 2026-11-25T09:00:00Z");
        }

        var start = Rfc3339(minText, minName);
        var end = Rfc3339(maxText, maxName);
        if (start >= end)
        {
            throw new QueryParameterException($"{minName} must be before {maxName}");
        }

        if (end - start > (ulong)options.MaxSearchRange.Ticks * 100)
        {
            throw new QueryParameterException(
                $"the time range from {minName} to {maxName} is {TimeSpan.FromTicks((long)Math.Min((end - start) / 100, (ulong)TimeSpan.MaxValue.Ticks))}, wider than the maximum of {options.MaxSearchRange} (Query:MaxSearchRange): narrow it");
        }

        var (depthText, depthName) = Either(parameters.SearchDepth, "query.searchDepth", parameters.SearchDepthSnake, "query.search_depth");
        if (depthText is null && !string.IsNullOrEmpty(parameters.NumTraces))
        {
            (depthText, depthName) = (parameters.NumTraces, "query.num_traces");
        }

        var limit = depthText is null ? Math.Min(DefaultSearchDepth, options.MaxLimit)
            : int.TryParse(depthText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var depth) && depth >= 1 && depth <= options.MaxLimit ? depth
            : throw new QueryParameterException($"{depthName} must be an integer between 1 and {options.MaxLimit} (Query:MaxLimit), got '{depthText}'");

        var (durationMinText, durationMinName) = Either(parameters.DurationMin, "query.durationMin", parameters.DurationMinSnake, "query.duration_min");
        var (durationMaxText, durationMaxName) = Either(parameters.DurationMax, "query.durationMax", parameters.DurationMaxSnake, "query.duration_max");
        var durationMin = JaegerApi.GoDuration(durationMinText, durationMinName);
        var durationMax = JaegerApi.GoDuration(durationMaxText, durationMaxName);
        if (durationMin is { } min && durationMax is { } max && max < min)
        {
            throw new QueryParameterException($"{durationMaxName} must not be less than {durationMinName}");
        }

        var (raw, rawName) = Either(parameters.RawTraces, "query.rawTraces", parameters.RawTracesSnake, "query.raw_traces");
        if (raw is not null)
        {
            JaegerApi.GoBool(raw, rawName);
        }

        var criteria = new SearchCriteria
        {
            Service = Either(parameters.ServiceName, "", parameters.ServiceNameSnake, "").Value,
            Operation = Either(parameters.OperationName, "", parameters.OperationNameSnake, "").Value,
            StartUnixNano = start,
            EndUnixNano = end - 1, // start_time_max is exclusive
            MinDurationNanos = durationMin,
            MaxDurationNanos = durationMax,
            Limit = limit,
        };
        if (!string.IsNullOrEmpty(parameters.Attributes))
        {
            foreach (var (key, value) in QueryParsing.JaegerTags(parameters.Attributes, "query.attributes"))
            {
                JaegerApi.AddTag(criteria, key, value, "query.attributes");
            }
        }

        var (query, _) = criteria.Build(options, services.Time.GetUtcNow());
        var found = await ExactTraceSearch.FindAsync(services, query, ExactTraceSearch.EveryCandidate, limit);
        services.MarkPartial(found.Search);
        var traces = found.Traces;
        services.Telemetry.Request("jaeger_v3_search", traces.Count == 0 ? "not_found" : found.Search.Partial ? "partial" : "ok");
        if (traces.Count == 0)
        {
            return NoTraces();
        }

        // One ResourceSpans per resource of each trace, traces newest first, as Jaeger appends each trace's.
        var data = new TracesData();
        foreach (var trace in traces)
        {
            data.ResourceSpans.Add(OtlpAssembler.ToTracesData(trace.Spans, deduplicate: false).ResourceSpans);
        }

        return TraceResult.Json(data, wrapper: "result");
    }

    public static async Task<Results<TraceResult, JsonHttpResult<JaegerV3Error>>> GetTrace(
        [FromRoute(Name = "trace_id"), Description("Hex trace ID, 64 or 128 bits (shorter IDs are padded with leading zeros).")] string traceId,
        [AsParameters] JaegerV3TraceParameters parameters,
        [AsParameters] QueryServices services)
    {
        var id = QueryParsing.TraceId(traceId, "trace_id", padShort: true);
        var (startText, startName) = Either(parameters.StartTime, "startTime", parameters.StartTimeSnake, "start_time");
        var (endText, endName) = Either(parameters.EndTime, "endTime", parameters.EndTimeSnake, "end_time");
        var start = startText is null ? 0 : Rfc3339(startText, startName);
        var end = endText is null ? ulong.MaxValue : Rfc3339(endText, endName);
        if (start > end)
        {
            throw new QueryParameterException($"{startName} must not be after {endName}");
        }

        var (raw, rawName) = Either(parameters.RawTraces, "rawTraces", parameters.RawTracesSnake, "raw_traces");
        if (raw is not null)
        {
            JaegerApi.GoBool(raw, rawName);
        }

        var result = await services.Traces.FindAsync(services.Tenant, id, start, end, services.Aborted);
        services.Telemetry.Request("jaeger_v3_trace", result.Spans.Count == 0 ? "not_found" : "ok");
        return result.Spans.Count == 0
            ? NoTraces()
            : TraceResult.Json(OtlpAssembler.ToTracesData(result.Spans, deduplicate: false), wrapper: "result");
    }

    /// <summary>An error in api_v3's gateway shape.</summary>
    internal static JsonHttpResult<JaegerV3Error> Error(int code, string message) =>
        TypedResults.Json(new JaegerV3Error(new JaegerV3ErrorDetails(code, message)), statusCode: code);

    private static JsonHttpResult<JaegerV3Error> NoTraces() => Error(StatusCodes.Status404NotFound, "No traces found");

    /// <summary>The first non-empty of a parameter's two names, with the name it came under.</summary>
    private static (string? Value, string Name) Either(string? current, string currentName, string? older, string olderName) =>
        !string.IsNullOrEmpty(current) ? (current, currentName)
        : !string.IsNullOrEmpty(older) ? (older, olderName)
        : (null, currentName);

    /// <summary>An RFC 3339 time with up to nanosecond fractions, as Go's <c>time.RFC3339Nano</c> parses it, in Unix nanoseconds.</summary>
    private static ulong Rfc3339(string text, string name)
    {
        var match = Rfc3339Pattern().Match(text);
        if (!match.Success
            || !DateTimeOffset.TryParseExact(
                match.Groups["seconds"].Value + (match.Groups["zone"].Value == "Z" ? "+00:00" : match.Groups["zone"].Value),
                "yyyy-MM-dd'T'HH:mm:sszzz",
                CultureInfo.InvariantCulture,
                DateTimeStyles.None,
                out var seconds))
        {
            throw new QueryParameterException($"{name} must be an RFC 3339 time such as 2026-11-25T09:00:00Z or 2026-11-25T09:00:00.123456789+01:00, got '{text}'");
        }

        if (seconds < DateTimeOffset.UnixEpoch)
        {
            throw new QueryParameterException($"{name} must not be before 1970-01-01T00:00:00Z, got '{text}'");
        }

        var fraction = match.Groups["fraction"].Value;
        var nanos = fraction.Length == 0 ? 0 : ulong.Parse(fraction.PadRight(9, '0'), CultureInfo.InvariantCulture);
        return QueryParsing.ToUnixNano(seconds) + nanos;
    }

    [GeneratedRegex(@"^(?<seconds>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.(?<fraction>[0-9]{1,9}))?(?<zone>Z|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339Pattern();
}
