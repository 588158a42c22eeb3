using RabbitMQ.Client;

namespace OtelStorage.Messaging;

/// <summary>
/// The one place the RabbitMQ topology is declared. Both Ingest.Api and Batcher.Worker call
/// <see cref="DeclareAsync"/> at start, so either may start first.
/// </summary>
public static class SpanQueueTopology
{
    /// <summary>
    /// Declares the durable quorum span queue, its size limit and its dead-letter exchange and queue.
    /// Declaring is idempotent while the arguments do not change.
    /// </summary>
    public static Task DeclareAsync(IChannel channel, SpanQueueOptions options, CancellationToken cancellationToken) =>
        QuorumQueue.DeclareAsync(
            channel,
            options.Queue,
            options.DeadLetterExchange,
            options.DeadLetterQueue,
            new Dictionary<string, object?>
            {
                ["x-max-length-bytes"] = options.MaxQueueBytes,
                ["x-overflow"] = "reject-publish",
            },
            cancellationToken);
}
