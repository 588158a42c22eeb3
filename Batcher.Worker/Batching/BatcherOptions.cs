using System.ComponentModel.DataAnnotations;
using System.IO.Compression;
using OtelStorage.Storage.Blocks;

namespace Batcher.Worker.Batching;

/// <summary>
/// How spans are batched into blocks. Bound from the <c>processing</c> section, whose keys are the seed's YAML keys
/// (<c>processing.batch_size</c>, <c>processing.batch_timeout_ms</c>) and environment names
/// (<c>PROCESSING_BATCH_SIZE</c>). A batch is cut per tenant by whichever limit it reaches first.
/// </summary>
public sealed class BatcherOptions : IValidatableObject
{
    public const string SectionName = "processing";

    /// <summary>Spans per block. Large blocks keep the object count and per-block overhead low.</summary>
    [ConfigurationKeyName("batch_size"), Range(1, 10_000_000, ErrorMessage = "processing:batch_size must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200_000;

    /// <summary>Protobuf bytes of the messages in one batch; bounds memory per open batch.</summary>
    [ConfigurationKeyName("batch_max_bytes"), Range(1024, 1L << 31, ErrorMessage = "processing:batch_max_bytes must be between {1} and {2}.")]
    public long BatchMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Longest time a span waits in an open batch. Query.Api polls block lists every second (Query:BlockPollInterval),
    /// so a span is queryable within this plus about 2 s, DESIGN.md's freshness bound.
    /// </summary>
    [ConfigurationKeyName("batch_timeout_ms"), Range(10, 600_000, ErrorMessage = "processing:batch_timeout_ms must be between {1} and {2}.")]
    public int BatchTimeoutMs { get; set; } = 3_000;

    /// <summary>
    /// The most unacknowledged messages the broker may hand this replica. Messages stay unacked until their block is
    /// written, so the window must cover an open batch plus the batches being flushed: a batch is also cut when it
    /// holds half the window, so consumption never stalls on its own unacked messages. The window in use is smaller
    /// when <see cref="PrefetchBytes"/> says so.
    /// </summary>
    [ConfigurationKeyName("prefetch"), Range(2, ushort.MaxValue, ErrorMessage = "processing:prefetch must be between {1} and {2}.")]
    public int Prefetch { get; set; } = 2_000;

    /// <summary>
    /// Message bytes the prefetch window may hold: the window is this divided by the average message size seen,
    /// within [2, <see cref="Prefetch"/>], re-set with basic.qos as the average moves. RabbitMQ counts prefetch in
    /// messages only, and unacked messages (as bodies waiting, or as spans in open and flushing batches) are most of
    /// the batcher's memory, so this is what bounds it.
    /// </summary>
    [ConfigurationKeyName("prefetch_bytes"), Range(1024 * 1024, 4L * 1024 * 1024 * 1024, ErrorMessage = "processing:prefetch_bytes must be between {1} and {2}.")]
    public long PrefetchBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Blocks encoded and uploaded at once. Encoding is CPU-bound; two overlap one upload with one encode.</summary>
    [ConfigurationKeyName("flush_concurrency"), Range(1, 16, ErrorMessage = "processing:flush_concurrency must be between {1} and {2}.")]
    public int FlushConcurrency { get; set; } = 2;

    /// <summary>First delay before retrying a failed block write; it doubles per attempt, with jitter.</summary>
    [ConfigurationKeyName("retry_initial_ms"), Range(1, 60_000, ErrorMessage = "processing:retry_initial_ms must be between {1} and {2}.")]
    public int RetryInitialMs { get; set; } = 200;

    /// <summary>Longest delay between retries of a block write. Writes are retried until they succeed.</summary>
    [ConfigurationKeyName("retry_max_ms"), Range(1, 600_000, ErrorMessage = "processing:retry_max_ms must be between {1} and {2}.")]
    public int RetryMaxMs { get; set; } = 30_000;

    /// <summary>Spans per Parquet row group: what one trace lookup fetches.</summary>
    [ConfigurationKeyName("row_group_spans"), Range(100, 1_000_000, ErrorMessage = "processing:row_group_spans must be between {1} and {2}.")]
    public int RowGroupSpans { get; set; } = BlockBuildOptions.DefaultRowGroupSpans;

    /// <summary>
    /// Zstd effort: <c>Fastest</c> (level 1), <c>Optimal</c> (3) or <c>SmallestSize</c> (9): smaller blocks for more
    /// encode CPU (docs/batcher.md, "Configuration").
    /// </summary>
    [ConfigurationKeyName("compression")]
    public CompressionLevel Compression { get; set; } = CompressionLevel.Fastest;

    /// <summary>Names this replica in logs, the consumer tag and the connection name. Block IDs are unique without it.</summary>
    [ConfigurationKeyName("replica_id"), RegularExpression("^[A-Za-z0-9_.-]{1,64}$", ErrorMessage = "processing:replica_id must be 1 to 64 letters, digits, '_', '.' or '-'.")]
    public string ReplicaId { get; set; } = SanitizedMachineName();

    /// <summary>How long shutdown may take to flush open batches before unwritten messages are left to redelivery.</summary>
    [ConfigurationKeyName("shutdown_timeout_ms"), Range(0, 600_000, ErrorMessage = "processing:shutdown_timeout_ms must be between {1} and {2}.")]
    public int ShutdownTimeoutMs { get; set; } = 30_000;

    /// <summary>The prefetch window for messages of <paramref name="averageMessageBytes"/>.</summary>
    public int PrefetchFor(double averageMessageBytes) =>
        (int)Math.Clamp(PrefetchBytes / Math.Max(1, averageMessageBytes), 2, Prefetch);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RetryMaxMs < RetryInitialMs)
        {
            yield return new ValidationResult(
                $"processing:retry_max_ms ({RetryMaxMs}) must be at least processing:retry_initial_ms ({RetryInitialMs}).",
                [nameof(RetryMaxMs)]);
        }

        if (!Enum.IsDefined(Compression) || Compression == CompressionLevel.NoCompression)
        {
            yield return new ValidationResult("processing:compression must be Fastest, Optimal or SmallestSize.", [nameof(Compression)]);
        }
    }

    private static string SanitizedMachineName()
    {
        var name = new string([.. Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')]);
        return (name.Length == 0 ? "batcher" : name[..Math.Min(name.Length, 48)]) + "-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
