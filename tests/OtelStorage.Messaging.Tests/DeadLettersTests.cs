using System.Text;
using OtelStorage.Messaging.Connection;
using OtelStorage.Messaging.Consuming;
using OtelStorage.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace OtelStorage.Messaging.Tests;

public sealed class DeadLettersTests
{
    [Fact]
    public void TheDeadLetterCopyKeepsTheOriginalPropertiesAndAddsTheReasonAndQueue()
    {
        var original = new BasicProperties
        {
            ContentType = SpanMessage.ContentType,
            Type = SpanMessage.Type,
            Headers = new Dictionary<string, object?> { [SpanMessage.Headers.Tenant] = "acme" },
        };

        var copy = DeadLetters.Properties(original, "otelstorage.spans", "body is not a valid OTLP request");

        Assert.True(copy.Persistent);
        Assert.Equal(SpanMessage.ContentType, copy.ContentType);
        Assert.Equal(SpanMessage.Type, copy.Type);
        Assert.Equal("acme", copy.Headers![SpanMessage.Headers.Tenant]);
        Assert.Equal("body is not a valid OTLP request", copy.Headers[MessageHeaders.DeadLetterReason]);
        Assert.Equal("otelstorage.spans", copy.Headers[MessageHeaders.OriginalQueue]);
        Assert.Equal([SpanMessage.Headers.Tenant], original.Headers.Keys);
    }

    [Fact]
    public void AMessageWithoutHeadersGetsTheReasonAndQueue()
    {
        var copy = DeadLetters.Properties(new BasicProperties(), "q", "why");

        Assert.Equal(2, copy.Headers!.Count);
        Assert.Equal("why", copy.Headers[MessageHeaders.DeadLetterReason]);
    }
}

[Collection(BrokerCollection.Name)]
public sealed class DeadLettersBrokerTests(RabbitMqServer broker)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ADeadLetteredMessageReachesTheDeadLetterQueueWithItsReason()
    {
        var queue = new SpanQueueOptions { Queue = "dead-" + Guid.NewGuid().ToString("N")[..8] };
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(BrokerConnectionFactory.ConfirmingChannel(), Ct);
        await SpanQueueTopology.DeclareAsync(channel, queue, Ct);
        var properties = new BasicProperties { Headers = new Dictionary<string, object?> { [SpanMessage.Headers.Tenant] = "acme" } };
        await channel.BasicPublishAsync(string.Empty, queue.Queue, mandatory: true, properties, "poison"u8.ToArray(), Ct);
        var delivery = await channel.BasicGetAsync(queue.Queue, autoAck: false, Ct);
        Assert.NotNull(delivery);

        await DeadLetters.PublishAsync(channel, queue.DeadLetterExchange, queue.Queue, delivery.BasicProperties, delivery.Body, "body is poison", Ct);
        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, Ct);

        var dead = await channel.BasicGetAsync(queue.DeadLetterQueue, autoAck: true, Ct);
        Assert.NotNull(dead);
        Assert.Equal("poison", Encoding.UTF8.GetString(dead.Body.Span));
        Assert.Equal("body is poison", MessageHeaders.GetString(dead.BasicProperties.Headers, MessageHeaders.DeadLetterReason));
        Assert.Equal(queue.Queue, MessageHeaders.GetString(dead.BasicProperties.Headers, MessageHeaders.OriginalQueue));
        Assert.Equal("acme", MessageHeaders.GetString(dead.BasicProperties.Headers, SpanMessage.Headers.Tenant));
        Assert.Null(await channel.BasicGetAsync(queue.Queue, autoAck: true, Ct));
    }

    [Fact]
    public async Task WithNoDeadLetterQueueBoundThePublishFailsSoTheOriginalIsNotAcknowledged()
    {
        var exchange = "unbound-" + Guid.NewGuid().ToString("N")[..8];
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(BrokerConnectionFactory.ConfirmingChannel(), Ct);
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: false, autoDelete: true, cancellationToken: Ct);

        var error = await Assert.ThrowsAnyAsync<PublishException>(() =>
            DeadLetters.PublishAsync(channel, exchange, "spans", new BasicProperties(), "poison"u8.ToArray(), "why", Ct));

        Assert.True(error.IsReturn);
    }
}
