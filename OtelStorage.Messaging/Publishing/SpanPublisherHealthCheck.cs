using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OtelStorage.Messaging.Publishing;

/// <summary>Ready only while the publisher's connection is open; it also retries a connection that never came up.</summary>
public sealed class SpanPublisherHealthCheck(SpanPublisher publisher) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (publisher.IsConnected || await publisher.TryConnectAsync(cancellationToken) && publisher.IsConnected)
        {
            return HealthCheckResult.Healthy("Connected to RabbitMQ.");
        }

        return HealthCheckResult.Unhealthy("Not connected to RabbitMQ; ingest answers UNAVAILABLE until it is.");
    }
}
