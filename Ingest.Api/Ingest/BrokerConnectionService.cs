using OtelStorage.Messaging.Publishing;

namespace Ingest.Api.Ingest;

/// <summary>Connects to the broker and declares the queue at start, so the first request does not pay for it.</summary>
public sealed class BrokerConnectionService(SpanPublisher publisher) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => publisher.TryConnectAsync(stoppingToken);
}
