using System.ComponentModel.DataAnnotations;
using RabbitMQ.Client;

namespace OtelStorage.Messaging;

/// <summary>Where compaction and retention jobs travel. Bound from the <c>Compaction</c> section.</summary>
public sealed class CompactionQueueOptions
{
    public const string SectionName = "Compaction";

    /// <summary>The durable single-active-consumer quorum queue of jobs.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,200}$", ErrorMessage = "Compaction:Queue may hold only letters, digits, '_', '.' and '-' (1 to 200).")]
    public string Queue { get; set; } = "otelstorage.compaction";

    /// <summary>
    /// Deliveries of one job before it is dead-lettered: a job that fails this often (a corrupt source, say) stops
    /// blocking the queue and is kept, with its reason, in the dead-letter queue.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "Compaction:DeliveryLimit must be between 1 and 1000.")]
    public int DeliveryLimit { get; set; } = 10;

    public string DeadLetterExchange => Queue + ".dlx";

    public string DeadLetterQueue => Queue + ".dead";
}

/// <summary>
/// The compaction queue. It is a quorum queue with <c>x-single-active-consumer</c>: every replica consumes, the
/// broker delivers to one at a time and fails over to another when that one's connection drops, so two replicas
/// never work on jobs at once. Jobs are acknowledged after they complete; an unacknowledged job is delivered again.
/// </summary>
public static class CompactionQueueTopology
{
    /// <summary>Declares the queue and its dead-letter exchange and queue; idempotent while the arguments do not change.</summary>
    public static Task DeclareAsync(IChannel channel, CompactionQueueOptions options, CancellationToken cancellationToken) =>
        QuorumQueue.DeclareAsync(
            channel,
            options.Queue,
            options.DeadLetterExchange,
            options.DeadLetterQueue,
            new Dictionary<string, object?>
            {
                ["x-single-active-consumer"] = true,
                ["x-delivery-limit"] = options.DeliveryLimit,
            },
            cancellationToken);
}
