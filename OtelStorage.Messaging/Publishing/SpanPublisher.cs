using System.Diagnostics;
using System.Threading.RateLimiting;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging.Connection;
using OtelStorage.Otlp.Buffers;
using OtelStorage.Otlp.Splitting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace OtelStorage.Messaging.Publishing;

/// <summary>
/// Publishes span batches to the span queue as persistent messages and reports success only when the broker
/// has confirmed all of them. It owns its RabbitMQ connection: the connection is made on first use, retried
/// after failures, and recovered automatically by the client after a broker restart.
/// </summary>
public sealed partial class SpanPublisher : IAsyncDisposable
{
    // Permits of the in-flight limiter are KiB, so a long byte budget fits an int permit count.
    private const int PermitBytes = 1024;

    private readonly SpanQueueOptions _queue;
    private readonly SpanPublisherOptions _options;
    private readonly ConnectionFactory _factory;
    private readonly string _endpoint;
    private readonly ILogger<SpanPublisher> _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrencyLimiter _inFlight;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private IConnection? _connection;
    private IChannel[] _channels = [];
    private long _nextChannel;
    private long _lastConnectFailure = long.MinValue;
    private string? _lastConnectError;

    /// <summary>A publisher whose connections come from <paramref name="factory"/> (<see cref="BrokerConnectionFactory.Create"/>, <see cref="BrokerClientKind.Publisher"/>).</summary>
    public SpanPublisher(ConnectionFactory factory, IOptions<SpanQueueOptions> queue, IOptions<SpanPublisherOptions> options, ILogger<SpanPublisher> logger, TimeProvider time)
    {
        _queue = queue.Value;
        _options = options.Value;
        _logger = logger;
        _time = time;
        _factory = factory;
        _endpoint = _factory.Endpoint.ToString();
        var permits = (int)Math.Min(int.MaxValue, _options.MaxInFlightBytes / PermitBytes);
        _inFlight = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = permits,
            QueueLimit = permits,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>True when the connection is open (it may be recovering otherwise).</summary>
    public bool IsConnected => _connection?.IsOpen == true;

    /// <summary>Connects now, so the topology exists before the first request. Failures are retried on use.</summary>
    public async Task<bool> TryConnectAsync(CancellationToken cancellationToken) =>
        await GetChannelAsync(cancellationToken) is not null;

    /// <summary>
    /// Publishes <paramref name="batches"/> for <paramref name="tenant"/> and waits for every confirm,
    /// up to <see cref="SpanPublisherOptions.ConfirmTimeout"/>.
    /// </summary>
    public async Task<PublishResult> PublishAsync(IReadOnlyList<SpanBatch> batches, string tenant, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (batches.Count == 0)
        {
            return PublishResult.Confirmed;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConfirmTimeout);

        // The channel first: while the broker is down, requests fail fast without queueing for in-flight budget.
        IChannel? channel;
        try
        {
            channel = await GetChannelAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            channel = null;
            _lastConnectError = $"no connection within {_options.ConfirmTimeout.TotalSeconds:0.#} s";
        }

        if (channel is null)
        {
            return new PublishResult(PublishOutcome.Unavailable, "The message broker is unavailable: " + (_lastConnectError ?? "not connected"));
        }

        long bytes = 0;
        foreach (var batch in batches)
        {
            bytes += batch.EncodedSize;
        }

        var permits = (int)Math.Clamp((bytes + PermitBytes - 1) / PermitBytes, 1, Math.Min(int.MaxValue, _options.MaxInFlightBytes / PermitBytes));
        RateLimitLease lease;
        try
        {
            lease = await _inFlight.AcquireAsync(permits, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PublishResult(PublishOutcome.Throttled, "Too many spans are waiting for the broker to confirm; retry later.");
        }

        if (!lease.IsAcquired)
        {
            lease.Dispose();
            return new PublishResult(PublishOutcome.Throttled, "Too many spans are waiting for the broker to confirm; retry later.");
        }

        var started = _time.GetTimestamp();
        var confirms = new Task[batches.Count];
        var published = 0;
        try
        {
            for (; published < batches.Count; published++)
            {
                confirms[published] = PublishOneAsync(channel, batches[published], tenant, receivedAt);
            }
        }
        finally
        {
            // The lease is released only when the broker has answered every message, not when the request
            // gives up waiting, so unconfirmed bodies always count against the budget.
            _ = Task.WhenAll(confirms.AsSpan(0, published).ToArray()).ContinueWith(
                static (_, state) => ((RateLimitLease)state!).Dispose(), lease, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        try
        {
            await Task.WhenAll(confirms).WaitAsync(timeout.Token);
            MessagingTelemetry.ConfirmDuration.Record(_time.GetElapsedTime(started).TotalMilliseconds);
            return PublishResult.Confirmed;
        }
        catch (PublishException e) when (!e.IsReturn)
        {
            // Under x-overflow=reject-publish the broker nacks publishes while the queue is over its limit.
            _logger.LogWarning("The broker refused {Messages} messages for tenant {Tenant}: queue {Queue} is over its limit", batches.Count, tenant, _queue.Queue);
            return new PublishResult(PublishOutcome.Throttled, $"The span queue is over its size limit ({_queue.MaxQueueBytes} bytes); retry later.");
        }
        catch (PublishException)
        {
            _logger.LogError("The broker could not route messages to queue {Queue}; it will be declared again", _queue.Queue);
            await DeclareTopologyAsync(CancellationToken.None);
            return new PublishResult(PublishOutcome.Unavailable, $"The span queue {_queue.Queue} did not exist; retry.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning("The broker did not confirm {Messages} messages within {Timeout}", batches.Count, _options.ConfirmTimeout);
            return new PublishResult(PublishOutcome.Unavailable, $"The message broker did not confirm within {_options.ConfirmTimeout.TotalSeconds:0.#} s.");
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException or ObjectDisposedException)
        {
            _logger.LogWarning("Publishing failed because the broker connection is down: {Error}", e.Message);
            return new PublishResult(PublishOutcome.Unavailable, "The message broker connection is down: " + e.Message);
        }
    }

    private async Task PublishOneAsync(IChannel channel, SpanBatch batch, string tenant, DateTimeOffset receivedAt)
    {
        // Messaging span per message (https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/),
        // and its context travels in the headers so the consumer's span joins the trace.
        // Ingest requests are deliberately left unrecorded (to avoid a self-ingest loop), so an unrecorded
        // parent would suppress this span too; it starts a trace of its own instead. The change is local to this async method.
        if (Activity.Current is { Recorded: false })
        {
            Activity.Current = null;
        }

        using var activity = MessagingTelemetry.Source.StartActivity(_queue.Queue + " publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.destination.name", _queue.Queue);
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("messaging.message.body.size", batch.EncodedSize);
        activity?.SetTag("otelstorage.tenant", tenant);
        activity?.SetTag("otelstorage.spans", batch.SpanCount);

        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = SpanMessage.ContentType,
            Type = SpanMessage.Type,
            Timestamp = new AmqpTimestamp(receivedAt.ToUnixTimeSeconds()),
            Headers = SpanMessage.CreateHeaders(tenant, receivedAt, batch.SpanCount, activity),
        };

        var body = BodyBuffers.Rent(batch.EncodedSize);
        try
        {
            if (batch.Encoded.IsEmpty)
            {
                var request = batch.Request ?? throw new ArgumentException("A batch holds a request or its encoding.", nameof(batch));
                request.WriteTo(body.AsSpan(0, batch.EncodedSize));
            }
            else
            {
                // The body as received: copied, because the caller's buffer may be reused before the broker confirms.
                batch.Encoded.Span.CopyTo(body);
            }

            // With confirmation tracking on, the task completes when the broker confirms (or fails on nack or return).
            await channel.BasicPublishAsync(string.Empty, _queue.Queue, mandatory: true, properties, body.AsMemory(0, batch.EncodedSize), CancellationToken.None);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            BodyBuffers.Return(body);
        }
    }

    private async ValueTask<IChannel?> GetChannelAsync(CancellationToken cancellationToken)
    {
        var channels = _channels;
        if (channels.Length == 0 || _connection is null)
        {
            channels = await ConnectAsync(cancellationToken);
            if (channels.Length == 0)
            {
                return null;
            }
        }

        // Automatic recovery reopens these same channel objects after a reconnect; while it runs they are closed.
        var start = Interlocked.Increment(ref _nextChannel);
        for (var i = 0; i < channels.Length; i++)
        {
            var channel = channels[(int)((start + i) % channels.Length)];
            if (channel.IsOpen)
            {
                return channel;
            }
        }

        _lastConnectError = "the connection is recovering";
        return null;
    }

    private async Task<IChannel[]> ConnectAsync(CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken);
        try
        {
            if (_channels.Length > 0 && _connection is not null)
            {
                return _channels;
            }

            // Fail fast between attempts, so a broker outage does not make every request wait for a connect timeout.
            if (_lastConnectFailure != long.MinValue && _time.GetElapsedTime(_lastConnectFailure) < _options.ReconnectDelay)
            {
                return [];
            }

            IConnection? connection = null;
            try
            {
                connection = await _factory.CreateConnectionAsync(cancellationToken);
                await using (var setup = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
                {
                    await SpanQueueTopology.DeclareAsync(setup, _queue, cancellationToken);
                }

                var channels = new IChannel[_options.Channels];
                // The in-flight byte budget bounds memory, not the client's limit on outstanding confirms.
                var channelOptions = BrokerConnectionFactory.ConfirmingChannel();
                for (var i = 0; i < channels.Length; i++)
                {
                    channels[i] = await connection.CreateChannelAsync(channelOptions, cancellationToken);
                }

                connection.ConnectionShutdownAsync += (_, e) =>
                {
                    _logger.LogWarning("RabbitMQ connection lost ({Initiator}: {ReplyText}); recovering", e.Initiator, e.ReplyText);
                    return Task.CompletedTask;
                };
                connection.RecoverySucceededAsync += (_, _) =>
                {
                    _logger.LogInformation("RabbitMQ connection recovered");
                    return Task.CompletedTask;
                };

                _connection = connection;
                _channels = channels;
                _lastConnectFailure = long.MinValue;
                _lastConnectError = null;
                LogConnected(_logger, _endpoint, _queue.Queue, _options.Channels);
                return channels;
            }
            catch (Exception e) when (e is BrokerUnreachableException or OperationInterruptedException or IOException or TimeoutException or AlreadyClosedException)
            {
                _lastConnectFailure = _time.GetTimestamp();
                _lastConnectError = e.Message;
                _logger.LogWarning("Cannot connect to RabbitMQ: {Error}", e.Message);
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }

                return [];
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task DeclareTopologyAsync(CancellationToken cancellationToken)
    {
        if (_connection is not { IsOpen: true } connection)
        {
            return;
        }

        try
        {
            await using var setup = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await SpanQueueTopology.DeclareAsync(setup, _queue, cancellationToken);
        }
        catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or IOException)
        {
            _logger.LogWarning("Declaring the span queue failed: {Error}", e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _inFlight.Dispose();
        _connectLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to RabbitMQ {Endpoint}; publishing to queue {Queue} on {Channels} channels")]
    private static partial void LogConnected(ILogger logger, string endpoint, string queue, int channels);
}
