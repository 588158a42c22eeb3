using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging;
using OtelStorage.Messaging.Connection;
using OtelStorage.Messaging.Consuming;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OtelStorage.Compaction;

/// <summary>
/// Consumes the single-active-consumer compaction queue, up to <see cref="CompactionOptions.Concurrency"/> jobs at
/// once, and acknowledges each job on its own after it completes. Every replica also offers a plan job every
/// <see cref="CompactionOptions.Interval"/> while the queue is empty, so compaction goes on as long as any replica runs. If the connection drops mid-job, the job
/// is cancelled and the broker hands it (unacknowledged) to the next active consumer, and the worker reconnects with
/// backoff (<see cref="ConsumerSessions"/>).
/// </summary>
public sealed partial class CompactionWorker(
    BrokerConnector connect,
    CompactionJobRunner runner,
    CompactionBrokerHealthCheck health,
    IOptions<CompactionOptions> options,
    IOptions<CompactionQueueOptions> queueOptions,
    TimeProvider time,
    ILogger<CompactionWorker> logger) : BackgroundService
{
    private static readonly RetryBackoff Reconnect = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), Jitter: false);

    private readonly CompactionOptions _options = options.Value;
    private readonly CompactionQueueOptions _queue = queueOptions.Value;
    private long _lastPlanTimestamp;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ConsumerSessions.RunAsync(RunReportedSessionAsync, Reconnect, _queue.Queue, time, logger, stoppingToken);

    /// <summary>A session whose failure the broker health check reports until the next session starts.</summary>
    private async Task RunReportedSessionAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunSessionAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            health.SessionFailed(e);
            throw;
        }
    }

    /// <summary>One connection's life: declare, consume and schedule until the connection drops or the host stops.</summary>
    private async Task RunSessionAsync(CancellationToken stoppingToken)
    {
        // Declared before the connection, so it outlives the shutdown event raised when the connection is disposed.
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        await using var connection = await connect(session.Token);
        connection.ConnectionShutdownAsync += async (_, _) => await session.CancelAsync();

        // Handlers run concurrently up to Concurrency; single acks from concurrent handlers are safe on one channel.
        var concurrency = (ushort)_options.Concurrency;
        await using var consumeChannel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: false, publisherConfirmationTrackingEnabled: false, consumerDispatchConcurrency: concurrency),
            session.Token);
        await using var publishChannel = await connection.CreateChannelAsync(BrokerConnectionFactory.ConfirmingChannel(), session.Token);
        await CompactionQueueTopology.DeclareAsync(consumeChannel, _queue, session.Token);

        var publishGate = new SemaphoreSlim(1, 1);
        async Task PublishAsync(IReadOnlyList<CompactionJob> jobs, CancellationToken cancellationToken)
        {
            await publishGate.WaitAsync(cancellationToken);
            try
            {
                var properties = new BasicProperties { Persistent = true, ContentType = CompactionJob.ContentType };
                await Task.WhenAll(jobs.Select(j => publishChannel.BasicPublishAsync(string.Empty, _queue.Queue, mandatory: true, properties, j.ToJson(), cancellationToken).AsTask()));
            }
            finally
            {
                publishGate.Release();
            }
        }

        async Task DeadLetterAsync(BasicDeliverEventArgs delivery, string reason, CancellationToken cancellationToken)
        {
            await publishGate.WaitAsync(cancellationToken);
            try
            {
                await DeadLetters.PublishAsync(publishChannel, _queue.DeadLetterExchange, _queue.Queue, delivery.BasicProperties, delivery.Body, reason, cancellationToken);
            }
            finally
            {
                publishGate.Release();
            }

            await consumeChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
        }

        // At most Concurrency jobs unacknowledged: the next is delivered only after one of them is acknowledged.
        await consumeChannel.ConsumeAsync(
            _queue.Queue, concurrency, async (_, delivery) => await HandleAsync(consumeChannel, delivery, PublishAsync, DeadLetterAsync, session.Token), consumerTag: string.Empty, session.Token);
        LogConsuming(_queue.Queue, concurrency);
        health.SessionStarted();

        try
        {
            await ScheduleAsync(publishChannel, PublishAsync, session.Token);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
        {
            throw new InvalidOperationException("broker connection closed");
        }
        finally
        {
            publishGate.Dispose();
        }
    }

    /// <summary>Offers a plan job whenever the queue holds none ready, every interval.</summary>
    private async Task ScheduleAsync(IChannel channel, PublishJobs publish, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, time);
        do
        {
            var queue = await channel.QueueDeclarePassiveAsync(_queue.Queue, cancellationToken);
            if (queue.MessageCount == 0)
            {
                await publish([new CompactionJob { Kind = CompactionJobKind.Plan, PublishedAt = time.GetUtcNow() }], cancellationToken);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private async Task HandleAsync(
        IChannel channel, BasicDeliverEventArgs delivery, PublishJobs publish, Func<BasicDeliverEventArgs, string, CancellationToken, Task> deadLetter, CancellationToken cancellationToken)
    {
        using var activity = MessagingTelemetry.StartProcess(_queue.Queue, delivery, MessageHeaders.GetTraceContext(delivery.BasicProperties.Headers));
        CompactionJob job;
        try
        {
            job = CompactionJob.FromJson(delivery.Body.Span);
        }
        catch (System.Text.Json.JsonException e)
        {
            // Unreadable jobs can never succeed: straight to the dead-letter queue, with the reason.
            LogUnreadableJob(e, delivery.DeliveryTag);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
            await deadLetter(delivery, "job is not valid JSON: " + e.Message, cancellationToken);
            return;
        }

        try
        {
            // Replicas offer plans independently; one plan per half interval is enough.
            var last = Interlocked.Read(ref _lastPlanTimestamp);
            if (job.Kind == CompactionJobKind.Plan && last != 0 && time.GetElapsedTime(last) < _options.Interval / 2)
            {
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
                return;
            }

            await runner.RunAsync(job, publish, cancellationToken);
            if (job.Kind == CompactionJobKind.Plan)
            {
                Interlocked.Exchange(ref _lastPlanTimestamp, time.GetTimestamp());
            }

            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down or disconnected: the unacknowledged job goes to the next active consumer.
        }
        catch (Exception e)
        {
            LogJobFailed(e, job.Kind, job.Tenant, _options.RetryDelay);
            try
            {
                await Task.Delay(_options.RetryDelay, time, cancellationToken);
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // As above: the broker requeues it when the channel closes.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming compaction jobs from {Queue} (single active consumer, {Concurrency} at once)")]
    private partial void LogConsuming(string queue, int concurrency);

    [LoggerMessage(Level = LogLevel.Error, Message = "Compaction job {Kind} for tenant {Tenant} failed; it returns to the queue in {Delay}")]
    private partial void LogJobFailed(Exception exception, CompactionJobKind kind, string? tenant, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Compaction job with delivery tag {DeliveryTag} is not valid JSON; dead-lettered")]
    private partial void LogUnreadableJob(Exception exception, ulong deliveryTag);
}
