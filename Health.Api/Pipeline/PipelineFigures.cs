using Health.Api.Options;

namespace Health.Api.Pipeline;

/// <summary>The pipeline's figures at one poll. Null means "not known now" (the source did not answer).</summary>
/// <param name="SpansAcceptedPerSecond">Spans Ingest.Api had confirmed by the broker, per second, over the last minute.</param>
/// <param name="QueueDepth">Messages in the span queue, ready plus unacknowledged.</param>
/// <param name="QueueTrendPerMinute">How fast the queue depth changed over the last minute.</param>
/// <param name="OldestUnflushedBatchAgeSeconds">
/// Age of the oldest message not yet written to a block, estimated from the broker's publish count and depth,
/// assuming first-in first-out, to within one poll interval.
/// </param>
/// <param name="BlocksWrittenPerMinute">Blocks committed in the last minute, all tenants.</param>
/// <param name="FreshnessSeconds">Now minus the newest block's latest span time, all tenants.</param>
public sealed record PipelineFigures(
    double? SpansAcceptedPerSecond,
    long? QueueDepth,
    double? QueueTrendPerMinute,
    long? QueueUnacked,
    int? QueueConsumers,
    long? DeadLetterDepth,
    double? OldestUnflushedBatchAgeSeconds,
    double? BlocksWrittenPerMinute,
    double? FreshnessSeconds,
    IReadOnlyList<TenantFigures> Tenants,
    IReadOnlyDictionary<string, ServiceErrorRate> ErrorRates)
{
    /// <summary>Rates are averaged over this much history, so one slow poll does not swing them.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(1);

    /// <summary>Computes the figures of the newest sample from the samples so far, oldest first.</summary>
    public static PipelineFigures Compute(IReadOnlyList<PipelineSample> samples, HealthOptions options)
    {
        var newest = samples[^1];
        var now = newest.Time;
        var queue = newest.Broker.Check.Ok ? newest.Broker.Queue : null;
        var deadLetter = newest.Broker.Check.Ok ? newest.Broker.DeadLetter : null;
        var store = newest.Store.Check.Ok ? newest.Store.Tenants : null;

        var tenants = (store ?? []).Select(t => new TenantFigures(
            t.Tenant,
            t.BlockCount,
            t.LatestBlockAt is { } at ? Seconds(now - at) : null,
            t.NewestSpanTime is { } span ? Seconds(now - span) : null)).ToList();
        var newestSpan = store?.Where(t => t.NewestSpanTime is not null).Select(t => t.NewestSpanTime!.Value).DefaultIfEmpty().Max();

        return new PipelineFigures(
            CounterRate(samples, options.SpansAcceptedService, m => m.Counters.GetValueOrDefault(options.SpansAcceptedCounter)),
            queue?.Depth,
            QueueTrend(samples),
            queue?.Unacked,
            queue?.Consumers,
            deadLetter?.Depth,
            queue is null ? null : OldestUnflushedAge(samples),
            store?.Sum(t => t.BlocksLastMinute),
            newestSpan is { } s && s != default ? Seconds(now - s) : null,
            tenants,
            options.Services.Where(s => s.Value.Enabled).ToDictionary(
                s => s.Key,
                s => ErrorRate(samples, s.Key, s.Value),
                StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The increase per second of a cumulative value over the last <see cref="RateWindow"/>, using the service's own
    /// snapshot times. A restart resets the totals, so the rate uses only the samples since.
    /// </summary>
    public static double? CounterRate(IReadOnlyList<PipelineSample> samples, string service, Func<Microsoft.Extensions.Hosting.MetricsSnapshotDocument, double> value)
    {
        var newest = Metrics(samples[^1], service);
        if (newest is null)
        {
            return null;
        }

        var oldest = newest;
        for (var i = samples.Count - 2; i >= 0 && samples[^1].Time - samples[i].Time <= RateWindow; i--)
        {
            var earlier = Metrics(samples[i], service);
            if (earlier is null || value(earlier) > value(oldest) || earlier.Time >= oldest.Time)
            {
                break;
            }

            oldest = earlier;
        }

        var seconds = (newest.Time - oldest.Time).TotalSeconds;
        return seconds > 0 ? (value(newest) - value(oldest)) / seconds : null;
    }

    private static Microsoft.Extensions.Hosting.MetricsSnapshotDocument? Metrics(PipelineSample sample, string service) =>
        sample.Services.FirstOrDefault(s => string.Equals(s.Name, service, StringComparison.OrdinalIgnoreCase))?.Metrics;

    private static ServiceErrorRate ErrorRate(IReadOnlyList<PipelineSample> samples, string service, MonitoredServiceOptions options)
    {
        var requests = CounterRate(samples, service, m => m.Requests);
        var serverErrors = CounterRate(samples, service, m => m.ServerErrors);
        var counted = CounterRate(samples, service, m => options.ErrorCounters.Sum(c => m.Counters.GetValueOrDefault(c)));
        double? errors = serverErrors is null && counted is null ? null : (serverErrors ?? 0) + (counted ?? 0);
        double? ratio = requests > 0 && serverErrors is not null ? serverErrors / requests : null;
        return new ServiceErrorRate(errors, requests, ratio);
    }

    private static double? QueueTrend(IReadOnlyList<PipelineSample> samples)
    {
        var newest = samples[^1];
        if (newest.Broker.Queue is not { } last || !newest.Broker.Check.Ok)
        {
            return null;
        }

        var first = newest;
        for (var i = samples.Count - 2; i >= 0 && newest.Time - samples[i].Time <= RateWindow && samples[i].Broker.Queue is not null; i--)
        {
            first = samples[i];
        }

        var minutes = (newest.Time - first.Time).TotalMinutes;
        return minutes > 0 ? (last.Depth - first.Broker.Queue!.Depth) / minutes : 0;
    }

    /// <summary>
    /// The broker counts messages published to the queue; published minus depth is how many have left it (acked
    /// after their block was written, or dead-lettered). With first-in first-out order, the oldest message still in
    /// the queue is the next one, and the first poll that saw the publish count reach it dates it.
    /// </summary>
    private static double? OldestUnflushedAge(IReadOnlyList<PipelineSample> samples)
    {
        var newest = samples[^1];
        var queue = newest.Broker.Queue!;
        if (queue.Depth == 0)
        {
            return 0;
        }

        var gone = (queue.Published ?? 0) - queue.Depth;
        var since = newest.Time;
        for (var i = samples.Count - 1; i >= 0; i--)
        {
            var q = samples[i].Broker.Queue;
            // Stop at a poll the broker did not answer, at a statistics reset, or where the oldest message was not yet published.
            if (q is null || !samples[i].Broker.Check.Ok || (queue.Published is not null && (q.Published is null || q.Published > queue.Published || q.Published <= gone)))
            {
                break;
            }

            // Without publish counts, fall back to how long the queue has held messages.
            if (queue.Published is null && q.Depth == 0)
            {
                break;
            }

            since = samples[i].Time;
        }

        return Seconds(newest.Time - since);
    }

    private static double Seconds(TimeSpan span) => Math.Round(Math.Max(0, span.TotalSeconds), 3);
}

/// <summary>One tenant's blocks.</summary>
/// <param name="LatestBlockAgeSeconds">How long ago its newest block was committed.</param>
/// <param name="FreshnessSeconds">Now minus its newest block's latest span time.</param>
public sealed record TenantFigures(string Tenant, long BlockCount, double? LatestBlockAgeSeconds, double? FreshnessSeconds);

/// <summary>A service's errors: its 5xx responses plus the increase of its configured error counters.</summary>
/// <param name="ServerErrorRatio">The share of its requests (health probes excluded) answered with 5xx.</param>
public sealed record ServiceErrorRate(double? ErrorsPerSecond, double? RequestsPerSecond, double? ServerErrorRatio);
