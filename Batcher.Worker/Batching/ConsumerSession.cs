using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using OtelStorage.Messaging;
using OtelStorage.Otlp.Buffers;
using OtelStorage.Otlp.Validation;
using OtelStorage.Storage.Blocks;
using OtelStorage.Tenancy;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Batcher.Worker.Batching;

/// <summary>
/// One channel's worth of consuming. Deliveries pass from the broker's dispatcher to a single batching loop,
/// which owns the open batches; cut batches are flushed by up to <c>flush_concurrency</c> tasks. A delivery is
/// acknowledged only after the meta.json of the block holding it is written, or after its dead-letter copy is
/// confirmed by the broker.
/// </summary>
internal sealed partial class ConsumerSession : IDisposable
{
    /// <summary>The first window assumes Ingest.Api's largest messages (its default split size), then follows the average seen.</summary>
    private const double InitialMessageBytes = 256 * 1024;

    /// <summary>Messages between two checks of the prefetch window against the average size.</summary>
    private const int WindowCheckMessages = 64;

    /// <summary>Attribute sizes are Ingest.Api's policy; here a message is judged only on being decodable and its spans valid.</summary>
    private static readonly SpanLimits MessageLimits = new(int.MaxValue);

    private readonly IChannel _channel;
    private readonly IChannel _deadLetterChannel;
    private readonly BlockStore _blocks;
    private readonly BatcherOptions _options;
    private readonly SpanQueueOptions _queue;
    private readonly BatcherTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AckTracker _acks;
    private readonly Channel<Delivery> _incoming = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, OpenBatch> _batches = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushSlots;
    private readonly List<Task> _flushes = [];
    private readonly CancellationTokenSource _broken = new();
    private readonly CancellationTokenSource _flushCancel;
    private readonly BlockBuildOptions _buildOptions;
    private string? _brokenReason;
    private string? _consumerTag;
    private int _prefetch;
    private double _averageMessageBytes = InitialMessageBytes;
    private int _sinceWindowCheck;
    private int _openMessages;
    private long _openSpans;
    private long _oldestOpenTimestamp;

    public ConsumerSession(IChannel channel, IChannel deadLetterChannel, BlockStore blocks, BatcherOptions options, SpanQueueOptions queue, BatcherTelemetry telemetry, TimeProvider time, ILogger logger)
    {
        _channel = channel;
        _deadLetterChannel = deadLetterChannel;
        _blocks = blocks;
        _options = options;
        _queue = queue;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _acks = new AckTracker(channel);
        _flushSlots = new SemaphoreSlim(options.FlushConcurrency, options.FlushConcurrency);
        _flushCancel = CancellationTokenSource.CreateLinkedTokenSource(_broken.Token);
        _buildOptions = new BlockBuildOptions { RowGroupSpans = options.RowGroupSpans, Compression = options.Compression };
        _telemetry.ObserveOpenBatches(() =>
        {
            var oldest = Interlocked.Read(ref _oldestOpenTimestamp);
            return (oldest == 0 ? 0 : _time.GetElapsedTime(oldest).TotalSeconds, Interlocked.Read(ref _openSpans));
        });
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        _channel.ChannelShutdownAsync += OnChannelShutdownAsync;
        _deadLetterChannel.ChannelShutdownAsync += OnChannelShutdownAsync;
        await ConsumeAsync(_options.PrefetchFor(_averageMessageBytes), stoppingToken);

        using var loopCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _broken.Token);
        try
        {
            await BatchLoopAsync(loopCancel.Token);
        }
        catch (OperationCanceledException) when (loopCancel.IsCancellationRequested)
        {
        }

        if (!_broken.IsCancellationRequested)
        {
            await ShutdownAsync(_consumerTag!);
        }

