using Microsoft.AspNetCore.Http.HttpResults;
using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL;
using Query.Api.Formats;
using Query.Api.Reading;
using Query.Api.Search;
using Query.Api.Telemetry;

namespace Query.Api.Apis;

/// <summary>The filters of <c>GET /spans</c>; times are RFC 3339 or Unix nanoseconds, durations Go durations.</summary>
public sealed record SpanSearchParameters(
    string? Limit,
    string? Service,
    string? Operation,
    string? Start,
    string? End,
    string? MinDuration,
    string? MaxDuration,
    string? Status,
    string[]? Tag,
    string? Q);

/// <summary>The native span search.</summary>
public static class SpansApi
{
    public static IEndpointRouteBuilder MapSpansApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/spans").WithTags("Spans").WithNativeParameterErrors()
            .MapGet("/", SearchSpans)
            .WithName("SearchSpans")
            .CountsBadRequestsAs("spans")
            .WithSummary("Spans matching every filter, newest first")
            .WithDescription("Order: start time descending, then trace ID and span ID ascending, so the same query over the same data gives the same answer. "
                             + "limit defaults to Query:DefaultLimit and may not exceed Query:MaxLimit; start defaults to end minus Query:DefaultSearchRange and end to now; "
                             + "the range may not exceed Query:MaxSearchRange. tag=key:value may repeat. "
                             + "q is a TraceQL query: the answer is then the spans it matched in the newest matching traces (newest first by trace start), "
                             + "at most limit spans, and the other filters narrow the spans that make a trace a candidate.");
        return app;
    }

    public static async Task<Ok<SpansResponse>> SearchSpans(
        [AsParameters] SpanSearchParameters parameters,
        [AsParameters] QueryServices services)
    {
        var traceQl = string.IsNullOrWhiteSpace(parameters.Q) ? null : TraceQLSearch.Parse(parameters.Q);
        var (query, limit) = Parse(parameters).Build(services.Options.Value, services.Time.GetUtcNow());
        using var reads = MeteredObjectStore.BeginScope();
        if (traceQl is not null)
        {
            return TypedResults.Ok(await SearchTraceQLAsync(traceQl, query, limit, services, reads));
        }

        var result = await services.Search.SearchSpansAsync(services.Tenant, query, limit, services.Aborted);
        services.Telemetry.Request("spans", result.Partial ? "partial" : "ok");
        services.MarkPartial(result);
        return TypedResults.Ok(new SpansResponse(
            [.. result.Spans.Select(SpanSummary.From)],
            limit,
            new SearchMetrics(result.TotalBlocks, result.BlocksConsidered, result.BlocksRead, reads.Statistics.Bytes),
            result.Partial,
            result.PartialReason));
    }

    private static async Task<SpansResponse> SearchTraceQLAsync(TraceQLQuery traceQl, SpanQuery query, int limit, QueryServices services, MeteredObjectStore.Scope reads)
    {
        var found = await TraceQLSearch.FindAsync(services, TraceQLPushdown.Apply(traceQl, query), (trace, _) => traceQl.Evaluate(trace), limit);
        var spans = new List<StoredSpan>();
        foreach (var trace in found.Traces)
        {
            var matched = trace.Spansets.SelectMany(set => set.Spans).Select(m => Convert.ToHexStringLower(m.Span.SpanId)).ToHashSet(StringComparer.Ordinal);
            spans.AddRange(trace.Spans.Where(s => matched.Contains(Convert.ToHexStringLower(s.Span.SpanId.Span))));
        }

        spans.Sort(StoredSpan.NewestFirst);
        services.Telemetry.Request("spans", found.Search.Partial ? "partial" : "ok");
        services.MarkPartial(found.Search);
        return new SpansResponse(
            [.. spans.Take(limit).Select(SpanSummary.From)],
            limit,
            new SearchMetrics(found.Search.TotalBlocks, found.Search.BlocksConsidered, found.Search.BlocksRead, reads.Statistics.Bytes),
            found.Search.Partial,
            found.Search.PartialReason);
    }

    private static SearchCriteria Parse(SpanSearchParameters p)
    {
        var c = new SearchCriteria
        {
            Service = p.Service,
            Operation = p.Operation,
            Limit = ParseLimit(p.Limit),
            StartUnixNano = string.IsNullOrEmpty(p.Start) ? null : QueryParsing.Time(p.Start, "start"),
            EndUnixNano = string.IsNullOrEmpty(p.End) ? null : QueryParsing.Time(p.End, "end"),
            MinDurationNanos = string.IsNullOrEmpty(p.MinDuration) ? null : QueryParsing.Duration(p.MinDuration, "minDuration"),
            MaxDurationNanos = string.IsNullOrEmpty(p.MaxDuration) ? null : QueryParsing.Duration(p.MaxDuration, "maxDuration"),
            StatusCode = string.IsNullOrEmpty(p.Status) ? null : QueryParsing.Status(p.Status),
        };
        foreach (var tag in p.Tag ?? [])
        {
            var (key, value) = QueryParsing.Tag(tag);
            c.AddTag(key, value);
        }

        return c;
    }

    internal static int? ParseLimit(string? limit) =>
        string.IsNullOrEmpty(limit) ? null
        : int.TryParse(limit, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw new QueryParameterException($"limit must be an integer, got '{limit}'");
}
