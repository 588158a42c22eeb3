using System.ComponentModel.DataAnnotations;

namespace OtelStorage.Messaging;

/// <summary>Where spans travel between Ingest.Api and Batcher.Worker. Bound from the <c>Messaging</c> section.</summary>
public sealed class SpanQueueOptions
{
    public const string SectionName = "Messaging";

    /// <summary>The durable quorum queue that carries span messages.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,200}$")]
    public string Queue { get; set; } = "otelstorage.spans";

    /// <summary>
    /// The queue's size limit (<c>x-max-length-bytes</c> with <c>reject-publish</c>). Past it the broker nacks
    /// publishes and Ingest.Api throttles clients with retry information instead of buffering.
    /// </summary>
    [Range(1024 * 1024, long.MaxValue)]
    public long MaxQueueBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>The queue and its dead-letter queue are named from <see cref="Queue"/>.</summary>
    public string DeadLetterExchange => Queue + ".dlx";

    public string DeadLetterQueue => Queue + ".dead";
}
