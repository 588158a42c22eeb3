using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OtelStorage.Messaging.Consuming;

/// <summary>How every consumer of OtelStorage subscribes: manual acknowledgements and a prefetch window.</summary>
public static class QueueConsumer
{
    /// <summary>
    /// Subscribes to <paramref name="queue"/> on <paramref name="channel"/> with manual acknowledgements and at most
    /// <paramref name="prefetch"/> unacknowledged messages; <paramref name="onReceived"/> handles each delivery.
    /// An empty <paramref name="consumerTag"/> lets the broker name the consumer. Returns the consumer tag.
    /// </summary>
    public static async Task<string> ConsumeAsync(
        this IChannel channel, string queue, ushort prefetch, AsyncEventHandler<BasicDeliverEventArgs> onReceived, string consumerTag, CancellationToken cancellationToken)
    {
        await channel.BasicQosAsync(0, prefetch, global: false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += onReceived;
        return await channel.BasicConsumeAsync(queue, autoAck: false, consumerTag, consumer, cancellationToken);
    }
}
