using OtelStorage.Storage.Blocks;
using OtelStorage.TraceQL.Evaluation;
using OtelStorage.TraceQL.Model;
using Query.Api.Apis;
using Query.Api.Reading;

namespace Query.Api.Search;

/// <summary>Decides whether a whole trace matches: the span sets it yields, empty when it does not. <paramref name="candidates"/> are the trace's spans the candidate search found.</summary>
public delegate IReadOnlyList<SpansetResult> TraceMatcher(TraceData trace, IReadOnlyList<StoredSpan> candidates);

/// <summary>A matching trace: every span of it (de-duplicated, by start), its start, and the span sets it yielded.</summary>
public sealed record TraceMatch(byte[] TraceId, IReadOnlyList<StoredSpan> Spans, ulong StartUnixNano, IReadOnlyList<SpansetResult> Spansets);

/// <summary>The matching traces, newest first by trace start then trace ID, and what was read to find them.</summary>
public sealed record TraceMatches(IReadOnlyList<TraceMatch> Traces, int TracesInspected, SearchResult Search);

/// <summary>
/// Trace search that is exact and newest first by trace start (the earliest start of any span of the whole trace).
/// Candidate traces come from the span search, in order of their newest candidate span, page by page; each is read
/// whole by ID across blocks and handed to a <see cref="TraceMatcher"/>; it matches when one of the spans of the span
/// sets it yields starts within the query's time range, so that the range means the same whatever was pushed down.
/// Reading stops when <c>limit</c> traces match
/// and the next candidate's newest candidate span starts before the <c>limit</c>-th newest trace start found: a trace
/// starts no later than any of its spans, so no later candidate can start after that one. It also stops when no
/// candidate is left, or when <c>Query:SearchTimeout</c> passes (the answer is then marked partial).
/// </summary>
public static class ExactTraceSearch
{
    /// <summary>
    /// The matcher of searches that span filters decide alone (Jaeger's, Tempo's tags): every candidate trace matches,
    /// with its candidate spans as its one span set.
    /// </summary>
    public static readonly TraceMatcher EveryCandidate = static (_, found) => [new SpansetResult([.. found.Select(s => new MatchedSpan(TraceQLAdapter.ToTraceSpan(s), []))], [])];

