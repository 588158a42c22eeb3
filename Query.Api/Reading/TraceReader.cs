using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using Query.Api.Telemetry;

namespace Query.Api.Reading;

/// <summary>A trace read by ID: its spans, de-duplicated, by start time then span ID.</summary>
public sealed record TraceLookupResult(IReadOnlyList<StoredSpan> Spans, int BlocksConsidered, int BlocksRead);

/// <summary>
/// Trace by ID without a time range. Every visible block's cached bloom filter is asked first; only blocks that
/// may hold the trace are opened, and in each only the row group whose trace-ID bounds cover the ID is fetched,
/// with one ranged GET (<see cref="BlockStore.FindTraceAsync"/>). Spans stored twice (redelivery after a crash, or
/// a compaction source and its result) come back once.
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
        using var activity = QueryTelemetry.ActivitySource.StartActivity("trace lookup");
        activity?.SetTag("otelstorage.tenant", tenant);
        activity?.SetTag("otelstorage.trace_id", Convert.ToHexStringLower(traceId));
        var stopwatch = Stopwatch.StartNew();

        var blocks = (await catalog.GetAsync(tenant, cancellationToken)).Overlapping(startUnixNano, endUnixNano).ToList();
        var candidates = new ConcurrentBag<(BlockMeta Meta, BlockIndex Index)>();
        var cold = new List<BlockMeta>();
        foreach (var meta in blocks)
        {
            if (indexes.TryGet(meta, out var index))
            {
                if (index.MayContain(traceId))
                {
                    candidates.Add((meta, index));
                }
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
                var index = await TryAsync(meta, () => indexes.GetAsync(meta, ct));
                if (index is not null && index.MayContain(traceId))
                {
                    candidates.Add((meta, index));
                }
            });
        }

        var found = new ConcurrentBag<IReadOnlyList<StoredSpan>>();
        await Parallel.ForEachAsync(candidates, ReadOptions(cancellationToken), async (c, ct) =>
        {
            if (await TryAsync(c.Meta, () => store.FindTraceAsync(c.Meta, c.Index, traceId, ct)) is { Count: > 0 } spans)
            {
                found.Add(spans);
            }
        });

        var result = Deduplicate(found.SelectMany(s => s));
        telemetry.BlocksInspected(candidates.Count, "trace");
        telemetry.LookupDuration(stopwatch.Elapsed, result.Count > 0);
        activity?.SetTag("otelstorage.blocks_considered", blocks.Count);
        activity?.SetTag("otelstorage.blocks_read", candidates.Count);
        activity?.SetTag("otelstorage.spans", result.Count);
        return new TraceLookupResult(result, blocks.Count, candidates.Count);
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
