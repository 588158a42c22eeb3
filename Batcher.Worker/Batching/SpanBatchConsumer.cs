using Microsoft.Extensions.Options;
using OtelStorage.Messaging;
using OtelStorage.Storage.Blocks;
using RabbitMQ.Client;

namespace Batcher.Worker.Batching;

/// <summary>Opens a connection to the broker; the consumer owns it and reconnects through this after a failure.</summary>
public delegate Task<IConnection> BrokerConnector(CancellationToken cancellationToken);

/// <summary>
/// Consumes span messages and writes them as blocks: the batcher's write path, queue → per-tenant batch →
/// block encoder → object store → ack. One consumer session per broker connection; when the connection or
/// channel fails, the session's open batches are dropped (the broker redelivers their messages) and a new session
/// starts after a backoff.
/// </summary>
public sealed class SpanBatchConsumer(
    BrokerConnector connect,
    BlockStore blocks,
    IOptions<BatcherOptions> options,
    IOptions<SpanQueueOptions> queueOptions,
    BatcherTelemetry telemetry,
    TimeProvider time,
    ILogger<SpanBatchConsumer> logger) : BackgroundService
{
    private readonly BatcherOptions _options = options.Value;
    private readonly SpanQueueOptions _queue = queueOptions.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunSessionAsync(stoppingToken);
                attempt = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                var delay = Backoff.Delay(attempt++, _options.RetryInitialMs, _options.RetryMaxMs);
                logger.LogWarning(e, "Consumer session on {Queue} ended: {Reason}; reconnecting in {DelayMs} ms", _queue.Queue, e.Message, (int)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private async Task RunSessionAsync(CancellationToken stoppingToken)
    {
        await using var connection = await connect(stoppingToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        // Dead-lettering publishes with confirms, so a poison message is acked only once the broker holds its copy.
        await using var deadLetterChannel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null),
            stoppingToken);
        await SpanQueueTopology.DeclareAsync(channel, _queue, stoppingToken);
        using var session = new ConsumerSession(channel, deadLetterChannel, blocks, _options, _queue, telemetry, time, logger);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation(
                "Replica {Replica} consuming {Queue}: batch_size {BatchSize} spans, batch_max_bytes {BatchMaxBytes}, batch_timeout_ms {BatchTimeoutMs}, prefetch up to {Prefetch} messages and {PrefetchBytes} bytes",
                _options.ReplicaId, _queue.Queue, _options.BatchSize, _options.BatchMaxBytes, _options.BatchTimeoutMs, _options.Prefetch, _options.PrefetchBytes);
        }
        await session.RunAsync(stoppingToken);
    }
}

/// <summary>Exponential backoff with full jitter.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int attempt, int initialMs, int maxMs)
    {
        var ceiling = Math.Min(maxMs, initialMs * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(Math.Max(initialMs, ceiling * (0.5 + Random.Shared.NextDouble() / 2)));
    }
}
