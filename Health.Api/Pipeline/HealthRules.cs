using Health.Api.Options;

namespace Health.Api.Pipeline;

/// <summary>The pipeline's status, from best to worst; the overall status is the worst finding.</summary>
public enum PipelineStatus
{
    Healthy,
    Degraded,
    Unhealthy,
}

/// <summary>One rule that fired: which component it is about, how bad, and why in plain words.</summary>
public sealed record Finding(string Component, PipelineStatus Status, string Reason);

/// <summary>
/// The rules that turn what the polls saw into Degraded or Unhealthy findings. Pure: the same samples and options
/// always give the same findings, so every rule is tested with made-up samples.
/// </summary>
public static class HealthRules
{
    public const string RabbitMqComponent = "rabbitmq";
    public const string ObjectStoreComponent = "objectstore";
    public const string PipelineComponent = "pipeline";

    /// <summary>The findings for the newest of <paramref name="samples"/> (oldest first).</summary>
    public static IReadOnlyList<Finding> Evaluate(IReadOnlyList<PipelineSample> samples, HealthOptions options, RulesOptions rules)
    {
        var findings = new List<Finding>();
        var newest = samples[^1];

        foreach (var service in newest.Services)
        {
            var critical = options.Services.TryGetValue(service.Name, out var o) && o.Critical;
            var severity = critical ? PipelineStatus.Unhealthy : PipelineStatus.Degraded;
            if (!service.Alive.Ok)
            {
                findings.Add(new(service.Name, severity, $"{service.Name} is down: {service.Alive.Error}"));
            }
            else if (!service.Ready.Ok)
            {
                findings.Add(new(service.Name, severity, $"{service.Name} is not ready: {service.Ready.Error}"));
            }
        }

        if (!newest.Broker.Check.Ok)
        {
            findings.Add(new(RabbitMqComponent, PipelineStatus.Unhealthy, $"RabbitMQ is unreachable: {newest.Broker.Check.Error}"));
        }
        else
        {
            AddQueueFindings(samples, rules, findings);
        }

        if (!newest.Store.Check.Ok)
        {
            findings.Add(new(ObjectStoreComponent, rules.ObjectStoreCritical ? PipelineStatus.Unhealthy : PipelineStatus.Degraded, $"the object store is unreachable: {newest.Store.Check.Error}"));
        }
        else if (NoBlockWhileAccepting(samples, options, rules) is { } quiet)
        {
            findings.Add(new(PipelineComponent, PipelineStatus.Degraded, quiet));
        }

        return findings;
    }

    private static void AddQueueFindings(IReadOnlyList<PipelineSample> samples, RulesOptions rules, List<Finding> findings)
    {
        var newest = samples[^1];
        var queue = newest.Broker.Queue;
        if (queue is null)
        {
            return;
        }

        var waiting = Window(samples, rules.NoConsumerFor);
        if (waiting is not null && waiting.All(s => s.Broker.Queue is { Consumers: 0, Ready: > 0 }))
        {
            findings.Add(new(PipelineComponent, PipelineStatus.Degraded,
                $"queue growing, no consumer: {queue.Depth} messages have waited {Duration(newest.Time - waiting[0].Time)} with no Batcher consuming them"));
        }
        else if (Window(samples, rules.QueueGrowingFor) is { } growing
                 && growing.All(s => s.Broker.Queue is { Depth: > 0 })
                 && queue.Depth > growing[0].Broker.Queue!.Depth
                 && growing.All(s => s.Broker.Queue!.Depth >= growing[0].Broker.Queue!.Depth))
        {
            findings.Add(new(PipelineComponent, PipelineStatus.Degraded,
                $"queue growing for {Duration(newest.Time - growing[0].Time)}: {queue.Depth} messages, the {queue.Consumers} consumer(s) are not keeping up"));
        }

        if (rules.DeadLetterThreshold > 0 && newest.Broker.DeadLetter is { } dead && dead.Depth >= rules.DeadLetterThreshold)
        {
            findings.Add(new(PipelineComponent, PipelineStatus.Degraded,
                $"dead-letter queue holds {dead.Depth} messages that could not be stored; inspect them before they are lost"));
        }
    }

    private static string? NoBlockWhileAccepting(IReadOnlyList<PipelineSample> samples, HealthOptions options, RulesOptions rules)
    {
        var window = Window(samples, rules.NoBlockWrittenFor);
        if (window is null)
        {
            return null;
        }

        var first = window[0];
        var last = window[^1];
        var accepted = Increased(first, last, s => s.Services.FirstOrDefault(x => string.Equals(x.Name, options.SpansAcceptedService, StringComparison.OrdinalIgnoreCase))?.Metrics?.Counters.GetValueOrDefault(options.SpansAcceptedCounter))
                       || Increased(first, last, s => s.Broker.Queue?.Published);
        if (!accepted)
        {
            return null;
        }

        var latestBlock = last.Store.Tenants.Select(t => t.LatestBlockAt).Max();
        if (latestBlock is not null && latestBlock >= first.Time)
        {
            return null;
        }

        return $"spans are being accepted but no block has been written for {Duration(last.Time - first.Time)}";
    }

    private static bool Increased(PipelineSample first, PipelineSample last, Func<PipelineSample, double?> value) =>
        value(first) is { } a && value(last) is { } b && b > a;

    /// <summary>
    /// The samples of the last <paramref name="length"/>, starting at the newest sample at least that old, or null
    /// while the polls do not reach back that far (a rule needs the whole window before it may fire).
    /// </summary>
    private static List<PipelineSample>? Window(IReadOnlyList<PipelineSample> samples, TimeSpan length)
    {
        var now = samples[^1].Time;
        for (var i = samples.Count - 1; i >= 0; i--)
        {
            if (now - samples[i].Time >= length)
            {
                return samples.Skip(i).ToList();
            }
        }

        return null;
    }

    private static string Duration(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0} s";
}
