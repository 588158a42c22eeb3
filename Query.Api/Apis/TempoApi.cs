using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Evaluation;
using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;
using Query.Api.Formats;
using Query.Api.Reading;
using Query.Api.Search;
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
/// The Tempo-compatible API, enough for Grafana's Tempo data source: trace by ID, tag names and values
/// (<see cref="TempoTagsApi"/>), and search by
/// logfmt tags or by TraceQL (<see cref="TraceQLQuery"/>), exact and newest first by trace start (<see cref="ExactTraceSearch"/>).
/// <c>/api/traces/{id}</c> is shared with Jaeger (see <see cref="JaegerApi"/>); Tempo's JSON form is also served at
/// <c>/tempo/api/traces/{id}</c> (<c>{"batches":[...]}</c>) and <c>/api/v2/traces/{id}</c> (<c>{"trace":{...}}</c>).
/// </summary>
public static class TempoApi
{
    public static IEndpointRouteBuilder MapTempoApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ready", () => TypedResults.Text("ready")).WithTags("Tempo").WithName("TempoReady").WithSummary("Tempo: readiness");
        var api = app.MapGroup("/api").WithTags("Tempo").WithNativeParameterErrors();
        api.MapGet("/echo", () => TypedResults.Text("echo")).WithName("TempoEcho").WithSummary("Tempo: connection test");
        api.MapGet("/status/buildinfo", GetBuildInfo).WithName("TempoBuildInfo").WithSummary("Tempo: build information");
        api.MapGet("/search", Search).WithName("TempoSearch").WithSummary("Tempo: trace search (tags in logfmt, start/end in seconds)")
            .CountsBadRequestsAs("tempo_search");
        api.MapTempoTagsApi();
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

        var traceQl = string.IsNullOrWhiteSpace(parameters.Q) ? null : TraceQLSearch.Parse(parameters.Q);
        var (built, limit) = c.Build(services.Options.Value, services.Time.GetUtcNow());
        var perSet = string.IsNullOrEmpty(parameters.Spss) ? 3
            : int.TryParse(parameters.Spss, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
            : throw new QueryParameterException($"spss must be a positive integer, got '{parameters.Spss}'");

        // Tempo's minDuration and maxDuration bound the trace's duration, not a span's.
        var (minTrace, maxTrace) = (c.MinDurationNanos, c.MaxDurationNanos);
        var range = built with { MinDurationNanos = null, MaxDurationNanos = null };
        bool Within(TraceData trace) =>
            (minTrace is null && maxTrace is null) || (TraceDuration(trace) >= (minTrace ?? 0) && TraceDuration(trace) <= (maxTrace ?? long.MaxValue));
        TraceMatcher matcher = traceQl is null
            ? (trace, found) => Within(trace) ? [new SpansetResult([.. found.Select(s => new MatchedSpan(TraceQLAdapter.ToTraceSpan(s), []))], [])] : []
            : (trace, _) => Within(trace) ? traceQl.Evaluate(trace) : [];

        using var reads = MeteredObjectStore.BeginScope();
        var found = await TraceQLSearch.FindAsync(services, traceQl is null ? range : TraceQLPushdown.Apply(traceQl, range), matcher, limit);
        services.MarkPartial(found.Search);
        var traces = found.Traces.Select(t => ToMetadata(t, perSet)).ToList();
        services.Telemetry.Request("tempo_search", found.Search.Partial ? "partial" : "ok");
        return TypedResults.Ok(new TempoSearchResponse(
            traces,
            new TempoSearchMetrics(found.TracesInspected, reads.Statistics.Bytes.ToString(CultureInfo.InvariantCulture), found.Search.BlocksRead, found.Search.TotalBlocks)));
    }

    private static long TraceDuration(TraceData trace) =>
        trace.Spans.Count == 0 ? 0 : trace.Spans.Max(s => s.EndUnixNanos) - trace.Spans.Min(s => s.StartUnixNanos);

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

    private static TempoTraceSearchMetadata ToMetadata(TraceMatch trace, int perSet)
    {
        var spans = trace.Spans;
        // The root is the earliest span without a parent, as TraceQL's rootName and rootServiceName define it.
        var root = spans.Where(s => s.Span.ParentSpanId.IsEmpty).MinBy(s => s.StartTimeUnixNano);
        var end = spans.Max(s => s.Span.EndTimeUnixNano);
        var sets = trace.Spansets.Select(set => new TempoSpanSet(
            [.. set.Spans.Take(perSet).Select(ToTempoSpan)],
            set.Spans.Count,
            [.. set.Attributes.Select(a => ToTempoKeyValue(a.Name, a.Value)).OfType<TempoKeyValue>()])).ToList();
        return new TempoTraceSearchMetadata(
            Convert.ToHexStringLower(trace.TraceId),
            root?.ServiceName ?? "<root span not yet received>",
            root?.Span.Name ?? string.Empty,
            trace.StartUnixNano.ToString(CultureInfo.InvariantCulture),
            end > trace.StartUnixNano ? (long)((end - trace.StartUnixNano) / 1_000_000) : 0,
            sets[0],
            sets);
    }

    private static TempoSpan ToTempoSpan(MatchedSpan matched)
    {
        var s = matched.Span;
        var attributes = new List<TempoKeyValue>();
        foreach (var kv in s.ResourceAttributes.Where(a => a.Key == "service.name").Concat(s.Attributes))
        {
            if (ToTempoKeyValue(kv.Key, kv.Value) is { } attribute)
            {
                attributes.Add(attribute);
            }
        }

        // select()ed fields, by attribute name or intrinsic spelling, unless the span's own attributes already carry them.
        foreach (var selected in matched.Selected)
        {
            var key = selected.Field switch
            {
                AttributeReference a => a.Name,
                IntrinsicReference i => i.Spelling,
                var other => other.ToString(),
            };
            if (!attributes.Exists(a => a.Key == key) && ToTempoKeyValue(key, selected.Value) is { } attribute)
            {
                attributes.Add(attribute);
            }
        }

        return new TempoSpan(
            Convert.ToHexStringLower(s.SpanId),
            s.Name,
            s.StartUnixNanos.ToString(CultureInfo.InvariantCulture),
            Math.Max(0, s.DurationNanos).ToString(CultureInfo.InvariantCulture),
            attributes);
    }

    private static TempoKeyValue? ToTempoKeyValue(string key, TraceQLValue value)
    {
        TempoAnyValue? any = value.Type switch
        {
            TraceQLType.String => new TempoAnyValue(StringValue: value.AsString()),
            TraceQLType.Int => new TempoAnyValue(IntValue: value.AsInt().ToString(CultureInfo.InvariantCulture)),
            TraceQLType.Duration => new TempoAnyValue(IntValue: value.AsDurationNanoseconds().ToString(CultureInfo.InvariantCulture)),
            TraceQLType.Bool => new TempoAnyValue(BoolValue: value.AsBool()),
            TraceQLType.Float when double.IsFinite(value.AsDouble()) => new TempoAnyValue(DoubleValue: value.AsDouble()),
            TraceQLType.Status or TraceQLType.Kind => new TempoAnyValue(StringValue: value.ToString()),
            _ => null,
        };
        return any is null ? null : new TempoKeyValue(key, any);
    }
}
