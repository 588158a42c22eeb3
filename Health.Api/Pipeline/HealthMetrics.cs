using System.Diagnostics.Metrics;

namespace Health.Api.Pipeline;

/// <summary>
/// Every figure of the newest report as an observable gauge of the <c>OtelStorage.Health</c> meter, so the Aspire
/// dashboard (or any OTLP backend) plots them too. Nothing is recorded before the first poll.
/// </summary>
public sealed class HealthMetrics : IDisposable
{
    public const string MeterName = "OtelStorage.Health";

    private readonly Meter _meter;

    public HealthMetrics(IMeterFactory meterFactory, HealthState state)
    {
        _meter = meterFactory.Create(MeterName);
        IEnumerable<Measurement<double>> One(Func<HealthReport, double?> value) =>
            state.Latest is { } r && value(r) is { } v ? [new Measurement<double>(v)] : [];
        IEnumerable<Measurement<double>> Each<T>(Func<HealthReport, IEnumerable<T>> items, Func<T, double?> value, Func<T, KeyValuePair<string, object?>> tag) =>
            state.Latest is { } r
                ? items(r).Select(i => (Value: value(i), Tag: tag(i))).Where(x => x.Value is not null).Select(x => new Measurement<double>(x.Value!.Value, x.Tag))
                : [];

        _meter.CreateObservableGauge("otelstorage.health.status", () => One(r => (int)r.Status), "{status}", "The pipeline's status: 0 Healthy, 1 Degraded, 2 Unhealthy.");
        _meter.CreateObservableGauge("otelstorage.health.component.status", () => Each(r => r.Components, c => (int)c.Status, c => new("component", c.Name)), "{status}", "Each component's status: 0 Healthy, 1 Degraded, 2 Unhealthy.");
        _meter.CreateObservableGauge("otelstorage.health.component.check.latency", () => Each(r => r.Components, c => c.LatencyMs / 1000, c => new("component", c.Name)), "s", "How long each component's last check took.");
        _meter.CreateObservableGauge("otelstorage.health.spans.accepted.rate", () => One(r => r.Figures.SpansAcceptedPerSecond), "{span}/s", "Spans accepted per second, over the last minute.");
        _meter.CreateObservableGauge("otelstorage.health.queue.depth", () => One(r => r.Figures.QueueDepth), "{message}", "Messages in the span queue, ready plus unacknowledged.");
        _meter.CreateObservableGauge("otelstorage.health.queue.trend", () => One(r => r.Figures.QueueTrendPerMinute), "{message}/min", "Change of the span queue's depth per minute, over the last minute.");
        _meter.CreateObservableGauge("otelstorage.health.queue.unacked", () => One(r => r.Figures.QueueUnacked), "{message}", "Messages delivered to a Batcher and not yet acknowledged.");
        _meter.CreateObservableGauge("otelstorage.health.queue.consumers", () => One(r => r.Figures.QueueConsumers), "{consumer}", "Consumers of the span queue.");
        _meter.CreateObservableGauge("otelstorage.health.queue.dead_lettered", () => One(r => r.Figures.DeadLetterDepth), "{message}", "Messages in the dead-letter queue.");
        _meter.CreateObservableGauge("otelstorage.health.batch.oldest_unflushed.age", () => One(r => r.Figures.OldestUnflushedBatchAgeSeconds), "s", "Age of the oldest message not yet written to a block.");
        _meter.CreateObservableGauge("otelstorage.health.blocks.written.rate", () => One(r => r.Figures.BlocksWrittenPerMinute), "{block}/min", "Blocks committed in the last minute.");
        _meter.CreateObservableGauge("otelstorage.health.freshness", () => One(r => r.Figures.FreshnessSeconds), "s", "Now minus the newest block's latest span time.");
        _meter.CreateObservableGauge("otelstorage.health.tenant.latest_block.age", () => Each(r => r.Figures.Tenants, t => t.LatestBlockAgeSeconds, t => new("tenant", t.Tenant)), "s", "How long ago each tenant's newest block was committed.");
        _meter.CreateObservableGauge("otelstorage.health.tenant.freshness", () => Each(r => r.Figures.Tenants, t => t.FreshnessSeconds, t => new("tenant", t.Tenant)), "s", "Now minus each tenant's newest span time in a block.");
        _meter.CreateObservableGauge("otelstorage.health.service.error.rate", () => Each(r => r.Figures.ErrorRates, e => e.Value.ErrorsPerSecond, e => new("service", e.Key)), "{error}/s", "Errors per second per service: 5xx responses plus its error counters.");
        _meter.CreateObservableGauge("otelstorage.health.service.request.rate", () => Each(r => r.Figures.ErrorRates, e => e.Value.RequestsPerSecond, e => new("service", e.Key)), "{request}/s", "HTTP requests per second per service, health probes excluded.");
        _meter.CreateObservableGauge("otelstorage.health.service.server_error.ratio", () => Each(r => r.Figures.ErrorRates, e => e.Value.ServerErrorRatio, e => new("service", e.Key)), "1", "Share of each service's requests answered with 5xx.");
    }

    public void Dispose() => _meter.Dispose();
}
