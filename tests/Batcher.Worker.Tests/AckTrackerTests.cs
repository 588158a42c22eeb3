using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text;
using Batcher.Worker.Batching;
using OtelStorage.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit;

namespace Batcher.Worker.Tests;

/// <summary>
/// <see cref="AckTracker"/> against the real broker: deliveries of a real queue, acknowledged through the tracker, and
/// the broker's view read back by closing the channel, which returns exactly the deliveries still unacknowledged.
/// </summary>
[Collection(BrokerAndStoreCollection.Name)]
public sealed class AckTrackerTests(RabbitMqServer rabbit, S3rverServer s3)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>An AckTracker over the deliveries' channel, recording its frames, with every delivery tracked.</summary>
    private static AckTracker TrackingAll(Deliveries deliveries, out RecordingChannel frames)
    {
        var tracker = new AckTracker(RecordingChannel.Wrap(deliveries.Channel, out frames));
        foreach (var tag in deliveries.Tags)
        {
            tracker.Track(tag);
        }

        return tracker;
    }

    [Fact]
    public async Task OutOfOrderCompletionsAcknowledgeExactlyTheCompletedDeliveriesAndNeverAPendingOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = new BatcherHarness(rabbit, s3);
        await using var deliveries = await Deliveries.ConsumeAsync(harness, rabbit, 10);
        var tag = deliveries.Tags;
        using var tracker = TrackingAll(deliveries, out var frames);

        await tracker.CompleteAsync([tag[2], tag[4]], ct);
        await tracker.CompleteAsync([tag[1], tag[0]], ct);
        await tracker.CompleteAsync([tag[5], tag[3], tag[7]], ct);
        await tracker.CompleteAsync([tag[9]], ct);

        // Below the oldest pending delivery one multiple ack covers a completion; above it each tag is acked alone.
        Assert.Equal(
            [Frame.Ack(tag[2]), Frame.Ack(tag[4]), Frame.AckUpTo(tag[1]), Frame.AckUpTo(tag[5]), Frame.Ack(tag[7]), Frame.Ack(tag[9])],
            frames.Frames);
        Assert.Equal(2, tracker.PendingCount);
        Assert.Equal([6, 8], await deliveries.CloseAndReadUnacknowledgedAsync(expected: 2));
    }

    [Fact]
    public async Task RejectedDeliveriesAreDeadLetteredAndMultipleAcksPastThemKeepTheChannelOpen()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = new BatcherHarness(rabbit, s3);
        await using var deliveries = await Deliveries.ConsumeAsync(harness, rabbit, 7);
        var tag = deliveries.Tags;
        using var tracker = TrackingAll(deliveries, out var frames);

        await tracker.RejectAsync([tag[1], tag[4]], ct);
        await tracker.CompleteAsync([tag[0]], ct);
        await tracker.CompleteAsync([tag[2], tag[3], tag[5]], ct);
        // A synchronous method after the acks: had the broker refused one (an unknown tag), the channel would be closed.
        await deliveries.Channel.BasicQosAsync(0, 100, global: false, ct);

        Assert.Equal([Frame.Nack(tag[1]), Frame.Nack(tag[4]), Frame.AckUpTo(tag[0]), Frame.AckUpTo(tag[5])], frames.Frames);
        await Eventually.TrueAsync(async _ => await harness.ReadyMessagesAsync(harness.Queue.DeadLetterQueue) == 2, Timeout, TestContext.Current.CancellationToken, "two dead letters");
        var deadLetters = new List<BasicGetResult>();
        while (await harness.GetAsync(harness.Queue.DeadLetterQueue) is { } message)
        {
            deadLetters.Add(message);
        }

        Assert.Equal([1, 4], deadLetters.Select(Deliveries.MessageNumber).Order());
        Assert.All(deadLetters, m => Assert.Equal(("rejected", harness.Queue.Queue), DeathOf(m)));
        Assert.Equal(1, tracker.PendingCount);
        Assert.Equal([6], await deliveries.CloseAndReadUnacknowledgedAsync(expected: 1));
    }

    [Fact]
    public async Task ConcurrentCompletionsOfInterleavedBatchesAcknowledgeEveryDeliveryOnceAndStopBelowAPendingOne()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var harness = new BatcherHarness(rabbit, s3);
        await using var deliveries = await Deliveries.ConsumeAsync(harness, rabbit, 300);
        var tag = deliveries.Tags;
        using var tracker = TrackingAll(deliveries, out var frames);

        // Twenty batches of interleaved deliveries, as twenty tenants' open batches hold them; one delivery stays pending.
        const int pending = 150;
        var random = new Random(5);
        var batches = Enumerable.Range(0, 300).Where(i => i != pending).GroupBy(_ => random.Next(20)).Select(g => g.Select(i => tag[i]).ToList()).ToList();

        await Task.WhenAll(batches.Select(b => Task.Run(() => tracker.CompleteAsync(b, ct), ct)));
        await deliveries.Channel.BasicQosAsync(0, 100, global: false, ct);

        // Replays the frames as the broker applies them: each must name an unacknowledged tag, and none may cover the pending one.
        var unacknowledged = new SortedSet<ulong>(tag);
        foreach (var frame in frames.Frames)
        {
            Assert.True(unacknowledged.Contains(frame.Tag), $"{frame} names a tag that is already acknowledged");
            Assert.True(!frame.Multiple || frame.Tag < tag[pending], $"{frame} covers the pending tag {tag[pending]}");
            unacknowledged.RemoveWhere(t => frame.Multiple ? t <= frame.Tag : t == frame.Tag);
        }

        Assert.Equal([tag[pending]], unacknowledged);
        Assert.Contains(frames.Frames, f => f.Multiple);
        Assert.Equal(1, tracker.PendingCount);
        Assert.Equal([pending], await deliveries.CloseAndReadUnacknowledgedAsync(expected: 1));
    }

    private static (string Reason, string Queue) DeathOf(BasicGetResult message)
    {
        var death = (IDictionary<string, object?>)((IList<object?>)message.BasicProperties.Headers!["x-death"]!).Single()!;
        return (Encoding.UTF8.GetString((byte[])death["reason"]!), Encoding.UTF8.GetString((byte[])death["queue"]!));
    }

    /// <summary>Messages 0..n-1 published to the harness's queue and delivered, unacknowledged, to a consumer on its own channel.</summary>
    private sealed class Deliveries : IAsyncDisposable
    {
        private readonly BatcherHarness _harness;
        private readonly IConnection _connection;

        private Deliveries(BatcherHarness harness, IConnection connection, IChannel channel, ulong[] tags)
        {
            _harness = harness;
            _connection = connection;
            Channel = channel;
            Tags = tags;
        }

        public IChannel Channel { get; }

        /// <summary>The delivery tag of message i.</summary>
        public ulong[] Tags { get; }

        public static async Task<Deliveries> ConsumeAsync(BatcherHarness harness, RabbitMqServer rabbit, int n)
        {
            var ct = TestContext.Current.CancellationToken;
            for (var i = 0; i < n; i++)
            {
                await harness.PublishRawAsync(Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), tenant: null);
            }

            var connection = await new ConnectionFactory { Uri = new Uri(rabbit.ConnectionString) }.CreateConnectionAsync(ct);
            var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            var received = System.Threading.Channels.Channel.CreateUnbounded<(ulong Tag, int Message)>();
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                received.Writer.TryWrite((delivery.DeliveryTag, MessageNumber(delivery.Body)));
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(harness.Queue.Queue, autoAck: false, consumer, ct);

            var tags = new ulong[n];
            for (var i = 0; i < n; i++)
            {
                var (tag, message) = await received.Reader.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
                tags[message] = tag;
            }

            return new Deliveries(harness, connection, channel, tags);
        }

        public static int MessageNumber(BasicGetResult message) => MessageNumber(message.Body);

        /// <summary>
        /// Closes the consumer's channel, so the broker returns every delivery still unacknowledged to the queue (all
        /// at once), and reads them back: the numbers of the messages that were never acknowledged.
        /// </summary>
        public async Task<List<int>> CloseAndReadUnacknowledgedAsync(int expected)
        {
            await Channel.CloseAsync(TestContext.Current.CancellationToken);
            await Eventually.TrueAsync(async _ => await _harness.ReadyMessagesAsync(_harness.Queue.Queue) >= expected, Timeout, TestContext.Current.CancellationToken, $"{expected} unacknowledged messages back in the queue");
            var returned = new List<BasicGetResult>();
            while (await _harness.GetAsync(_harness.Queue.Queue) is { } message)
            {
                returned.Add(message);
            }

            Assert.All(returned, m => Assert.True(m.Redelivered, $"message {MessageNumber(m)} was not delivered before"));
            return [.. returned.Select(MessageNumber).Order()];
        }

        public async ValueTask DisposeAsync()
        {
            await Channel.DisposeAsync();
            await _connection.DisposeAsync();
        }

        private static int MessageNumber(ReadOnlyMemory<byte> body) =>
            int.Parse(Encoding.UTF8.GetString(body.Span), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>An ack or nack frame as the tracker sent it.</summary>
public readonly record struct Frame(string Method, ulong Tag, bool Multiple)
{
    public static Frame Ack(ulong tag) => new("ack", tag, false);

    public static Frame AckUpTo(ulong tag) => new("ack", tag, true);

    public static Frame Nack(ulong tag) => new("nack", tag, false);
}

/// <summary>
/// A real channel that also records the acks and nacks sent through it, in order. Every call goes to the broker:
/// this observes <see cref="AckTracker"/>'s frames, it does not stand in for RabbitMQ.
/// </summary>
public class RecordingChannel : DispatchProxy
{
    private readonly List<Frame> _frames = [];
    private IChannel? _inner;

    public IReadOnlyList<Frame> Frames
    {
        get
        {
            lock (_frames)
            {
                return [.. _frames];
            }
        }
    }

    public static IChannel Wrap(IChannel inner, out RecordingChannel recorder)
    {
        var proxy = Create<IChannel, RecordingChannel>();
        recorder = (RecordingChannel)(object)proxy;
        recorder._inner = inner;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name is nameof(IChannel.BasicAckAsync) or nameof(IChannel.BasicNackAsync))
        {
            lock (_frames)
            {
                _frames.Add(new Frame(targetMethod.Name == nameof(IChannel.BasicAckAsync) ? "ack" : "nack", (ulong)args![0]!, (bool)args[1]!));
            }
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
