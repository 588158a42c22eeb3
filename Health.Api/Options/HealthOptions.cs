using System.ComponentModel.DataAnnotations;

namespace Health.Api.Options;

/// <summary>How often and how long Health.Api looks, and what it looks at. Bound from the <c>Health</c> section.</summary>
public sealed class HealthOptions : IValidatableObject
{
    public const string SectionName = "Health";

    /// <summary>Time between two polls of every component.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one check (one HTTP call, one listing) may take before it counts as failed.</summary>
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How far back <c>/health/history</c> reaches; points are kept in memory at the poll interval.</summary>
    public TimeSpan HistoryWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The services polled at <c>/health</c>, <c>/alive</c> and <c>/health/metrics</c>, by name. Names resolve
    /// through service discovery. A critical service that is down makes the pipeline Unhealthy, any other Degraded.
    /// </summary>
    public Dictionary<string, MonitoredServiceOptions> Services { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ingest"] = new() { Critical = true },
        ["batcher"] = new(),
        ["compactor"] = new(),
        ["query"] = new(),
    };

    /// <summary>The service and counter that give "spans accepted per second".</summary>
    [Required]
    public string SpansAcceptedService { get; set; } = "ingest";

    [Required]
    public string SpansAcceptedCounter { get; set; } = "otelstorage.ingest.spans.accepted";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PollInterval < TimeSpan.FromMilliseconds(100) || PollInterval > TimeSpan.FromMinutes(10))
        {
            yield return new($"Health:PollInterval must be between 00:00:00.1 and 00:10:00, got {PollInterval}.", [nameof(PollInterval)]);
        }

        if (CheckTimeout <= TimeSpan.Zero || CheckTimeout > TimeSpan.FromMinutes(1))
        {
            yield return new($"Health:CheckTimeout must be positive and at most 00:01:00, got {CheckTimeout}.", [nameof(CheckTimeout)]);
        }

        if (HistoryWindow < PollInterval || HistoryWindow > TimeSpan.FromDays(1))
        {
            yield return new($"Health:HistoryWindow must be at least Health:PollInterval and at most one day, got {HistoryWindow}.", [nameof(HistoryWindow)]);
        }

        foreach (var (name, service) in Services)
        {
            if (service.Url is not null && !Uri.TryCreate(service.Url, UriKind.Absolute, out _))
            {
                yield return new($"Health:Services:{name}:Url must be an absolute URL, got '{service.Url}'.", [nameof(Services)]);
            }
        }
    }
}

/// <summary>One polled service.</summary>
public sealed class MonitoredServiceOptions
{
    /// <summary>Its base address; by default <c>http://{name}</c>, resolved through service discovery.</summary>
    public string? Url { get; set; }

    /// <summary>Whether the pipeline is Unhealthy (rather than Degraded) while this service is down or not ready.</summary>
    public bool Critical { get; set; }

    /// <summary>
    /// Counters (from its <c>/health/metrics</c>) whose increase counts as errors, beside its 5xx responses,
    /// for example <c>otelstorage.ingest.spans.unavailable</c>.
    /// </summary>
    public List<string> ErrorCounters { get; set; } = [];

    /// <summary>False to leave a service out of polling without removing its defaults.</summary>
    public bool Enabled { get; set; } = true;
}
