using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenTelemetry.Proto.Common.V1;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using Query.Api.Formats;
using Query.Api.Reading;
using Query.Api.Telemetry;

namespace Query.Api.Apis;

/// <summary>Tempo's <c>/api/search</c> parameters: tags in logfmt, start/end in Unix seconds, durations as Go durations.</summary>
public sealed record TempoSearchParameters(
    string? Tags,
    string? MinDuration,
    string? MaxDuration,
    string? Limit,
    string? Start,
    string? End,
    string? Spss,
    string? Q);

/// <summary>
/// The Tempo-compatible API, enough for Grafana's Tempo data source: trace by ID, tag names and values, and search by
/// logfmt tags or by the TraceQL subset of <see cref="TraceQl"/> (what Grafana's search builder writes).
/// <c>/api/traces/{id}</c> is shared with Jaeger (see <see cref="JaegerApi"/>); Tempo's JSON form is also served at
/// <c>/tempo/api/traces/{id}</c> (<c>{"batches":[...]}</c>) and <c>/api/v2/traces/{id}</c> (<c>{"trace":{...}}</c>).
/// </summary>
public static class TempoApi
{
    /// <summary>Tags whose values come from block metadata; other tags have no value list without a span scan.</summary>
    private static readonly string[] ResourceTags = ["service.name"];

    private static readonly string[] SpanTags = ["http.request.method", "http.response.status_code", "http.route", "db.system.name"];

    private static readonly string[] KindValues = ["client", "consumer", "internal", "producer", "server", "unspecified"];

    private static readonly string[] IntrinsicTags = ["name", "status", "kind", "duration"];

