using System.Diagnostics.Metrics;
using Health.Api.Options;
using Health.Api.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Health.Api.Tests;

/// <summary>The figures as OpenTelemetry gauges.</summary>
public sealed class MetricsTests
{
    [Fact]
    public void EveryFigureOfTheNewestReportIsAGaugeOfTheHealthMeter()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var state = new HealthState(Microsoft.Extensions.Options.Options.Create(new HealthOptions()), Microsoft.Extensions.Options.Options.Create(new RulesOptions()));
        using var metrics = new HealthMetrics(services.GetRequiredService<IMeterFactory>(), state);
        state.Add(Samples.Healthy(Samples.Start, new QueueStats(true, 7, 3, 0, 10)));
        state.Add(Samples.Healthy(Samples.Start.AddSeconds(5), new QueueStats(true, 7, 3, 0, 10)));
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == HealthMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            seen[instrument.Name + (tags.Length > 0 ? "/" + tags[0].Value : string.Empty)] = value);
        listener.Start();

        listener.RecordObservableInstruments();

        Assert.Equal(10, seen["otelstorage.health.queue.depth"]);
        Assert.Equal(3, seen["otelstorage.health.queue.unacked"]);
        Assert.Equal(0, seen["otelstorage.health.status"]);
        Assert.Equal(0, seen["otelstorage.health.component.status/rabbitmq"]);
        Assert.Contains("otelstorage.health.service.request.rate/ingest", seen.Keys);
    }
}
