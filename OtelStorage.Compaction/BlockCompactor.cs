using OtelStorage.Storage.Blocks;
using OtelStorage.Tenancy;

namespace OtelStorage.Compaction;

/// <summary>Why a job wrote nothing.</summary>
public enum CompactionSkipReason
{
    None,

    /// <summary>A source has no meta.json any more (deleted by retention or an earlier run of the job).</summary>
    SourceMissing,

    /// <summary>A committed block already replaces a source: the job ran before (a retry after a crash past the commit).</summary>
    AlreadyCompacted,
}

/// <summary>What one compaction job did.</summary>
public sealed record CompactionResult(
    string Tenant,
    CompactionSkipReason Skipped,
    BlockMeta? Block,
    int SourceBlocks,
    long SourceBytes,
    long SpansRead,
    long DuplicatesRemoved)
{
    public long BytesAfter => Block?.SizeBytes ?? 0;
}

/// <summary>
/// Merges blocks into one: the current format's builder copies every source's rows (<see cref="IBlockBuilder.AddBlockAsync"/>),
/// dropping duplicate spans (same trace ID and span ID; the copy from the oldest block is kept), and builds the new
/// block, which re-sorts by trace ID and rebuilds the bloom filter and every statistic from the
/// distinct spans. The new block's meta.json lists the sources in <c>replaces</c> and is written last, so
/// from its commit on readers ignore the sources; deleting them is left to <see cref="CompactionSweeper"/>
/// after a grace period. A crash at any point leaves either the sources alone visible or the new block alone.
/// </summary>
public sealed class BlockCompactor(BlockStore store, BlockBuildOptions buildOptions, TimeProvider time)
{
    private const long MaxExpectedSpans = 1 << 21;

    public async Task<CompactionResult> CompactAsync(string tenant, IReadOnlyList<string> sourceIds, CancellationToken cancellationToken)
    {
        TenantId.Validate(tenant);
        var ordered = sourceIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var sources = new List<BlockMeta>(ordered.Count);
        foreach (var id in ordered)
        {
            if (await store.ReadMetaAsync(tenant, id, cancellationToken) is not { } meta)
            {
                return Skip(CompactionSkipReason.SourceMissing);
            }

            sources.Add(meta);
        }

        // A block that replaces a source was created after it, so listing from the oldest source's ID finds it.
        var sourceSet = ordered.ToHashSet(StringComparer.Ordinal);
        await foreach (var other in store.ListBlocksAsync(tenant, BlockId.GetTime(ordered[0]), cancellationToken))
        {
            if (!sourceSet.Contains(other.BlockId) && other.Replaces.Any(sourceSet.Contains))
            {
                return Skip(CompactionSkipReason.AlreadyCompacted);
            }
        }

        // Sources that are themselves compacted may have sources still waiting for deletion: carry them forward,
        // or deleting the intermediate block would make them visible again.
        var replaces = new SortedSet<string>(ordered, StringComparer.Ordinal);
        foreach (var inherited in sources.SelectMany(s => s.Replaces).Distinct(StringComparer.Ordinal))
        {
            if (await store.ReadMetaAsync(tenant, inherited, cancellationToken) is not null)
            {
                replaces.Add(inherited);
            }
        }

        // The sources' meta.json counts size the rows up front; capped, as a count that lies must not allocate gigabytes.
        var spans = (int)Math.Clamp(sources.Sum(s => s.SpanCount), 0, MaxExpectedSpans);
        var builder = BlockEncodings.Current.CreateBuilder(tenant, buildOptions with { ExpectedSpans = spans });
        var seen = new HashSet<(UInt128, ulong)>(spans);
        long read = 0, duplicates = 0;
        foreach (var source in sources)
        {
            await builder.AddBlockAsync(store.ReaderFor(source), source, Keep, cancellationToken);
        }

        // The ID is taken now, not when the job was planned, so the block sorts among the newest and readers
        // that list only recent block IDs find it.
        var now = time.GetUtcNow();
        var block = await builder.BuildAsync(BlockId.New(now), now, cancellationToken);
        block.Meta.Replaces = [.. replaces];
        block.Meta.CompactionLevel = sources.Max(s => s.CompactionLevel) + 1;

        // The sources' clocks carry over: compacting must neither shorten nor restart any span's retention.
        block.Meta.RetainFrom = sources.Max(RetentionStart.Of);
        await store.WriteAsync(block, cancellationToken);
        return new CompactionResult(tenant, CompactionSkipReason.None, block.Meta, sources.Count, sources.Sum(s => s.SizeBytes), read, duplicates);

        CompactionResult Skip(CompactionSkipReason reason) => new(tenant, reason, null, 0, 0, 0, 0);

        bool Keep(UInt128 traceId, ulong spanId)
        {
            read++;
            if (seen.Add((traceId, spanId)))
            {
                return true;
            }

            duplicates++;
            return false;
        }
    }
}
