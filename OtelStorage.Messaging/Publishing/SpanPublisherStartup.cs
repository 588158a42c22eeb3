using Microsoft.Extensions.Hosting;

namespace OtelStorage.Messaging.Publishing;

/// <summary>Connects the publisher and declares the queue at start, so the first request does not pay for it.</summary>
public sealed class SpanPublisherStartup(SpanPublisher publisher) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => publisher.TryConnectAsync(stoppingToken);
}
