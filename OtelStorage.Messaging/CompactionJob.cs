using System.Text.Json;
using System.Text.Json.Serialization;

namespace OtelStorage.Messaging;

/// <summary>The body of a compaction queue message, as JSON. Messages are persistent.</summary>
public sealed record CompactionJob
{
    public const string ContentType = "application/json";

    public required CompactionJobKind Kind { get; init; }

    public string? Tenant { get; init; }

    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>When the job was published, for the queue-wait metric and logs.</summary>
    public DateTimeOffset PublishedAt { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    public static CompactionJob FromJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<CompactionJob>(json, JsonOptions) ?? throw new JsonException("compaction job is null");
}

/// <summary>The kinds of compaction job.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CompactionJobKind>))]
public enum CompactionJobKind
{
    /// <summary>
    /// Look at every tenant: delete replaced sources past their grace period and orphans, apply retention, and
    /// publish a <see cref="Compact"/> job per group of small blocks.
    /// </summary>
    Plan,

    /// <summary>Merge <see cref="CompactionJob.Sources"/> of <see cref="CompactionJob.Tenant"/> into one block.</summary>
    Compact,
}
