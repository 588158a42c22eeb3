using System.Diagnostics;
using System.Reflection;
using System.Text;
using OtelStorage.Messaging.Consuming;
using OtelStorage.Testing;
using RabbitMQ.Client;
using Xunit;

namespace OtelStorage.Messaging.Tests;

public sealed class SpanMessageTests
{
    private static readonly DateTimeOffset ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    [Fact]
    public void WhatThePublisherWritesTheConsumerReadsBack()
    {
        using var publish = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C).Start();
        publish.TraceStateString = "vendor=1";

        var read = SpanMessage.ReadHeaders(MessageHeadersTests.Delivered(SpanMessage.CreateHeaders("acme", ReceivedAt, 512, publish)));

        Assert.Equal("acme", read.Tenant);
        Assert.Equal(ReceivedAt, read.ReceivedAt);
        Assert.Equal(512, read.SpanCount);
        Assert.Equal(publish.TraceId, read.Parent.TraceId);
        Assert.Equal(publish.SpanId, read.Parent.SpanId);
        Assert.Equal("vendor=1", read.Parent.TraceState);
    }

    [Fact]
    public void EveryHeaderOfTheContractIsWrittenByThePublisherOrOnTheDeadLetterCopy()
    {
        using var publish = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C).Start();
        publish.TraceStateString = "vendor=1";
        var published = SpanMessage.CreateHeaders("acme", ReceivedAt, 1, publish);
        var deadLettered = DeadLetters.Properties(new BasicProperties { Headers = published }, "spans", "a reason").Headers!;

        var names = typeof(SpanMessage.Headers).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(names.Order(StringComparer.Ordinal), deadLettered.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(
            names.Except([SpanMessage.Headers.DeadLetterReason, SpanMessage.Headers.OriginalQueue]).Order(StringComparer.Ordinal),
            published.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AbsentOrUnreadableHeadersReadAsNull()
    {
        var read = SpanMessage.ReadHeaders(new Dictionary<string, object?>
        {
            [SpanMessage.Headers.ReceivedAtUnixMs] = Encoding.UTF8.GetBytes("yesterday"),
            [SpanMessage.Headers.SpanCount] = -1,
        });

        Assert.Equal(new SpanMessageHeaders(null, null, null, default), read);
        Assert.Equal(new SpanMessageHeaders(null, null, null, default), SpanMessage.ReadHeaders(null));
    }
}

[Collection(BrokerCollection.Name)]
public sealed class SpanMessageBrokerTests(RabbitMqServer broker)
{
    [Fact]
    public async Task TheHeadersRoundTripThroughTheBroker()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = new SpanQueueOptions { Queue = "headers-" + Guid.NewGuid().ToString("N")[..8] };
        await using var connection = await new ConnectionFactory { Uri = new Uri(broker.ConnectionString) }.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(Connection.BrokerConnectionFactory.ConfirmingChannel(), ct);
        await SpanQueueTopology.DeclareAsync(channel, queue, ct);
        using var publish = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C).Start();
        publish.TraceStateString = "vendor=1";
        var receivedAt = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        var properties = new BasicProperties { Persistent = true, Headers = SpanMessage.CreateHeaders("acme", receivedAt, 512, publish) };
        await channel.BasicPublishAsync(string.Empty, queue.Queue, mandatory: true, properties, new byte[] { 1, 2, 3 }, ct);
        var delivered = await channel.BasicGetAsync(queue.Queue, autoAck: true, ct);

        Assert.NotNull(delivered);
        Assert.Equal(
            new SpanMessageHeaders("acme", receivedAt, 512, new ActivityContext(publish.TraceId, publish.SpanId, publish.ActivityTraceFlags, "vendor=1")),
            SpanMessage.ReadHeaders(delivered.BasicProperties.Headers));
    }
}
