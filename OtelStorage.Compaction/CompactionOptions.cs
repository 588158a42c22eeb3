using System.ComponentModel.DataAnnotations;
using System.IO.Compression;
using OtelStorage.Storage.Blocks;

namespace OtelStorage.Compaction;

/// <summary>How compaction runs. Bound from the <c>Compaction</c> section and validated at start.</summary>
public sealed class CompactionOptions : IValidatableObject
{
    public const string SectionName = "Compaction";

    /// <summary>Off: the service neither consumes nor schedules jobs (another replica or worker does).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often each replica offers a plan job when the queue is empty: the compaction and retention cadence.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00", ErrorMessage = "Compaction:Interval must be between 50 ms and 1 day.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Jobs the active consumer runs at once (its prefetch). Compact jobs over overlapping sources never run together;
    /// each compact job holds up to <see cref="TargetSpans"/> spans in memory, so memory grows with this.
    /// </summary>
    [Range(1, 16, ErrorMessage = "Compaction:Concurrency must be between 1 and 16.")]
    public int Concurrency { get; set; } = 2;

    /// <summary>Most spans in a compacted block. The merge holds every span of the new block in memory, so this bounds its memory.</summary>
    [Range(2, 50_000_000, ErrorMessage = "Compaction:TargetSpans must be between 2 and 50,000,000.")]
    public long TargetSpans { get; set; } = 500_000;

    /// <summary>Most bytes (data and index) of the sources of one compacted block.</summary>
    [Range(1024, 1L << 40, ErrorMessage = "Compaction:TargetBytes must be between 1 KiB and 1 TiB.")]
    public long TargetBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Most span bytes (protobuf, before compression) of the sources of one compacted block: what the merge holds in memory.</summary>
    [Range(1024, 1L << 40, ErrorMessage = "Compaction:TargetSpanBytes must be between 1 KiB and 1 TiB.")]
    public long TargetSpanBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Only blocks whose earliest span starts in the same window of this length are merged.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Compaction:Window must be between 1 s and 7 days.")]
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Blocks younger than this wait, so a window still filling is not rewritten again and again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Compaction:MinBlockAge must be between 0 and 1 day.")]
    public TimeSpan MinBlockAge { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long replaced sources stay after the compacted block commits: longer than a query runs plus Query.Api's
    /// block-list poll interval, so no query reads a source that is gone.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Compaction:SourceDeleteGrace must be between 0 and 1 day.")]
    public TimeSpan SourceDeleteGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Uncommitted block objects older than this are from interrupted writes and are deleted; longer than any write takes.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Compaction:OrphanGrace must be between 1 minute and 30 days.")]
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Zstd effort for compacted blocks: <c>Fastest</c>, <c>Optimal</c> or <c>SmallestSize</c>.</summary>
    public CompressionLevel Compression { get; set; } = CompressionLevel.SmallestSize;

    /// <summary>
    /// Spans per Parquet row group in compacted blocks: what one trace lookup fetches and decodes. The batcher's
    /// 2,000: a lookup parses only its row groups' part of the footer (ParquetFooter), so a large block's many row
    /// groups do not slow it, while larger groups would, for a few bytes per span less (docs/performance-query.md).
    /// </summary>
    [Range(100, 1_000_000, ErrorMessage = "Compaction:RowGroupSpans must be between 100 and 1,000,000.")]
    public int RowGroupSpans { get; set; } = BlockBuildOptions.DefaultRowGroupSpans;

    /// <summary>Wait before a failed job goes back to the queue, so a failing store is not hammered.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Compaction:RetryDelay must be between 0 and 1 hour.")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public CompactionPolicy ToPolicy() => new()
    {
        TargetSpans = TargetSpans,
        TargetBytes = TargetBytes,
        TargetSpanBytes = TargetSpanBytes,
        Window = Window,
        MinBlockAge = MinBlockAge,
    };

    public BlockBuildOptions ToBuildOptions() => new() { Compression = Compression, RowGroupSpans = RowGroupSpans };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Compression) || Compression == CompressionLevel.NoCompression)
        {
            yield return new ValidationResult($"Compaction:Compression must be Fastest, Optimal or SmallestSize, got '{Compression}'.", [nameof(Compression)]);
        }
    }
}
