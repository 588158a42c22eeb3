using OtelStorage.Messaging;
using OtelStorage.Messaging.Connection;
using OtelStorage.Storage.Blocks;
using OtelStorage.Testing;
using RabbitMQ.Client;
using Xunit;

namespace OtelStorage.Compaction.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class DeadLetterTests(Infrastructure infrastructure)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnUnreadableJobIsDeadLetteredWithItsReasonAndDoesNotBlockTheQueue()
    {
        var queue = new CompactionQueueOptions { Queue = "otelstorage.compaction.dead-" + Guid.NewGuid().ToString("N")[..8] };
        await using var connection = await new ConnectionFactory { Uri = new Uri(infrastructure.Broker.ConnectionString) }.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(BrokerConnectionFactory.ConfirmingChannel(), Ct);
        await CompactionQueueTopology.DeclareAsync(channel, queue, Ct);
        await channel.BasicPublishAsync(string.Empty, queue.Queue, mandatory: true, new BasicProperties { Persistent = true }, "{not json"u8.ToArray(), Ct);
        var store = new BlockStore(infrastructure.CreateObjectStore(), new BlockKeys("c" + Guid.NewGuid().ToString("N")[..10]));
        var options = new CompactionOptions { Interval = TimeSpan.FromHours(1), MinBlockAge = TimeSpan.FromDays(1) };

        await using var replica = new Replica(store, infrastructure.Broker.ConnectionString, options, null, queue.Queue);
        await replica.StartAsync();
        await Eventually.TrueAsync(async _ => await infrastructure.ReadyMessagesAsync(queue.DeadLetterQueue) == 1, TimeSpan.FromSeconds(60), Ct, "the job is dead-lettered");

        var dead = await channel.BasicGetAsync(queue.DeadLetterQueue, autoAck: true, Ct);
        Assert.NotNull(dead);
        Assert.Equal("{not json", System.Text.Encoding.UTF8.GetString(dead.Body.Span));
        Assert.StartsWith("job is not valid JSON: ", MessageHeaders.GetString(dead.BasicProperties.Headers, MessageHeaders.DeadLetterReason), StringComparison.Ordinal);
        Assert.Equal(queue.Queue, MessageHeaders.GetString(dead.BasicProperties.Headers, MessageHeaders.OriginalQueue));
        await Eventually.TrueAsync(async _ => await infrastructure.ReadyMessagesAsync(queue.Queue) == 0, TimeSpan.FromSeconds(60), Ct, "the queue is empty");
    }
}