    private static readonly IComparer<byte[]> Bytewise = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));

    /// <summary>The newest <paramref name="limit"/> traces, by trace start, among those with a span matching <paramref name="candidates"/> that <paramref name="matcher"/> accepts.</summary>
    public static async Task<TraceMatches> FindAsync(QueryServices services, SpanQuery candidates, TraceMatcher matcher, int limit)
    {
        var timeout = services.Options.Value.SearchTimeout;
        var started = services.Time.GetTimestamp();
        var processed = new HashSet<UInt128>();
        var matches = new List<TraceMatch>();
        var end = candidates.EndUnixNano;
        var pageSize = Math.Max(limit * 10, 100);
        var partial = false;
        int considered = 0, read = 0, total = 0;
        // Each page's span search has a timeout of its own; this one bounds the pages and trace reads together.
        using var deadline = new CancellationTokenSource(timeout, services.Time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(services.Aborted, deadline.Token);
        try
        {
            while (true)
            {
                if (services.Time.GetElapsedTime(started) >= timeout)
                {
                    partial = true;
                    break;
                }

                // The newest candidate spans of traces not yet read: a page is exact (every span newer than its oldest
                // is in it), and spans of traces already read do not count toward it.
                var skip = processed.ToHashSet();
                var filter = candidates.Filter;
                var query = candidates with { EndUnixNano = end, Filter = s => !skip.Contains(s.Key.TraceId) && (filter is null || filter(s)) };
                var page = await services.Search.SearchSpansAsync(services.Tenant, query, pageSize, stop.Token);
                considered = Math.Max(considered, page.BlocksConsidered);
                read += page.BlocksRead;
                total = page.TotalBlocks;

                var exhausted = !page.Partial && page.Spans.Count < pageSize;
                var oldest = page.Spans.Count > 0 ? page.Spans[^1].StartTimeUnixNano : 0;
                // Spans come newest first, so traces appear in the order of their newest candidate span. Unless the page
                // holds every candidate, spans that start exactly at its oldest start may be cut off: traces whose newest
                // candidate span starts there wait for the next page, which ends at that start.
                var batch = page.Spans.GroupBy(s => s.Key.TraceId).Select(g => g.ToList())
                    .Where(t => exhausted || page.Partial || t[0].StartTimeUnixNano > oldest)
                    .ToList();
                if (batch.Count == 0 && !exhausted && !page.Partial)
                {
                    pageSize = (int)Math.Min(pageSize * 2L, int.MaxValue);
                    continue;
                }

                var done = await EvaluateAsync(services, batch, Within(candidates, matcher), matches, processed, limit, started, timeout, stop.Token);
                if (done is null || page.Partial)
                {
                    partial = true;
                    break;
                }

                if (done.Value || exhausted)
                {
                    break;
                }

                end = oldest;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !services.Aborted.IsCancellationRequested)
        {
            partial = true;
        }

        var ordered = matches.OrderByDescending(m => m.StartUnixNano).ThenBy(m => m.TraceId, Bytewise).Take(limit).ToList();
        return new TraceMatches(ordered, processed.Count, new SearchResult([], considered, read, total, partial));
    }

    // Candidates are a superset (every span of the range when nothing could be pushed down), so the range is checked on
    // what the matcher yielded: a structural query whose left side alone lies in the range does not match.
    private static TraceMatcher Within(SpanQuery range, TraceMatcher matcher) => (trace, found) =>
    {
        var sets = matcher(trace, found);
        return sets.Any(set => set.Spans.Any(m => (ulong)m.Span.StartUnixNanos >= range.StartUnixNano && (ulong)m.Span.StartUnixNanos <= range.EndUnixNano)) ? sets : [];
    };

    // True when the stopping rule holds, false when more candidates are needed, null when the time ran out.
    private static async Task<bool?> EvaluateAsync(
        QueryServices services, List<List<StoredSpan>> batch, TraceMatcher matcher, List<TraceMatch> matches,
        HashSet<UInt128> processed, int limit, long started, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Reads in chunks so the stopping rule is checked often; a chunk is one batched read (TraceReader.FindManyAsync).
        var width = Math.Max(services.Blocklist.Value.MaxConcurrentBlockReads, 32);
        for (var next = 0; next < batch.Count; next += width)
        {
            if (matches.Count >= limit && batch[next][0].StartTimeUnixNano < LimitthStart(matches, limit))
            {
                return true;
            }

            if (services.Time.GetElapsedTime(started) >= timeout)
            {
                return null;
            }

            // One read for the chunk: a row group holding several of its traces is fetched and decoded once.
            var chunk = batch.Skip(next).Take(width).ToList();
            var wholes = await services.Traces.FindManyAsync(services.Tenant, [.. chunk.Select(found => found[0].Span.TraceId.ToByteArray())], 0, ulong.MaxValue, cancellationToken);
            foreach (var found in chunk)
            {
                var id = found[0].Span.TraceId.ToByteArray();
                var spans = wholes.Traces.TryGetValue(Convert.ToHexStringLower(id), out var whole) ? whole : TraceReader.Deduplicate(found);
                var sets = matcher(TraceQLAdapter.ToTraceData(spans), found);
                if (sets.Count > 0)
                {
                    matches.Add(new TraceMatch(id, spans, spans.Min(s => s.StartTimeUnixNano), sets));
                }
            }

            foreach (var found in chunk)
            {
                processed.Add(found[0].Key.TraceId);
            }
        }

        return false;
    }

    private static ulong LimitthStart(IEnumerable<TraceMatch> matches, int limit) =>
        matches.Select(m => m.StartUnixNano).OrderDescending().ElementAt(limit - 1);
}
