namespace OtelStorage.Storage.Blocks;

/// <summary>Settings for building blocks.</summary>
public sealed record BlockBuildOptions
{
    /// <summary>
    /// A lookup decodes every column of its row group, so this sets its CPU cost, traded against a few bytes per
    /// span (figures: docs/performance-query.md).
    /// </summary>
    public const int DefaultRowGroupSpans = 2_000;

    /// <summary>Spans per Parquet row group: what a trace lookup fetches with one ranged GET.</summary>
    public int RowGroupSpans { get; init; } = DefaultRowGroupSpans;

    /// <summary>
    /// 4 MiB: a row group also ends once its spans hold this many bytes (their IDs, name, trace state and the rest of
    /// the span, before compression). Realistic spans (about 300 bytes) reach <see cref="RowGroupSpans"/> first; spans
    /// with large attributes get smaller row groups, so that a lookup decodes megabytes rather than a whole block.
    /// </summary>
    public const int DefaultRowGroupBytes = 4 * 1024 * 1024;

    /// <summary>Span bytes that end a row group before <see cref="RowGroupSpans"/>; at least one span per group.</summary>
    public int RowGroupBytes { get; init; } = DefaultRowGroupBytes;

    /// <summary>
    /// Bloom filter false-positive rate. A trace lookup over N blocks reads 1 + N × this data objects on average,
    /// 1.05 at 1,000 blocks, under the 1.1 target with room for noise (docs/architecture.md, block format v1).
    /// </summary>
    public double BloomFalsePositiveRate { get; init; } = 0.00005;

    /// <summary>
    /// Zstd effort: Fastest is level 1, Optimal 3, SmallestSize 9 (<see cref="V1.V1ParquetWriter.ZstdLevel"/>).
    /// Fastest is the write-path default; compaction uses SmallestSize, fewer bytes per span for more CPU
    /// (docs/performance-compaction.md).
    /// </summary>
    public System.IO.Compression.CompressionLevel Compression { get; init; } = System.IO.Compression.CompressionLevel.Fastest;

    /// <summary>
    /// Spans the block will about hold, when known (compaction knows its sources' counts): its rows are allocated
    /// once at that size rather than grown by doubling, which left every smaller size behind in the array pool.
    /// </summary>
    public int ExpectedSpans { get; init; }

    /// <summary>Bounds of the attribute key and value summaries kept in meta.json (<see cref="BlockMeta.Attributes"/>).</summary>
    public Metadata.AttributeSummaryLimits AttributeSummaries { get; init; } = Metadata.AttributeSummaryLimits.Default;
}