        await WaitForFlushesAsync();
        if (_broken.IsCancellationRequested)
        {
            throw new IOException("broker channel closed: " + (_brokenReason ?? "unknown reason"));
        }
    }

    public void Dispose()
    {
        _telemetry.ObserveOpenBatches(() => (0, 0));
        _channel.ChannelShutdownAsync -= OnChannelShutdownAsync;
        _deadLetterChannel.ChannelShutdownAsync -= OnChannelShutdownAsync;
        _flushCancel.Dispose();
        _broken.Dispose();
        _flushSlots.Dispose();
        _acks.Dispose();
    }

    private async Task OnChannelShutdownAsync(object sender, ShutdownEventArgs args)
    {
        _brokenReason = $"{args.ReplyCode} {args.ReplyText}";
        await _broken.CancelAsync();
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        _acks.Track(delivery.DeliveryTag);
        var headers = delivery.BasicProperties.Headers;
        var parent = ActivityContext.TryParse(Header(headers, SpanMessage.Headers.TraceParent), Header(headers, SpanMessage.Headers.TraceState), out var context)
            ? context
            : default;
        using var activity = MessagingTelemetry.Source.StartActivity($"{_queue.Queue} process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", _queue.Queue);
        activity?.SetTag("messaging.message.body.size", delivery.Body.Length);
        activity?.SetTag("messaging.rabbitmq.message.delivery_tag", delivery.DeliveryTag);

        // The body is only valid inside this handler. The copy is pooled (BodyBuffers): it lives only until the batching loop has
        // added it, and messages are large enough that fresh arrays would all be large-object-heap garbage.
        var buffer = BodyBuffers.Rent(delivery.Body.Length);
        delivery.Body.CopyTo(buffer);
        var item = new Delivery(
            delivery.DeliveryTag,
            Header(headers, SpanMessage.Headers.Tenant) ?? TenantId.Default,
            buffer,
            delivery.Body.Length,
            new BasicProperties(delivery.BasicProperties),
            activity?.Context ?? parent);
        activity?.SetTag("otelstorage.tenant", item.Tenant);
        await _incoming.Writer.WriteAsync(item, delivery.CancellationToken);
    }

    private async Task BatchLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_incoming.Reader.TryRead(out var delivery))
            {
                await AddAsync(delivery, cancellationToken);
            }
            else if (NextDeadline() is { } wait)
            {
                try
                {
                    await _incoming.Reader.WaitToReadAsync(cancellationToken).AsTask().WaitAsync(wait, _time, cancellationToken);
                }
                catch (TimeoutException)
                {
                }
            }
            else
            {
                await _incoming.Reader.WaitToReadAsync(cancellationToken);
            }

            await CutExpiredAsync(cancellationToken);
        }
    }

    /// <summary>Batches or dead-letters the delivery, then gives its buffer back.</summary>
    private async Task AddAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            await BatchAsync(delivery, cancellationToken);
        }
        finally
        {
            BodyBuffers.Return(delivery.Buffer);
        }
    }

    private async Task BatchAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        _telemetry.MessagesConsumed.Add(1);
        await FollowMessageSizeAsync(delivery.Body.Length, cancellationToken);
        if (!TenantId.IsValid(delivery.Tenant))
        {
            await DeadLetterAsync(delivery, "invalid_tenant", $"tenant header '{delivery.Tenant}' does not match {TenantId.Pattern}", cancellationToken);
            return;
        }

        // Ingest.Api publishes only valid requests, but the queue is a trust boundary: a malformed span stored in a
        // block would break every read of its row group, and a message that failed here would be redelivered forever.
        if (WireSpanValidator.ProblemOf(delivery.Body.Span, MessageLimits) is { } problem)
        {
            await DeadLetterAsync(delivery, "malformed", "body is " + problem, cancellationToken);
            return;
        }

        if (!_batches.TryGetValue(delivery.Tenant, out var batch))
        {
            batch = new OpenBatch(delivery.Tenant, BlockEncodings.Current.CreateBuilder(delivery.Tenant, _buildOptions), _time.GetTimestamp());
            _batches[delivery.Tenant] = batch;
        }

        var before = batch.Builder.SpanCount;
        try
        {
            batch.Builder.AddProtobuf(delivery.Body.Span);
        }
        catch (InvalidDataException e)
        {
            // The decoder accepted it but the block builder's scanner does not: a gap in the scanner, reported as
            // poison rather than restarting the session on this message forever.
            if (batch.Messages.Count == 0)
            {
                _batches.Remove(delivery.Tenant);
            }

            await DeadLetterAsync(delivery, "malformed", "body could not be scanned into a block: " + e.Message, cancellationToken);
            return;
        }

        var spans = batch.Builder.SpanCount - before;
        // The body is not kept: the builder holds the spans, and an open batch would otherwise hold them twice.
        batch.Messages.Add(new BatchedMessage(delivery.Tag, delivery.Context));
        _openMessages++;
        Interlocked.Add(ref _openSpans, spans);
        _telemetry.SpansConsumed.Add(spans);
        UpdateOldest();

        if (batch.Builder.SpanCount >= _options.BatchSize || batch.Builder.ByteCount >= _options.BatchMaxBytes || batch.Messages.Count >= MaxBatchMessages)
        {
            await CutAsync(batch, cancellationToken);
        }
        else if (_openMessages >= MaxBatchMessages)
        {
            // Many tenants together hold half the prefetch window: cut the largest so deliveries keep flowing.
            await CutAsync(_batches.Values.MaxBy(b => b.Messages.Count)!, cancellationToken);
        }
    }

    /// <summary>A batch is cut when its messages reach this, so open batches never hold the whole prefetch window.</summary>
    private int MaxBatchMessages => Math.Max(1, _prefetch / 2);

    /// <summary>
    /// Keeps the prefetch window at <see cref="BatcherOptions.PrefetchBytes"/> worth of messages of the average size
    /// seen (a moving average over about the last 64 messages), changing it when it is off by more than a quarter.
    /// The window only changes when the traffic's message size does, so re-subscribing is rare.
    /// </summary>
    private async Task FollowMessageSizeAsync(int bytes, CancellationToken cancellationToken)
    {
        _averageMessageBytes += (bytes - _averageMessageBytes) / WindowCheckMessages;
        if (++_sinceWindowCheck < WindowCheckMessages)
        {
            return;
        }

        _sinceWindowCheck = 0;
        var window = _options.PrefetchFor(_averageMessageBytes);
        if (Math.Abs(window - _prefetch) * 4 > _prefetch)
        {
            LogWindow(_prefetch, window, (long)_averageMessageBytes);
            await ConsumeAsync(window, cancellationToken);
        }
    }

    /// <summary>
    /// Subscribes with a prefetch window of <paramref name="window"/> messages. A quorum queue's prefetch is per
    /// consumer and fixed when it subscribes, so a new window is a new consumer: the new one starts before the old
    /// one is cancelled, so deliveries never pause, and the old one's unacked messages stay on the channel to be
    /// acked as usual. For that moment the two windows add up.
    /// </summary>
    private async Task ConsumeAsync(int window, CancellationToken cancellationToken)
    {
        await _channel.BasicQosAsync(0, (ushort)window, global: false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        var previous = _consumerTag;
        _consumerTag = await _channel.BasicConsumeAsync(_queue.Queue, autoAck: false, $"{_options.ReplicaId}-{Guid.NewGuid():N}", consumer, cancellationToken);
        _prefetch = window;
        if (previous is not null)
        {
            await _channel.BasicCancelAsync(previous, noWait: false, cancellationToken);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Prefetch window {Old} -> {New} messages for an average message of {Bytes} bytes")]
    private partial void LogWindow(int old, int @new, long bytes);

    private TimeSpan? NextDeadline()
    {
        if (_batches.Count == 0)
        {
            return null;
        }

        var oldest = _batches.Values.Min(b => b.OpenedAt);
        var remaining = TimeSpan.FromMilliseconds(_options.BatchTimeoutMs) - _time.GetElapsedTime(oldest);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private async Task CutExpiredAsync(CancellationToken cancellationToken)
    {
        if (_batches.Count == 0)
        {
            return;
        }

        var timeout = TimeSpan.FromMilliseconds(_options.BatchTimeoutMs);
        foreach (var batch in _batches.Values.Where(b => _time.GetElapsedTime(b.OpenedAt) >= timeout).ToList())
        {
            await CutAsync(batch, cancellationToken);
        }
    }

    private async Task CutAsync(OpenBatch batch, CancellationToken cancellationToken)
    {
        // Waiting for a free slot is the backpressure: deliveries queue up to the prefetch window, then the broker
        // holds the rest. The batch stays open meanwhile, so a shutdown during the wait still flushes it.
        await _flushSlots.WaitAsync(cancellationToken);
        _batches.Remove(batch.Tenant);
        _openMessages -= batch.Messages.Count;
        Interlocked.Add(ref _openSpans, -batch.Builder.SpanCount);
        UpdateOldest();

        // The block ID is fixed at the cut, so every retry of this batch overwrites its own partial objects.
        var blockId = BlockId.New(_time.GetUtcNow());
        _flushes.RemoveAll(t => t.IsCompleted);
        _flushes.Add(Task.Run(async () =>
        {
            try
            {
                await FlushAsync(batch, blockId, _flushCancel.Token);
            }
            finally
            {
                _flushSlots.Release();
            }
        }, CancellationToken.None));
    }

    private async Task FlushAsync(OpenBatch batch, string blockId, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var tags = batch.Messages.Select(m => m.Tag).ToList();
        var links = batch.Messages.Where(m => m.Context != default).Take(64).Select(m => new ActivityLink(m.Context)).ToList();
        using var activity = BatcherTelemetry.Source.StartActivity("block flush", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag("otelstorage.tenant", batch.Tenant);
        activity?.SetTag("otelstorage.block_id", blockId);
        activity?.SetTag("otelstorage.spans", batch.Builder.SpanCount);
        activity?.SetTag("messaging.batch.message_count", tags.Count);
        try
        {
            if (batch.Builder.SpanCount == 0)
            {
                await _acks.CompleteAsync(tags, cancellationToken);
                return;
            }

            EncodedBlock block;
            try
            {
                block = await batch.Builder.BuildAsync(blockId, _time.GetUtcNow(), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Encoding is deterministic: retrying would fail forever and stall the queue, so the messages are
                // rejected to the queue's dead-letter exchange (their x-death header says "rejected"; this log says why).
                _logger.LogError(e, "Encoding block {BlockId} for tenant {Tenant} failed; dead-lettering its {Messages} messages", blockId, batch.Tenant, tags.Count);
                await _acks.RejectAsync(tags, cancellationToken);
                _telemetry.DeadLettered.Add(tags.Count, new KeyValuePair<string, object?>("reason", "encode_failed"));
                return;
            }

            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await _blocks.WriteAsync(block, cancellationToken);
                    break;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    _telemetry.ObjectStoreErrors.Add(1);
                    var delay = Backoff.Delay(attempt, _options.RetryInitialMs, _options.RetryMaxMs);
                    _logger.LogWarning(
                        "Writing block {BlockId} for tenant {Tenant} failed (attempt {Attempt}): {Error}; retrying in {DelayMs} ms, its {Messages} messages stay unacknowledged",
                        blockId, batch.Tenant, attempt + 1, e.Message, (int)delay.TotalMilliseconds, tags.Count);
                    await Task.Delay(delay, _time, cancellationToken);
                }
            }

            await _acks.CompleteAsync(tags, cancellationToken);
            var size = block.Data.Length + block.Index.Length;
            var elapsed = _time.GetElapsedTime(started);
            _telemetry.BlocksWritten.Add(1);
            _telemetry.BlockBytes.Add(size);
            _telemetry.BlockSize.Record(size);
            _telemetry.FlushDuration.Record(elapsed.TotalSeconds);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation(
                    "Wrote block {BlockId} for tenant {Tenant}: {Spans} spans, {Bytes} bytes, {Messages} messages, in {ElapsedMs} ms",
                    blockId, batch.Tenant, block.Meta.SpanCount, size, tags.Count, (int)elapsed.TotalMilliseconds);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The channel closed or shutdown ran out of time: the messages were never acked, so the broker redelivers them.
            activity?.SetStatus(ActivityStatusCode.Error, "abandoned");
            _logger.LogWarning("Abandoned block {BlockId} for tenant {Tenant}; its {Messages} messages will be redelivered", blockId, batch.Tenant, tags.Count);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            _logger.LogError(e, "Flushing block {BlockId} for tenant {Tenant} failed; restarting the consumer session", blockId, batch.Tenant);
            _brokenReason = e.Message;
            await _broken.CancelAsync();
        }
    }

    private async Task DeadLetterAsync(Delivery delivery, string reasonKind, string reason, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties(delivery.Properties)
        {
            Persistent = true,
            Headers = new Dictionary<string, object?>(delivery.Properties.Headers ?? new Dictionary<string, object?>())
            {
                [SpanMessage.Headers.DeadLetterReason] = reason,
                ["x-original-queue"] = _queue.Queue,
            },
        };
        // Mandatory: if no dead-letter queue were bound, the publish fails and the message stays unacked instead of vanishing.
        await _deadLetterChannel.BasicPublishAsync(_queue.DeadLetterExchange, _queue.Queue, mandatory: true, properties, delivery.Body, cancellationToken);
        await _acks.CompleteAsync([delivery.Tag], cancellationToken);
        _telemetry.DeadLettered.Add(1, new KeyValuePair<string, object?>("reason", reasonKind));
        _logger.LogWarning("Dead-lettered message {DeliveryTag} of tenant {Tenant} to {DeadLetterQueue}: {Reason}", delivery.Tag, delivery.Tenant, _queue.DeadLetterQueue, reason);
    }

    private async Task ShutdownAsync(string consumerTag)
    {
        // Stop new deliveries, batch what already arrived, flush every open batch within the shutdown budget.
        _flushCancel.CancelAfter(_options.ShutdownTimeoutMs);
        try
        {
            await _channel.BasicCancelAsync(consumerTag, noWait: false, _flushCancel.Token);
            while (_incoming.Reader.TryRead(out var delivery))
            {
                await AddAsync(delivery, _flushCancel.Token);
            }

            foreach (var batch in _batches.Values.ToList())
            {
                await CutAsync(batch, _flushCancel.Token);
            }

            if (_logger.IsEnabled(LogLevel.Information))
            {
                _logger.LogInformation("Shutting down: flushing {Flushes} open batches of {Queue}", _flushes.Count(f => !f.IsCompleted), _queue.Queue);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RabbitMQ.Client.Exceptions.AlreadyClosedException)
        {
            _logger.LogWarning("Shutdown could not flush every open batch ({Reason}); unflushed messages will be redelivered", e.Message);
        }
    }

    private async Task WaitForFlushesAsync()
    {
        try
        {
            await Task.WhenAll(_flushes);
        }
        catch (Exception e)
        {
            _logger.LogDebug(e, "A flush ended with an error during session teardown");
        }
    }

    private void UpdateOldest() =>
        Interlocked.Exchange(ref _oldestOpenTimestamp, _batches.Count == 0 ? 0 : _batches.Values.Min(b => b.OpenedAt));

    private static string? Header(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string text => text,
                _ => value?.ToString(),
            }
            : null;

    private sealed record Delivery(ulong Tag, string Tenant, byte[] Buffer, int Length, BasicProperties Properties, ActivityContext Context)
    {
        public ReadOnlyMemory<byte> Body => Buffer.AsMemory(0, Length);
    }

    private readonly record struct BatchedMessage(ulong Tag, ActivityContext Context);

    private sealed class OpenBatch(string tenant, IBlockBuilder builder, long openedAt)
    {
        public string Tenant { get; } = tenant;

        public IBlockBuilder Builder { get; } = builder;

        public long OpenedAt { get; } = openedAt;

        public List<BatchedMessage> Messages { get; } = [];
    }
}
