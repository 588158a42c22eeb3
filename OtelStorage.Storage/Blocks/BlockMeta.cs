using System.Text.Json;
using System.Text.Json.Serialization;
using OtelStorage.Storage.Blocks.Metadata;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// The content of <c>meta.json</c>, the commit point of a block: it is written after the data and index objects,
/// so a block without it (or with one that does not parse, cut off mid-upload) is an orphan of an interrupted write
/// and readers ignore it. Everything Query.Api needs to
/// choose blocks, and to answer <c>/services</c> and <c>/dependencies</c>, is here.
/// </summary>
public sealed class BlockMeta
{
    /// <summary>The encoding of the block's objects; <see cref="BlockEncodings.FromVersion"/> picks the reader.</summary>
    public required string FormatVersion { get; set; }

    public required string Tenant { get; set; }

    public required string BlockId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Earliest span start in the block, Unix nanoseconds.</summary>
    public ulong MinStartTimeUnixNano { get; set; }

    /// <summary>Latest span start in the block, Unix nanoseconds.</summary>
    public ulong MaxStartTimeUnixNano { get; set; }

    /// <summary>Latest span end in the block, Unix nanoseconds.</summary>
    public ulong MaxEndTimeUnixNano { get; set; }

    public long SpanCount { get; set; }

    public long TraceCount { get; set; }

    /// <summary>Size of the data object in bytes.</summary>
    public long DataSizeBytes { get; set; }

    /// <summary>Size of the index object in bytes.</summary>
    public long IndexSizeBytes { get; set; }

    /// <summary>Data plus index bytes.</summary>
    public long SizeBytes { get; set; }

    /// <summary>
    /// Protobuf bytes of the spans as they were added (before compression): about what building or merging the block
    /// holds in memory. 0 in blocks written before the field existed.
    /// </summary>
    public long SpanBytes { get; set; }

    public int RowGroupCount { get; set; }

    /// <summary>Distinct <c>service.name</c> values, sorted.</summary>
    public List<string> Services { get; set; } = [];

    /// <summary>Distinct span names per service, sorted.</summary>
    public SortedDictionary<string, List<string>> Operations { get; set; } = new(StringComparer.Ordinal);

    public List<DependencyEdge> Dependencies { get; set; } = [];

    public List<ServiceStatistics> ServiceStatistics { get; set; } = [];

    public List<OperationStatistics> OperationStatistics { get; set; } = [];

    /// <summary>
    /// The attribute keys per scope and bounded summaries of their values (<see cref="AttributeSummaries"/>), for tag
    /// autocompletion and for skipping blocks that cannot hold a wanted value. Null in blocks written before the field
    /// existed: such a block may contain anything.
    /// </summary>
    public AttributeSummaries? Attributes { get; set; }

    /// <summary>
    /// For compaction: the IDs of the blocks this block replaces. Readers that see a committed block listing a
    /// source here ignore that source, so a query during compaction sees each span once. Empty for batcher blocks.
    /// </summary>
    public List<string> Replaces { get; set; } = [];

    /// <summary>0 for blocks cut by the batcher; compaction writes its level here.</summary>
    public int CompactionLevel { get; set; }

    /// <summary>
    /// When the block's retention period starts (see <see cref="RetentionStart.Of"/>): its newest
    /// span start, kept within the ingestion slack of when its spans were written, so a span stamped in 1970 is not
    /// deleted on arrival and one stamped in 2100 is not kept forever. Compaction keeps the latest of its sources'.
    /// Absent from blocks written before the field existed; the rule is then applied to the block ID's time.
    /// </summary>
    public DateTimeOffset? RetainFrom { get; set; }

    /// <summary>True when a span starting in [<paramref name="startUnixNano"/>, <paramref name="endUnixNano"/>] may be here.</summary>
    public bool Overlaps(ulong startUnixNano, ulong endUnixNano) =>
        MaxStartTimeUnixNano >= startUnixNano && MinStartTimeUnixNano <= endUnixNano;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary>Parses a meta.json.</summary>
    /// <exception cref="InvalidDataException">
    /// The bytes are not a whole meta.json, for example what an upload cut off midway leaves on a store whose PUTs
    /// are not atomic (s3rver writes the object as the body arrives and keeps it when the client goes away).
    /// </exception>
    public static BlockMeta FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<BlockMeta>(json, JsonOptions) ?? throw new InvalidDataException("meta.json is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"meta.json ({json.Length} bytes) is not a whole block description: {e.Message}", e);
        }
    }
}
