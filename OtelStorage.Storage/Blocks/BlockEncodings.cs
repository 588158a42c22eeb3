using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Storage.ObjectStore;

namespace OtelStorage.Storage.Blocks;

/// <summary>A block encoded in memory, ready for <see cref="BlockStore.WriteAsync"/>.</summary>
public sealed record EncodedBlock(BlockMeta Meta, ReadOnlyMemory<byte> Data, ReadOnlyMemory<byte> Index);

/// <summary>Settings for building blocks.</summary>
public sealed record BlockBuildOptions
{
    /// <summary>
    /// A lookup decodes every column of its row group, so this sets its CPU cost: on 10,000-span blocks, 2,000-span
    /// row groups gave a p50 of 14 ms against 41 ms for 10,000, for 3 more bytes per span (query-store benchmark).
    /// </summary>
    public const int DefaultRowGroupSpans = 2_000;

    /// <summary>Spans per Parquet row group: what a trace lookup fetches with one ranged GET.</summary>
    public int RowGroupSpans { get; init; } = DefaultRowGroupSpans;

    /// <summary>
    /// 4 MiB: a row group also ends once its spans hold this many bytes (their IDs, name, trace state and the rest of
    /// the span, before compression). Realistic spans (about 300 bytes) reach <see cref="RowGroupSpans"/> first; spans
    /// with large attributes get smaller row groups, so that a lookup decodes megabytes rather than a whole block
    /// (the fuzz suite's spans with 128 KiB attributes made Query.Api decode 100 MiB per lookup).
    /// </summary>
    public const int DefaultRowGroupBytes = 4 * 1024 * 1024;

    /// <summary>Span bytes that end a row group before <see cref="RowGroupSpans"/>; at least one span per group.</summary>
    public int RowGroupBytes { get; init; } = DefaultRowGroupBytes;

    /// <summary>
    /// Bloom filter false-positive rate. A trace lookup over N blocks reads 1 + N × this data objects on average:
    /// 1.05 at 1,000 blocks, under the 1.1 target with room for noise (at 0.0001 three runs measured 1.089 to 1.108).
    /// </summary>
    public double BloomFalsePositiveRate { get; init; } = 0.00005;

    /// <summary>
    /// Zstd effort: Fastest is level 1, Optimal 3, SmallestSize 9 (<see cref="V1.V1ParquetWriter.ZstdLevel"/>).
    /// Fastest is the write-path default; compaction uses SmallestSize, 29 against 36 bytes per span at about
    /// 85% of the speed (docs/performance-compaction.md).
    /// </summary>
    public System.IO.Compression.CompressionLevel Compression { get; init; } = System.IO.Compression.CompressionLevel.Fastest;

    /// <summary>
    /// Spans the block will about hold, when known (compaction knows its sources' counts): its rows are allocated
    /// once at that size rather than grown by doubling, which left every smaller size behind in the array pool.
    /// </summary>
    public int ExpectedSpans { get; init; }
}

/// <summary>Accumulates one tenant's spans, then encodes them as a block.</summary>
public interface IBlockBuilder
{
    string Tenant { get; }

    int SpanCount { get; }

    /// <summary>Protobuf bytes of the requests added so far.</summary>
    long ByteCount { get; }

    /// <summary>Adds every span of a request.</summary>
    void Add(ExportTraceServiceRequest request);

    /// <summary>
    /// Adds every span of a protobuf <c>ExportTraceServiceRequest</c> (or <c>TracesData</c>) without
    /// materializing it. A malformed body throws <see cref="InvalidDataException"/> and adds nothing.
    /// </summary>
    void AddProtobuf(ReadOnlySpan<byte> request);

    /// <summary>
    /// Adds the spans of a stored block (for compaction) whose (trace ID, span ID) key <paramref name="keep"/> accepts;
    /// it is asked once per span, in stored order. A block of the builder's own format is copied row by row, with no
    /// span decoded; a builder of a newer format also converts the older formats it replaces.
    /// </summary>
    /// <exception cref="NotSupportedException">The block's format is one this builder cannot read.</exception>
    Task AddBlockAsync(IBlockReader reader, BlockMeta meta, Func<UInt128, ulong, bool> keep, CancellationToken cancellationToken);

    /// <summary>Encodes the spans added so far as a block with <paramref name="blockId"/>; a builder builds one block.</summary>
    Task<EncodedBlock> BuildAsync(string blockId, DateTimeOffset createdAt, CancellationToken cancellationToken);
}

/// <summary>Reads the objects of blocks written in one format version.</summary>
public interface IBlockReader
{
    /// <summary>Reads and parses the index object (bloom, row-group table, footer). Cache the result per block.</summary>
    Task<BlockIndex> ReadIndexAsync(BlockMeta meta, CancellationToken cancellationToken);

    /// <summary>
    /// The spans of one trace in the block, in (trace ID, start time) order; empty when absent. Checks the bloom
    /// filter first, then fetches only the row group(s) whose trace-ID bounds cover the ID, with one ranged GET each.
    /// </summary>
    Task<IReadOnlyList<StoredSpan>> FindTraceAsync(BlockMeta meta, BlockIndex index, ReadOnlyMemory<byte> traceId, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <see cref="SpanQuery.Limit"/> spans matching <paramref name="query"/>, newest first
    /// (<see cref="StoredSpan.NewestFirst"/>). Promoted columns are filtered before spans are decoded.
    /// </summary>
    Task<IReadOnlyList<StoredSpan>> SearchAsync(BlockMeta meta, BlockIndex index, SpanQuery query, CancellationToken cancellationToken);

    /// <summary>Every span of the block in stored order, one row group at a time (for compaction and tests).</summary>
    IAsyncEnumerable<StoredSpan> ReadAllAsync(BlockMeta meta, CancellationToken cancellationToken);
}

/// <summary>One on-store format version: how to build its blocks and how to read them.</summary>
public interface IBlockEncoding
{
    string Version { get; }

    IBlockBuilder CreateBuilder(string tenant, BlockBuildOptions options);

    IBlockReader CreateReader(IObjectStore store, BlockKeys keys);
}

/// <summary>The switch from a meta.json <c>formatVersion</c> to its encoding, so v2 can sit beside v1.</summary>
public static class BlockEncodings
{
    /// <summary>The version new blocks are written in.</summary>
    public static IBlockEncoding Current => V1.V1Encoding.Instance;

    public static IBlockEncoding FromVersion(string version) => version switch
    {
        V1.V1Encoding.VersionName => V1.V1Encoding.Instance,
        _ => throw new NotSupportedException($"block format '{version}' is not supported by this build (supported: {V1.V1Encoding.VersionName})"),
    };
}
