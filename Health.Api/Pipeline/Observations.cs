namespace Health.Api.Pipeline;

/// <summary>One check of one component: whether it answered, when, how fast, and what went wrong.</summary>
/// <param name="Ok">True when the component answered as expected.</param>
public sealed record CheckResult(bool Ok, DateTimeOffset CheckedAt, double LatencyMs, string? Error);

/// <summary>What one poll of a service saw.</summary>
/// <param name="Alive">The <c>/alive</c> check: the process answers.</param>
/// <param name="Ready">The <c>/health</c> check: the service and its dependencies are ready.</param>
/// <param name="Metrics">Its counter totals, or null when they could not be read.</param>
public sealed record ServiceObservation(string Name, CheckResult Alive, CheckResult Ready, Microsoft.Extensions.Hosting.MetricsSnapshotDocument? Metrics);

/// <summary>A queue as the broker reports it.</summary>
/// <param name="Exists">False until someone declares it; all counts are then 0.</param>
/// <param name="Published">Messages published to it since the broker's statistics began, when reported.</param>
public sealed record QueueStats(bool Exists, long Ready, long Unacked, int Consumers, long? Published)
{
    public static readonly QueueStats Missing = new(false, 0, 0, 0, null);

    public long Depth => Ready + Unacked;
}

/// <summary>What one poll of RabbitMQ saw: the span queue and its dead-letter queue.</summary>
public sealed record BrokerObservation(CheckResult Check, QueueStats? Queue, QueueStats? DeadLetter);

/// <summary>One tenant's blocks in the object store.</summary>
/// <param name="LatestBlockAt">When the newest block was committed (its meta.json written).</param>
/// <param name="NewestSpanTime">The newest block's latest span time.</param>
/// <param name="BlocksLastMinute">Blocks committed in the minute before the poll.</param>
public sealed record TenantBlocks(string Tenant, long BlockCount, DateTimeOffset? LatestBlockAt, DateTimeOffset? NewestSpanTime, int BlocksLastMinute);

/// <summary>What one poll of the object store saw.</summary>
public sealed record StoreObservation(CheckResult Check, IReadOnlyList<TenantBlocks> Tenants);

/// <summary>Everything one poll saw, the input of the figures and the rules.</summary>
public sealed record PipelineSample(
    DateTimeOffset Time,
    IReadOnlyList<ServiceObservation> Services,
    BrokerObservation Broker,
    StoreObservation Store);
