using Health.Api.Options;
using Microsoft.Extensions.Options;

namespace Health.Api.Pipeline;

/// <summary>
/// The samples and reports of the last <see cref="HealthOptions.HistoryWindow"/>, in memory. The poller adds one
/// per poll; the API and the metrics read the newest. Only the poller writes, but readers run concurrently.
/// </summary>
public sealed class HealthState(IOptions<HealthOptions> options, IOptions<RulesOptions> rules)
{
    private readonly Lock _lock = new();
    private readonly List<PipelineSample> _samples = [];
    private readonly List<HistoryPoint> _history = [];
    private readonly Dictionary<string, (string Error, DateTimeOffset At)> _lastErrors = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The newest report, or null before the first poll ends.</summary>
    public HealthReport? Latest { get; private set; }

    /// <summary>Adds a poll's sample and returns the report it gives.</summary>
    public HealthReport Add(PipelineSample sample)
    {
        lock (_lock)
        {
            _samples.Add(sample);
            // Rules look back at most one hour; the history window may be shorter or longer.
            var keep = sample.Time - TimeSpan.FromTicks(Math.Max(options.Value.HistoryWindow.Ticks, TimeSpan.FromHours(1).Ticks));
            _samples.RemoveAll(s => s.Time < keep);

            RememberErrors(sample);
            var findings = HealthRules.Evaluate(_samples, options.Value, rules.Value);
            var figures = PipelineFigures.Compute(_samples, options.Value);
            var report = HealthReportBuilder.Build(sample, findings, figures, _lastErrors);

            _history.Add(new HistoryPoint(report.Time, report.Status, report.Figures));
            _history.RemoveAll(p => p.Time < sample.Time - options.Value.HistoryWindow);
            Latest = report;
            return report;
        }
    }

    /// <summary>The history points, oldest first.</summary>
    public IReadOnlyList<HistoryPoint> History()
    {
        lock (_lock)
        {
            return [.. _history];
        }
    }

    private void RememberErrors(PipelineSample sample)
    {
        foreach (var service in sample.Services)
        {
            Remember(service.Name, service.Alive.Error ?? service.Ready.Error, service.Ready.CheckedAt);
        }

        Remember(HealthRules.RabbitMqComponent, sample.Broker.Check.Error, sample.Broker.Check.CheckedAt);
        Remember(HealthRules.ObjectStoreComponent, sample.Store.Check.Error, sample.Store.Check.CheckedAt);
    }

    private void Remember(string component, string? error, DateTimeOffset at)
    {
        if (error is not null)
        {
            _lastErrors[component] = (error, at);
        }
    }
}
