using System.ComponentModel.DataAnnotations;

namespace OtelStorage.Messaging.Publishing;

/// <summary>How span messages are published. Bound from the <c>Messaging:Publisher</c> section.</summary>
public sealed class SpanPublisherOptions
{
    public const string SectionName = "Messaging:Publisher";

    /// <summary>
    /// The largest message body. Requests above it are split. RabbitMQ is most efficient with messages of
    /// 64–256 KiB and many of them in flight (../shared/PLATFORM.md).
    /// </summary>
    [Range(16 * 1024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>How long a request waits for the broker to confirm its messages before it fails as unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ConfirmTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bytes of message bodies encoded and awaiting confirmation, across all requests. Past it requests
    /// wait (up to <see cref="ConfirmTimeout"/>) and are then throttled, so memory stays bounded.
    /// </summary>
    [Range(1024 * 1024, long.MaxValue)]
    public long MaxInFlightBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Publishing channels, used round-robin. Each carries many unconfirmed messages.</summary>
    [Range(1, 64)]
    public int Channels { get; set; } = 4;

    /// <summary>After a failed connection attempt, requests fail fast for this long before the next attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The delay clients are told to wait (RetryInfo, Retry-After) when throttled or the broker is unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