    public static IEndpointRouteBuilder MapTempoApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ready", () => TypedResults.Text("ready")).WithTags("Tempo").WithName("TempoReady").WithSummary("Tempo: readiness");
        var api = app.MapGroup("/api").WithTags("Tempo").WithNativeParameterErrors();
        api.MapGet("/echo", () => TypedResults.Text("echo")).WithName("TempoEcho").WithSummary("Tempo: connection test");
        api.MapGet("/status/buildinfo", GetBuildInfo).WithName("TempoBuildInfo").WithSummary("Tempo: build information");
        api.MapGet("/search", Search).WithName("TempoSearch").WithSummary("Tempo: trace search (tags in logfmt, start/end in seconds)")
            .CountsBadRequestsAs("tempo_search");
        api.MapGet("/search/tags", GetTags).WithName("TempoSearchTags").WithSummary("Tempo: searchable tag names");
        api.MapGet("/v2/search/tags", GetTagsV2).WithName("TempoSearchTagsV2").WithSummary("Tempo: searchable tag names by scope");
        api.MapGet("/search/tag/{tag}/values", GetTagValues).WithName("TempoSearchTagValues").WithSummary("Tempo: values of a tag");
        api.MapGet("/v2/search/tag/{tag}/values", GetTagValuesV2).WithName("TempoSearchTagValuesV2").WithSummary("Tempo: typed values of a tag");
        api.MapGet("/v2/traces/{traceId}", GetTraceV2).WithName("TempoGetTraceV2").WithSummary("Tempo: a trace by ID ({\"trace\":{...}} or TraceByIDResponse protobuf)");
        app.MapGet("/tempo/api/traces/{traceId}", GetTraceV1).WithTags("Tempo").WithName("TempoGetTrace").WithNativeParameterErrors()
            .WithSummary("Tempo: a trace by ID ({\"batches\":[...]} or protobuf), the JSON form /api/traces/{id} gives to Jaeger");
        return app;
    }

    public static Ok<TempoBuildInfo> GetBuildInfo()
    {
        var version = typeof(TempoApi).Assembly.GetName().Version?.ToString() ?? "0.0.0";
        // Grafana reads the version to pick features; a 2.x version enables the v2 routes served here.
        return TypedResults.Ok(new TempoBuildInfo("2.6.0", version, "main", "otelstorage", string.Empty, "otelstorage (.NET " + Environment.Version.ToString(3) + ")"));
    }

    public static async Task<Ok<TempoSearchResponse>> Search(
        [AsParameters] TempoSearchParameters parameters, [AsParameters] QueryServices services)
    {
        var c = new SearchCriteria
        {
            Limit = SpansApi.ParseLimit(parameters.Limit),
            StartUnixNano = string.IsNullOrEmpty(parameters.Start) ? null : QueryParsing.UnixTime(parameters.Start, "start", 1_000_000_000, "seconds"),
            EndUnixNano = string.IsNullOrEmpty(parameters.End) ? null : QueryParsing.UnixTime(parameters.End, "end", 1_000_000_000, "seconds"),
            MinDurationNanos = string.IsNullOrEmpty(parameters.MinDuration) ? null : QueryParsing.Duration(parameters.MinDuration, "minDuration"),
            MaxDurationNanos = string.IsNullOrEmpty(parameters.MaxDuration) ? null : QueryParsing.Duration(parameters.MaxDuration, "maxDuration"),
        };
        foreach (var (key, value) in QueryParsing.Logfmt(parameters.Tags ?? string.Empty))
        {
            c.AddTag(key, value);
        }

        if (!string.IsNullOrWhiteSpace(parameters.Q))
        {
            TraceQl.Apply(parameters.Q, c);
        }

        var (query, limit) = c.Build(services.Options.Value, services.Time.GetUtcNow());
        var perSet = string.IsNullOrEmpty(parameters.Spss) ? 3
            : int.TryParse(parameters.Spss, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
            : throw new QueryParameterException($"spss must be a positive integer, got '{parameters.Spss}'");

        using var reads = MeteredObjectStore.BeginScope();
        var found = await TraceSearch.FindTracesAsync(services, query, limit);
        var traces = found.Traces.Select(t => ToMetadata(t, perSet)).ToList();
        services.Telemetry.Request("tempo_search", "ok");
        return TypedResults.Ok(new TempoSearchResponse(
            traces,
            new TempoSearchMetrics(traces.Count, reads.Statistics.Bytes.ToString(CultureInfo.InvariantCulture), found.Search.BlocksRead, found.Search.TotalBlocks)));
    }

    public static Ok<TempoTagNames> GetTags() => TypedResults.Ok(new TempoTagNames([.. ResourceTags, .. SpanTags, .. IntrinsicTags]));

    public static Ok<TempoTagScopes> GetTagsV2() => TypedResults.Ok(new TempoTagScopes(
    [
        new TempoTagScope("resource", ResourceTags),
        new TempoTagScope("span", SpanTags),
        new TempoTagScope("intrinsic", IntrinsicTags),
    ]));

    public static async Task<Ok<TempoTagValuesV1>> GetTagValues(string tag, [AsParameters] QueryServices services) =>
        TypedResults.Ok(new TempoTagValuesV1([.. (await TagValuesAsync(tag, services)).Select(v => v.Value)]));

    public static async Task<Ok<TempoTagValues>> GetTagValuesV2(string tag, [AsParameters] QueryServices services) =>
        TypedResults.Ok(new TempoTagValues(await TagValuesAsync(tag, services)));

    public static Task<Results<TraceResult, JsonHttpResult<ErrorResponse>>> GetTraceV1(string traceId, [AsParameters] QueryServices services) =>
        GetTraceAsync(traceId, services, v2: false);

    public static Task<Results<TraceResult, JsonHttpResult<ErrorResponse>>> GetTraceV2(string traceId, [AsParameters] QueryServices services) =>
        GetTraceAsync(traceId, services, v2: true);

    private static async Task<Results<TraceResult, JsonHttpResult<ErrorResponse>>> GetTraceAsync(string traceId, QueryServices services, bool v2)
    {
        var id = QueryParsing.TraceId(traceId, "traceId", padShort: true);
        var result = await services.Traces.FindAsync(services.Tenant, id, 0, ulong.MaxValue, services.Aborted);
        services.Telemetry.Request("tempo_trace", result.Spans.Count == 0 ? "not_found" : "ok");
        if (result.Spans.Count == 0)
        {
            return ErrorResults.NotFound($"trace {Convert.ToHexStringLower(id)} was not found");
        }

        var data = OtlpAssembler.ToTracesData(result.Spans, deduplicate: false);
        // v1: tempopb.Trace (field 1 batches = ResourceSpans), the same bytes as TracesData; v2: TraceByIDResponse,
        // whose field 1 is that Trace. In JSON, v1 names the array "batches" and v2 puts the trace under "trace".
        return services.WantsProtobuf
            ? TraceResult.Protobuf(data, "application/protobuf", wrapInField1: v2)
            : v2 ? TraceResult.Json(data, wrapper: "trace") : TraceResult.Json(data, "batches");
    }

    private static async Task<IReadOnlyList<TempoTagValue>> TagValuesAsync(string tag, QueryServices services)
    {
        var key = tag.StartsWith("resource.", StringComparison.Ordinal) ? tag[9..] : tag.StartsWith("span.", StringComparison.Ordinal) ? tag[5..] : tag;
        switch (key)
        {
            case "service.name":
                var list = await services.Metadata.ServicesAsync(services.Tenant, 0, ulong.MaxValue, services.Aborted);
                return [.. list.Select(s => new TempoTagValue("string", s.Name))];
            case "name":
                var set = await services.Http.RequestServices.GetRequiredService<BlockCatalog>().GetAsync(services.Tenant, services.Aborted);
                return [.. set.NewestFirst.SelectMany(b => b.Operations.Values.SelectMany(o => o)).Distinct().Order(StringComparer.Ordinal).Select(n => new TempoTagValue("string", n))];
            case "status":
                return [new TempoTagValue("keyword", "error"), new TempoTagValue("keyword", "ok"), new TempoTagValue("keyword", "unset")];
            case "kind":
                return [.. KindValues.Select(k => new TempoTagValue("keyword", k))];
            default:
                return [];
        }
    }

    private static TempoTraceSearchMetadata ToMetadata(FoundTrace trace, int perSet)
    {
        var spans = trace.Spans;
        var root = spans.FirstOrDefault(s => s.Span.ParentSpanId.IsEmpty);
        var start = spans.Min(s => s.StartTimeUnixNano);
        var end = spans.Max(s => s.Span.EndTimeUnixNano);
        var set = new TempoSpanSet([.. trace.Matched.Take(perSet).Select(ToTempoSpan)], trace.Matched.Count);
        return new TempoTraceSearchMetadata(
            Convert.ToHexStringLower(spans[0].Span.TraceId.Span),
            root?.ServiceName ?? "<root span not yet received>",
            root?.Span.Name ?? string.Empty,
            start.ToString(CultureInfo.InvariantCulture),
            end > start ? (long)((end - start) / 1_000_000) : 0,
            set,
            [set]);
    }

    private static TempoSpan ToTempoSpan(StoredSpan stored)
    {
        var s = stored.Span;
        var attributes = new List<TempoKeyValue> { new("service.name", new TempoAnyValue(StringValue: stored.ServiceName)) };
        foreach (var kv in s.Attributes)
        {
            if (ToTempoValue(kv.Value) is { } value)
            {
                attributes.Add(new TempoKeyValue(kv.Key, value));
            }
        }

        return new TempoSpan(
            Convert.ToHexStringLower(s.SpanId.Span),
            s.Name,
            s.StartTimeUnixNano.ToString(CultureInfo.InvariantCulture),
            (s.EndTimeUnixNano >= s.StartTimeUnixNano ? s.EndTimeUnixNano - s.StartTimeUnixNano : 0).ToString(CultureInfo.InvariantCulture),
            attributes);
    }

    private static TempoAnyValue? ToTempoValue(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => new TempoAnyValue(StringValue: value.StringValue),
        AnyValue.ValueOneofCase.IntValue => new TempoAnyValue(IntValue: value.IntValue.ToString(CultureInfo.InvariantCulture)),
        AnyValue.ValueOneofCase.BoolValue => new TempoAnyValue(BoolValue: value.BoolValue),
        AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(value.DoubleValue) => new TempoAnyValue(DoubleValue: value.DoubleValue),
        _ => null,
    };
}
