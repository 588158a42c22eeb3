namespace OtelStorage.Storage.Blocks;

/// <summary>Reads the objects of blocks written in one format version.</summary>
public interface IBlockReader
{
    /// <summary>Reads and parses the block's index object. Cache the result per block, and pass it back to this format's reader.</summary>
    Task<BlockIndex> ReadIndexAsync(BlockMeta meta, CancellationToken cancellationToken);

    /// <summary>
    /// The spans of the given traces in the block, in (trace ID, start time) order; empty when none is here. Checks
    /// the bloom filter for each ID first, then fetches only the row groups whose trace-ID bounds cover an ID, with
    /// one ranged GET each, and decodes each of them once whatever number of the traces it holds.
    /// </summary>
    Task<IReadOnlyList<StoredSpan>> FindTracesAsync(BlockMeta meta, BlockIndex index, IReadOnlyList<ReadOnlyMemory<byte>> traceIds, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <see cref="SpanQuery.Limit"/> spans matching <paramref name="query"/>, newest first
    /// (<see cref="StoredSpan.NewestFirst"/>). Promoted columns are filtered before spans are decoded.
    /// </summary>
    Task<IReadOnlyList<StoredSpan>> SearchAsync(BlockMeta meta, BlockIndex index, SpanQuery query, CancellationToken cancellationToken);

    /// <summary>Every span of the block in stored order, one row group at a time (for compaction and tests).</summary>
    IAsyncEnumerable<StoredSpan> ReadAllAsync(BlockMeta meta, CancellationToken cancellationToken);
}
