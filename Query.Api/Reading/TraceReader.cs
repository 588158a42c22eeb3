using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using Query.Api.Telemetry;

namespace Query.Api.Reading;

/// <summary>A trace read by ID: its spans, de-duplicated, by start time then span ID.</summary>
public sealed record TraceLookupResult(IReadOnlyList<StoredSpan> Spans, int BlocksConsidered, int BlocksRead);

/// <summary>Traces read by ID: the spans of each one found, as <see cref="TraceLookupResult.Spans"/>, by hex trace ID.</summary>
public sealed record TracesLookupResult(IReadOnlyDictionary<string, IReadOnlyList<StoredSpan>> Traces, int BlocksConsidered, int BlocksRead);

/// <summary>
/// Traces by ID without a time range. Every visible block's cached bloom filter is asked first; only blocks that
/// may hold a trace are opened, and in each only the row groups whose trace-ID bounds cover an asked ID are fetched,
/// with one ranged GET each, and decoded once for every asked trace they hold (<see cref="BlockStore.FindTracesAsync"/>).
/// Spans stored twice (redelivery after a crash, or a compaction source and its result) come back once.
/// </summary>
public sealed partial class TraceReader(
    BlockCatalog catalog,
    IndexCache indexes,
    BlockStore store,
    IOptions<BlocklistOptions> options,
    QueryTelemetry telemetry,
    ILogger<TraceReader> logger)
{
    private readonly int _concurrency = options.Value.MaxConcurrentBlockReads;

    /// <summary>Finds the trace. <paramref name="startUnixNano"/>/<paramref name="endUnixNano"/> optionally narrow the blocks considered.</summary>
    public async Task<TraceLookupResult> FindAsync(string tenant, byte[] traceId, ulong startUnixNano, ulong endUnixNano, CancellationToken cancellationToken)
    {
        var found = await FindManyAsync(tenant, [traceId], startUnixNano, endUnixNano, cancellationToken);
        var spans = found.Traces.TryGetValue(Convert.ToHexStringLower(traceId), out var s) ? s : [];
        return new TraceLookupResult(spans, found.BlocksConsidered, found.BlocksRead);
    }

    /// <summary>
    /// Finds the traces; those not found are absent from the answer. Asking many IDs at once, sorted, lets one
    /// row-group read serve every asked trace it holds.
    /// </summary>
    public async Task<TracesLookupResult> FindManyAsync(string tenant, IReadOnlyList<byte[]> traceIds, ulong startUnixNano, ulong endUnixNano, CancellationToken cancellationToken)
    {
        using var activity = QueryTelemetry.ActivitySource.StartActivity("trace lookup");
        activity?.SetTag("otelstorage.tenant", tenant);
        activity?.SetTag("otelstorage.trace_id", traceIds.Count == 1 ? Convert.ToHexStringLower(traceIds[0]) : null);
        activity?.SetTag("otelstorage.trace_ids", traceIds.Count);
        var stopwatch = Stopwatch.StartNew();

        var blocks = (await catalog.GetAsync(tenant, cancellationToken)).Overlapping(startUnixNano, endUnixNano).ToList();
        var candidates = new ConcurrentBag<(BlockMeta Meta, BlockIndex Index, List<ReadOnlyMemory<byte>> Ids)>();
        void Consider(BlockMeta meta, BlockIndex index)
        {
            var ids = traceIds.Where(id => index.MayContain(id)).Select(id => (ReadOnlyMemory<byte>)id).ToList();
            if (ids.Count > 0)
            {
                candidates.Add((meta, index, ids));
            }
        }

        var cold = new List<BlockMeta>();
        foreach (var meta in blocks)
        {
            if (indexes.TryGet(meta, out var index))
            {
                Consider(meta, index);
            }
            else
            {
                cold.Add(meta);
            }
        }

        if (cold.Count > 0)
        {
            await Parallel.ForEachAsync(cold, ReadOptions(cancellationToken), async (meta, ct) =>
            {
                if (await TryAsync(meta, () => indexes.GetAsync(meta, ct)) is { } index)
                {
                    Consider(meta, index);
                }
            });
        }

        var found = new ConcurrentBag<IReadOnlyList<StoredSpan>>();
        await Parallel.ForEachAsync(candidates, ReadOptions(cancellationToken), async (c, ct) =>
        {
            if (await TryAsync(c.Meta, () => store.FindTracesAsync(c.Meta, c.Index, c.Ids, ct)) is { Count: > 0 } spans)
            {
                found.Add(spans);
            }
        });

        var traces = found.SelectMany(s => s)
            .GroupBy(s => Convert.ToHexStringLower(s.Span.TraceId.Span), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<StoredSpan>)Deduplicate(g), StringComparer.Ordinal);
        telemetry.BlocksInspected(candidates.Count, "trace");
        telemetry.LookupDuration(stopwatch.Elapsed, traces.Count > 0);
        activity?.SetTag("otelstorage.blocks_considered", blocks.Count);
        activity?.SetTag("otelstorage.blocks_read", candidates.Count);
        activity?.SetTag("otelstorage.spans", traces.Values.Sum(t => t.Count));
        return new TracesLookupResult(traces, blocks.Count, candidates.Count);
    }

    /// <summary>Spans once per (traceId, spanId), by start time, then span ID: the same order whatever block order the reads finished in.</summary>
    public static List<StoredSpan> Deduplicate(IEnumerable<StoredSpan> spans)
    {
        var seen = new HashSet<(UInt128, ulong)>();
        var result = new List<StoredSpan>();
        foreach (var span in spans.OrderBy(s => s.BlockId, StringComparer.Ordinal))
        {
            if (seen.Add(span.Key))
            {
                result.Add(span);
            }
        }

        result.Sort(static (a, b) =>
        {
            var c = a.StartTimeUnixNano.CompareTo(b.StartTimeUnixNano);
            return c != 0 ? c : a.Span.SpanId.Span.SequenceCompareTo(b.Span.SpanId.Span);
        });
        return result;
    }

    private ParallelOptions ReadOptions(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = _concurrency, CancellationToken = cancellationToken };

    /// <summary>A block deleted between listing and reading (retention, compaction) is skipped, not an error.</summary>
    private async Task<T?> TryAsync<T>(BlockMeta meta, Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (BlockGone(e))
        {
            LogBlockGone(meta.Tenant, meta.BlockId);
            return null;
        }
    }

    internal static bool BlockGone(Exception e) =>
        e is FileNotFoundException or DirectoryNotFoundException
        || (e is Amazon.S3.AmazonS3Exception s3 && s3.StatusCode == System.Net.HttpStatusCode.NotFound);

    [LoggerMessage(LogLevel.Debug, "Block {Tenant}/{BlockId} disappeared while being read; skipped")]
    private partial void LogBlockGone(string tenant, string blockId);
}
