using RabbitMQ.Client;

namespace OtelStorage.Messaging;

/// <summary>How every queue of OtelStorage is declared: durable, quorum, with a dead-letter queue.</summary>
internal static class QuorumQueue
{
    /// <summary>
    /// Declares the durable quorum <paramref name="queue"/> with <paramref name="arguments"/>, dead-lettering through
    /// the fanout <paramref name="deadLetterExchange"/> into the quorum <paramref name="deadLetterQueue"/>, which are
    /// declared first. Idempotent while the arguments do not change.
    /// </summary>
    public static async Task DeclareAsync(
        IChannel channel, string queue, string deadLetterExchange, string deadLetterQueue, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(deadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(
            deadLetterQueue,
            durable: true,
            exclusive: false,
            autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" },
            cancellationToken: cancellationToken);
        await channel.QueueBindAsync(deadLetterQueue, deadLetterExchange, routingKey: string.Empty, cancellationToken: cancellationToken);

        var all = new Dictionary<string, object?>(arguments) { ["x-queue-type"] = "quorum", ["x-dead-letter-exchange"] = deadLetterExchange };
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: all, cancellationToken: cancellationToken);
    }
}
