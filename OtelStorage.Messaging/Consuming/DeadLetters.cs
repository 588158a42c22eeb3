using RabbitMQ.Client;

namespace OtelStorage.Messaging.Consuming;

/// <summary>
/// Dead-lettering with a reason. <c>basic.reject</c> would dead-letter without saying why, so the consumer publishes
/// a copy to the queue's dead-letter exchange with <see cref="MessageHeaders.DeadLetterReason"/> and
/// <see cref="MessageHeaders.OriginalQueue"/> added, and acknowledges the original only once the broker has
/// confirmed the copy: a crash in between can duplicate the dead letter but never lose the message.
/// </summary>
public static class DeadLetters
{
    /// <summary>The properties of the dead-letter copy: the original's, persistent, with the reason and the original queue added.</summary>
    public static BasicProperties Properties(IReadOnlyBasicProperties original, string queue, string reason) => new(original)
    {
        Persistent = true,
        Headers = new Dictionary<string, object?>(original.Headers ?? new Dictionary<string, object?>())
        {
            [MessageHeaders.DeadLetterReason] = reason,
            [MessageHeaders.OriginalQueue] = queue,
        },
    };

    /// <summary>
    /// Publishes the dead-letter copy of a message taken from <paramref name="queue"/> to
    /// <paramref name="deadLetterExchange"/> and waits for the broker's confirm, on a channel with publisher confirmation
    /// tracking (<see cref="Connection.BrokerConnectionFactory.ConfirmingChannel"/>). Acknowledge the original after it returns.
    /// </summary>
    public static async Task PublishAsync(
        IChannel confirmingChannel, string deadLetterExchange, string queue, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body, string reason, CancellationToken cancellationToken)
    {
        // Mandatory: if no dead-letter queue were bound, the publish fails and the message stays unacked instead of vanishing.
        await confirmingChannel.BasicPublishAsync(deadLetterExchange, queue, mandatory: true, Properties(properties, queue, reason), body, cancellationToken);
    }
}
