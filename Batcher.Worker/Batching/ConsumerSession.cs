using System.Diagnostics;
using System.Threading.Channels;
using OtelStorage.Messaging;
using OtelStorage.Messaging.Consuming;
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
/// confirmed by the broker. When to cut and how large the prefetch window is are <see cref="BatchingPolicy"/>'s.
/// </summary>
internal sealed partial class ConsumerSession : IDisposable
{
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
    private readonly BatchingPolicy _policy;
    private readonly RetryBackoff _writeBackoff;
    private string? _brokenReason;
    private string? _consumerTag;

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
        _policy = new BatchingPolicy(options, time);
        _writeBackoff = new RetryBackoff(TimeSpan.FromMilliseconds(options.RetryInitialMs), TimeSpan.FromMilliseconds(options.RetryMaxMs));
        _telemetry.ObserveOpenBatches(_policy.Observe);
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        _channel.ChannelShutdownAsync += OnChannelShutdownAsync;
        _deadLetterChannel.ChannelShutdownAsync += OnChannelShutdownAsync;
        await ConsumeAsync(_policy.InitialWindow, stoppingToken);

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
        var message = SpanMessage.ReadHeaders(delivery.BasicProperties.Headers);
        using var activity = MessagingTelemetry.StartProcess(_queue.Queue, delivery, message.Parent);
        if (message.ReceivedAt is { } receivedAt)
        {
            MessagingTelemetry.ProcessLag.Record((_time.GetUtcNow() - receivedAt).TotalMilliseconds);
        }

        // The body is only valid inside this handler. The copy is pooled (BodyBuffers): it lives only until the batching loop has
        // added it, and messages are large enough that fresh arrays would all be large-object-heap garbage.
        var buffer = BodyBuffers.Rent(delivery.Body.Length);
        delivery.Body.CopyTo(buffer);
        var item = new Delivery(
            delivery.DeliveryTag,
            message.Tenant ?? TenantId.Default,
            buffer,
            delivery.Body.Length,
            new BasicProperties(delivery.BasicProperties),
            activity?.Context ?? message.Parent);
        activity?.SetTag("otelstorage.tenant", item.Tenant);
        activity?.SetTag("otelstorage.spans", message.SpanCount);
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
            else if (_policy.UntilNextDeadline() is { } wait)
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
        if (_policy.FollowMessageSize(delivery.Body.Length) is { } window)
        {
            LogWindow(_policy.Window, window, (long)_policy.AverageMessageBytes);
            await ConsumeAsync(window, cancellationToken);
        }

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
            batch = new OpenBatch(delivery.Tenant, BlockEncodings.Current.CreateBuilder(delivery.Tenant, _buildOptions));
            _batches[delivery.Tenant] = batch;
        }

        var spansBefore = batch.Builder.SpanCount;
        var bytesBefore = batch.Builder.ByteCount;
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

        var spans = batch.Builder.SpanCount - spansBefore;
        // The body is not kept: the builder holds the spans, and an open batch would otherwise hold them twice.
        batch.Messages.Add(new BatchedMessage(delivery.Tag, delivery.Context));
        _telemetry.SpansConsumed.Add(spans);
        if (_policy.Add(delivery.Tenant, spans, batch.Builder.ByteCount - bytesBefore) is { } cut)
        {
            await CutAsync(_batches[cut.Tenant], cut.Reason, cancellationToken);
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
        var previous = _consumerTag;
        _consumerTag = await _channel.ConsumeAsync(_queue.Queue, (ushort)window, OnReceivedAsync, $"{_options.ReplicaId}-{Guid.NewGuid():N}", cancellationToken);
        _policy.Subscribed(window);
        if (previous is not null)
        {
            await _channel.BasicCancelAsync(previous, noWait: false, cancellationToken);
        }
    }

    [LoggerMessage(LogLevel.Debug, "Prefetch window {Old} -> {New} messages for an average message of {Bytes} bytes")]
    private partial void LogWindow(int old, int @new, long bytes);

    private async Task CutExpiredAsync(CancellationToken cancellationToken)
    {
        foreach (var cut in _policy.Expired())
        {
            await CutAsync(_batches[cut.Tenant], cut.Reason, cancellationToken);
        }
    }

    private async Task CutAsync(OpenBatch batch, CutReason reason, CancellationToken cancellationToken)
    {
        // Waiting for a free slot is the backpressure: deliveries queue up to the prefetch window, then the broker
        // holds the rest. The batch stays open meanwhile, so a shutdown during the wait still flushes it.
        await _flushSlots.WaitAsync(cancellationToken);
        _batches.Remove(batch.Tenant);
        _policy.Remove(batch.Tenant);

        // The block ID is fixed at the cut, so every retry of this batch overwrites its own partial objects.
        var blockId = BlockId.New(_time.GetUtcNow());
        _flushes.RemoveAll(t => t.IsCompleted);
        _flushes.Add(Task.Run(async () =>
        {
            try
            {
                await FlushAsync(batch, blockId, reason, _flushCancel.Token);
            }
            finally
            {
                _flushSlots.Release();
            }
        }, CancellationToken.None));
    }

    private async Task FlushAsync(OpenBatch batch, string blockId, CutReason reason, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var tags = batch.Messages.Select(m => m.Tag).ToList();
        var links = batch.Messages.Where(m => m.Context != default).Take(64).Select(m => new ActivityLink(m.Context)).ToList();
        using var activity = BatcherTelemetry.Source.StartActivity("block flush", ActivityKind.Internal, parentContext: default, links: links);
        activity?.SetTag("otelstorage.tenant", batch.Tenant);
        activity?.SetTag("otelstorage.block_id", blockId);
        activity?.SetTag("otelstorage.spans", batch.Builder.SpanCount);
        activity?.SetTag("messaging.batch.message_count", tags.Count);
        activity?.SetTag("otelstorage.cut_reason", reason.ToString());
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
                    var delay = _writeBackoff.Delay(attempt);
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
        await DeadLetters.PublishAsync(_deadLetterChannel, _queue.DeadLetterExchange, _queue.Queue, delivery.Properties, delivery.Body, reason, cancellationToken);
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

            foreach (var cut in _policy.AtShutdown())
            {
                await CutAsync(_batches[cut.Tenant], cut.Reason, _flushCancel.Token);
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

    private sealed record Delivery(ulong Tag, string Tenant, byte[] Buffer, int Length, BasicProperties Properties, ActivityContext Context)
    {
        public ReadOnlyMemory<byte> Body => Buffer.AsMemory(0, Length);
    }

    private readonly record struct BatchedMessage(ulong Tag, ActivityContext Context);

    private sealed class OpenBatch(string tenant, IBlockBuilder builder)
    {
        public string Tenant { get; } = tenant;

        public IBlockBuilder Builder { get; } = builder;

        public List<BatchedMessage> Messages { get; } = [];
    }
}
