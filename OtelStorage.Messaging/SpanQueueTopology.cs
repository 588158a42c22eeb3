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
    public static async Task DeclareAsync(IChannel channel, SpanQueueOptions options, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(options.DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(
            options.DeadLetterQueue,
            durable: true,
            exclusive: false,
            autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" },
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(options.DeadLetterQueue, options.DeadLetterExchange, routingKey: string.Empty, cancellationToken: cancellationToken);

        await channel.QueueDeclareAsync(
            options.Queue,
            durable: true,
            exclusive: false,
            autoDelete: false,
            arguments: new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-max-length-bytes"] = options.MaxQueueBytes,
                ["x-overflow"] = "reject-publish",
                ["x-dead-letter-exchange"] = options.DeadLetterExchange,
            },
            cancellationToken: cancellationToken);
    }
}
