using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using Query.Api.Options;
using Query.Api.Telemetry;

namespace Query.Api.Reading;

/// <summary>
/// The spans found, newest first (<see cref="StoredSpan.NewestFirst"/>), and what was read to find them.
/// <paramref name="Partial"/> is true when <c>Query:SearchTimeout</c> stopped the search before every candidate block
/// that could hold a newer match was read: the spans are then the newest of the blocks read, not necessarily overall.
/// </summary>
public sealed record SearchResult(IReadOnlyList<StoredSpan> Spans, int BlocksConsidered, int BlocksRead, int TotalBlocks, bool Partial)
{
    /// <summary>The header every search route sets on a partial answer, with <see cref="PartialReason"/> as its value.</summary>
    public const string PartialHeader = "OtelStorage-Partial-Result";

    /// <summary>Why the answer is partial, for a person reading it; null when it is complete.</summary>
    public string? PartialReason => Partial
        ? $"search timed out (Query:SearchTimeout) after reading {BlocksRead} of {BlocksConsidered} candidate blocks: these are the newest matches in the blocks read; narrow the time range or add a service to search them all"
        : null;
}

/// <summary>
/// Newest-first span search over a tenant's blocks. Blocks are pruned by their meta.json (time bounds, services,
/// operations, and the per-operation duration and error statistics), then read newest first in growing waves;
/// the search stops as soon as no remaining block can hold a span newer than the last one kept. Inside a block,
/// <see cref="BlockStore.SearchAsync"/> filters the promoted columns before decoding any span. Results are a
/// total order on (start time desc, trace ID, span ID), so the same query over the same data gives the same answer.
/// </summary>
public sealed class SpanSearcher(BlockCatalog catalog, IndexCache indexes, BlockStore store, IOptions<QueryOptions> options, IOptions<BlocklistOptions> blocklist, QueryTelemetry telemetry, TimeProvider time) : IDisposable
{
    private readonly int _concurrency = blocklist.Value.MaxConcurrentBlockReads;
    private readonly TimeSpan _timeout = options.Value.SearchTimeout;

    // Shared by every request, so memory is bounded by this, not by concurrent searches times the blocks each reads.
    private readonly SemaphoreSlim _scans = new(options.Value.MaxConcurrentBlockScans, options.Value.MaxConcurrentBlockScans);

    public void Dispose() => _scans.Dispose();

    /// <summary>The newest <paramref name="limit"/> matching spans.</summary>
    public async Task<SearchResult> SearchSpansAsync(string tenant, SpanQuery query, int limit, CancellationToken cancellationToken)
    {
        using var activity = QueryTelemetry.ActivitySource.StartActivity("span search");
        activity?.SetTag("otelstorage.tenant", tenant);
        var stopwatch = Stopwatch.StartNew();
        var started = time.GetTimestamp();
        var set = await catalog.GetAsync(tenant, cancellationToken);
        var blocks = set.NewestFirst.Where(m => query.MayMatch(m) && StatisticsMayMatch(m, query)).ToList();
        var perBlock = query with { Limit = limit };

        var kept = new List<StoredSpan>();
        var next = 0;
        var read = 0;
        var wave = 2;
        var partial = false;
        var remaining = _timeout - time.GetElapsedTime(started);
        using var deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        while (next < blocks.Count)
        {
            var cutoff = kept.Count >= limit ? kept[limit - 1].StartTimeUnixNano : (ulong?)null;
            if (cutoff is { } c && blocks[next].MaxStartTimeUnixNano < c)
            {
                break; // Blocks are ordered by latest start: none of the rest can beat what is kept.
            }

            if (time.GetElapsedTime(started) >= _timeout)
            {
                partial = true;
                break;
            }

            var batch = blocks.Skip(next).Take(wave).TakeWhile(b => cutoff is null || b.MaxStartTimeUnixNano >= cutoff).ToList();
            next += batch.Count;
            read += batch.Count;
            wave = Math.Min(wave * 2, _concurrency);
            var found = new ConcurrentBag<IReadOnlyList<StoredSpan>>();
            try
            {
                await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = _concurrency, CancellationToken = stop.Token }, async (meta, ct) =>
                {
                    try
                    {
                        var index = await indexes.GetAsync(meta, ct);
                        await _scans.WaitAsync(ct);
                        try
                        {
                            found.Add(await store.SearchAsync(meta, index, perBlock, ct));
                        }
                        finally
                        {
                            _scans.Release();
                        }
                    }
                    catch (Exception e) when (TraceReader.BlockGone(e))
                    {
                        // Deleted by retention or compaction since it was listed.
                    }
                });
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                partial = true; // The blocks searched to the end before the deadline still count.
            }

            kept.AddRange(found.SelectMany(f => f));
            kept = Trim(kept, limit);
            if (partial)
            {
                break;
            }
        }

        telemetry.BlocksInspected(read, "search");
        telemetry.SearchDuration(stopwatch.Elapsed, "spans");
        activity?.SetTag("otelstorage.blocks_considered", blocks.Count);
        activity?.SetTag("otelstorage.blocks_read", read);
        activity?.SetTag("otelstorage.partial", partial);
        if (partial)
        {
            telemetry.SearchTimedOut("spans");
        }

        return new SearchResult(kept, blocks.Count, read, set.NewestFirst.Count, partial);
    }

    /// <summary>
    /// What a block's statistics rule out: no operation of the wanted service (and name) lasting long enough, none
    /// short enough, or no errors when errors are wanted. Statistics cover every span, so this never drops a match.
    /// </summary>
    public static bool StatisticsMayMatch(BlockMeta meta, SpanQuery query)
    {
        if (query.MinDurationNanos is null && query.MaxDurationNanos is null && query.StatusCode != 2)
        {
            return true;
        }

        if (meta.OperationStatistics.Count == 0)
        {
            return true; // No statistics (an older writer): only the span scan can tell.
        }

        foreach (var o in meta.OperationStatistics)
        {
            if ((query.Service is null || o.Service == query.Service)
                && (query.SpanName is null || o.Operation == query.SpanName)
                && (query.Kind is null || o.Kind == query.Kind)
                && (query.MinDurationNanos is not { } min || o.Duration.MaxNanos >= min)
                && (query.MaxDurationNanos is not { } max || o.Duration.MinNanos <= max)
                && (query.StatusCode != 2 || o.ErrorCount > 0))
            {
                return true;
            }
        }

        return false;
    }

    // Newest first, each span once (a span stored in two blocks is found twice).
    private static List<StoredSpan> Trim(List<StoredSpan> spans, int limit)
    {
        var seen = new HashSet<(UInt128, ulong)>();
        return [.. spans.Order(StoredSpan.NewestFirst).Where(s => seen.Add(s.Key)).Take(limit)];
    }
}
