namespace OtelStorage.Compaction;

/// <summary>What the planner merges: small blocks of one tenant and time window, up to a target size.</summary>
public sealed record CompactionPolicy
{
    /// <summary>A compacted block holds at most this many spans (before duplicates are removed).</summary>
    public long TargetSpans { get; init; } = 500_000;

    /// <summary>A compacted block's sources add up to at most this many bytes (data and index).</summary>
    public long TargetBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// A compacted block's sources add up to at most this many span bytes (<see cref="Storage.Blocks.BlockMeta.SpanBytes"/>,
    /// before compression), which the merge holds in memory. Compressed sizes say little about that when spans
    /// compress well: 256 MiB of blocks holding 128 KiB attribute values of one letter are gigabytes of spans.
    /// Realistic spans (about 300 bytes) reach <see cref="TargetSpans"/> first. Blocks without the figure count their
    /// compressed size.
    /// </summary>
    public long TargetSpanBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Blocks are merged only with blocks whose earliest span starts in the same window of this length.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Blocks younger than this (by block ID) wait, so a window still filling is not rewritten over and over.</summary>
    public TimeSpan MinBlockAge { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Fewest sources worth a job.</summary>
    public int MinSources { get; init; } = 2;

    /// <summary>Most sources in one job, which bounds the objects one job reads.</summary>
    public int MaxSources { get; init; } = 1000;

    /// <summary>
    /// A block is small, and so a candidate, below this fraction of both targets. Blocks already this full are
    /// left alone, which bounds how often a span is rewritten.
    /// </summary>
    public double SmallFraction { get; init; } = 0.5;
}
