using OtelStorage.Storage.Blocks;
using Query.Api.Reading;

namespace Query.Api.Apis;

/// <summary>A trace found by a search: the spans that matched (newest first) and the whole trace.</summary>
public sealed record FoundTrace(IReadOnlyList<StoredSpan> Matched, IReadOnlyList<StoredSpan> Spans);

/// <summary>Traces found by a search and the span search behind them.</summary>
public sealed record TraceSearchResult(IReadOnlyList<FoundTrace> Traces, SearchResult Search);

/// <summary>Trace search for the Jaeger and Tempo APIs: a distinct-trace span search, then each trace read by ID.</summary>
public static class TraceSearch
{
    public static async Task<TraceSearchResult> FindTracesAsync(QueryServices services, SpanQuery query, int limit)
    {
        var result = await services.Search.SearchTracesAsync(services.Tenant, query, limit, services.Aborted);
        services.MarkPartial(result);

        // Traces in the order of their newest matching span.
        var groups = result.Spans.GroupBy(s => s.Key.TraceId).Select(g => g.ToList()).ToList();
        var traces = new FoundTrace[groups.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, groups.Count),
            new ParallelOptions { MaxDegreeOfParallelism = services.Blocklist.Value.MaxConcurrentBlockReads, CancellationToken = services.Aborted },
            async (i, ct) =>
            {
                var id = groups[i][0].Span.TraceId.ToByteArray();
                var full = await services.Traces.FindAsync(services.Tenant, id, 0, ulong.MaxValue, ct);
                traces[i] = new FoundTrace(groups[i], full.Spans.Count > 0 ? full.Spans : TraceReader.Deduplicate(groups[i]));
            });
        return new TraceSearchResult(traces, result);
    }
}
