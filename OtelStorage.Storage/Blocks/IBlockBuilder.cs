using OpenTelemetry.Proto.Collector.Trace.V1;

namespace OtelStorage.Storage.Blocks;

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
