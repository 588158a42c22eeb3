using Microsoft.Extensions.Options;
using OtelStorage.Messaging;
using OtelStorage.Messaging.Connection;
using OtelStorage.Messaging.Consuming;
using OtelStorage.Storage.Blocks;

namespace Batcher.Worker.Batching;

/// <summary>
/// Consumes span messages and writes them as blocks: the batcher's write path, queue → per-tenant batch →
/// block encoder → object store → ack. One consumer session per broker connection; when the connection or
/// channel fails, the session's open batches are dropped (the broker redelivers their messages) and a new session
/// starts after a backoff (<see cref="ConsumerSessions"/>).
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerSessions.RunAsync(
            RunSessionAsync,
            new RetryBackoff(TimeSpan.FromMilliseconds(_options.RetryInitialMs), TimeSpan.FromMilliseconds(_options.RetryMaxMs)),
            _queue.Queue,
            time,
            logger,
            stoppingToken);

    private async Task RunSessionAsync(CancellationToken stoppingToken)
    {
        await using var connection = await connect(stoppingToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        // Dead-lettering publishes with confirms, so a poison message is acked only once the broker holds its copy.
        await using var deadLetterChannel = await connection.CreateChannelAsync(BrokerConnectionFactory.ConfirmingChannel(), stoppingToken);
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
