namespace OtelStorage.Testing;

/// <summary>
/// How a <see cref="ServiceStack"/> configures its services: settings as environment variable names
/// (<c>Logging__LogLevel__Default</c>, <c>processing__batch_timeout_ms</c>...). The stack sets the connection strings
/// and each service's ports itself.
/// </summary>
public sealed record ServiceStackOptions
{
    /// <summary>Batcher.Worker replicas; with more than one, each gets a replica ID (<c>processing:replica_id</c>): a, b, c...</summary>
    public int Batchers { get; init; } = 1;

    /// <summary>Settings every service gets.</summary>
    public IReadOnlyDictionary<string, string> Common { get; init; } = new Dictionary<string, string>();

    /// <summary>Settings of Ingest.Api, on top of <see cref="Common"/>.</summary>
    public IReadOnlyDictionary<string, string> Ingest { get; init; } = new Dictionary<string, string>();

    /// <summary>Settings of every Batcher.Worker replica, on top of <see cref="Common"/>.</summary>
    public IReadOnlyDictionary<string, string> Batcher { get; init; } = new Dictionary<string, string>();

    /// <summary>Settings of Compactor.Worker, on top of <see cref="Common"/>.</summary>
    public IReadOnlyDictionary<string, string> Compactor { get; init; } = new Dictionary<string, string>();

    /// <summary>Settings of Query.Api, on top of <see cref="Common"/>.</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>Where disposal writes each process's output (<c>{OutputPrefix}{name}.log</c>), for failures seen only in CI; nowhere when null.</summary>
    public string? OutputFolder { get; init; }

    /// <summary>Put before each log file's name, so that several stacks can share <see cref="OutputFolder"/>.</summary>
    public string OutputPrefix { get; init; } = string.Empty;
}
