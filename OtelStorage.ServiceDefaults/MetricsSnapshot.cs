using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Cumulative totals of the service's own counters, served as JSON at <see cref="Extensions.MetricsSnapshotPath"/>
/// so Health.Api can compute rates by polling, without a metrics backend between them.
/// It keeps, since the process started: every <c>Counter</c> of the <c>OtelStorage.*</c> meters, summed over its tags,
/// and the count of HTTP requests served and of those answered with 5xx (health probes excluded).
/// </summary>
public sealed class MetricsSnapshot : IDisposable
{
    private const string AspNetCoreMeter = "Microsoft.AspNetCore.Hosting";
    private const string RequestDurationInstrument = "http.server.request.duration";

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Total> _counters = new(StringComparer.Ordinal);
    private long _requests;
    private long _serverErrors;

    public MetricsSnapshot()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith(Extensions.TelemetryPrefix, StringComparison.Ordinal)
                && instrument.GetType().IsGenericType
                && instrument.GetType().GetGenericTypeDefinition() == typeof(Counter<>))
            {
                listener.EnableMeasurementEvents(instrument, _counters.GetOrAdd(instrument.Name, _ => new Total()));
            }
            else if (instrument.Meter.Name == AspNetCoreMeter && instrument.Name == RequestDurationInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, state) => (state as Total)?.Add(value));
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, state) => (state as Total)?.Add(value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) =>
        {
            if (state is Total total)
            {
                total.Add(value);
            }
            else
            {
                CountRequest(tags);
            }
        });
        _listener.Start();
    }

    /// <summary>The totals now.</summary>
    public MetricsSnapshotDocument Read() => new(
        DateTimeOffset.UtcNow,
        _counters.ToDictionary(c => c.Key, c => c.Value.Value, StringComparer.Ordinal),
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _serverErrors));

    public void Dispose() => _listener.Dispose();

    private void CountRequest(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var serverError = false;
        foreach (var tag in tags)
        {
            if (tag.Key == "http.route" && tag.Value is string route && IsProbeRoute(route))
            {
                // Health.Api's own polling would otherwise dominate every service's request count.
                return;
            }

            if (tag.Key == "http.response.status_code" && tag.Value is int status)
            {
                serverError = status >= 500;
            }
        }

        Interlocked.Increment(ref _requests);
        if (serverError)
        {
            Interlocked.Increment(ref _serverErrors);
        }
    }

    private static bool IsProbeRoute(string route) =>
        route.StartsWith(Extensions.HealthEndpointPath, StringComparison.Ordinal)
        || route.StartsWith(Extensions.AlivenessEndpointPath, StringComparison.Ordinal);

    /// <summary>A double summed without locks: counters are added to on hot paths.</summary>
    private sealed class Total
    {
        private double _value;

        public double Value => Volatile.Read(ref _value);

        public void Add(double amount)
        {
            double seen, updated;
            do
            {
                seen = Volatile.Read(ref _value);
                updated = seen + amount;
            }
            while (Interlocked.CompareExchange(ref _value, updated, seen) != seen);
        }
    }
}

/// <summary>The JSON served at <see cref="Extensions.MetricsSnapshotPath"/>.</summary>
/// <param name="Time">When the totals were read.</param>
/// <param name="Counters">Each <c>OtelStorage.*</c> counter by instrument name, summed over tags, since the process started.</param>
/// <param name="Requests">HTTP requests served, health probes excluded.</param>
/// <param name="ServerErrors">Of those, the ones answered with a 5xx status.</param>
public sealed record MetricsSnapshotDocument(DateTimeOffset Time, IReadOnlyDictionary<string, double> Counters, long Requests, long ServerErrors);
