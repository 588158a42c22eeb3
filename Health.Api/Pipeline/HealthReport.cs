namespace Health.Api.Pipeline;

/// <summary>The body of <c>GET /health</c>.</summary>
/// <param name="Status">Healthy, Degraded or Unhealthy: the worst finding.</param>
/// <param name="Reasons">Why it is not Healthy, one plain sentence per finding; empty when Healthy.</param>
public sealed record HealthReport(
    DateTimeOffset Time,
    PipelineStatus Status,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<ComponentReport> Components,
    PipelineFigures Figures);

/// <summary>One component: a service, RabbitMQ, the object store, or the pipeline's flow as a whole.</summary>
/// <param name="Reason">Why it is not Healthy; null when Healthy.</param>
/// <param name="LastCheck">When it was last checked.</param>
/// <param name="LatencyMs">How long that check took.</param>
/// <param name="LastError">The most recent error seen, even if it has recovered since, with <paramref name="LastErrorAt"/>.</param>
public sealed record ComponentReport(
    string Name,
    PipelineStatus Status,
    string? Reason,
    DateTimeOffset LastCheck,
    double? LatencyMs,
    string? LastError,
    DateTimeOffset? LastErrorAt);

/// <summary>One point of <c>GET /health/history</c>.</summary>
public sealed record HistoryPoint(DateTimeOffset Time, PipelineStatus Status, PipelineFigures Figures);

/// <summary>Builds reports: the rules' findings joined with each component's latest check.</summary>
public static class HealthReportBuilder
{
    public static HealthReport Build(PipelineSample sample, IReadOnlyList<Finding> findings, PipelineFigures figures, IReadOnlyDictionary<string, (string Error, DateTimeOffset At)> lastErrors)
    {
        var components = new List<ComponentReport>();

        ComponentReport Component(string name, DateTimeOffset checkedAt, double? latency)
        {
            var mine = findings.Where(f => f.Component == name).ToList();
            var status = mine.Count == 0 ? PipelineStatus.Healthy : mine.Max(f => f.Status);
            var reason = mine.Count == 0 ? null : string.Join("; ", mine.Select(f => f.Reason));
            var error = lastErrors.TryGetValue(name, out var e) ? e : default;
            return new ComponentReport(name, status, reason, checkedAt, latency is { } l ? Math.Round(l, 1) : null, error.Error, error.Error is null ? null : error.At);
        }

        foreach (var service in sample.Services)
        {
            components.Add(Component(service.Name, service.Ready.CheckedAt, service.Ready.LatencyMs));
        }

        components.Add(Component(HealthRules.RabbitMqComponent, sample.Broker.Check.CheckedAt, sample.Broker.Check.LatencyMs));
        components.Add(Component(HealthRules.ObjectStoreComponent, sample.Store.Check.CheckedAt, sample.Store.Check.LatencyMs));
        components.Add(Component(HealthRules.PipelineComponent, sample.Time, null));

        var overall = findings.Count == 0 ? PipelineStatus.Healthy : findings.Max(f => f.Status);
        return new HealthReport(sample.Time, overall, findings.Select(f => f.Reason).ToList(), components, figures);
    }
}
