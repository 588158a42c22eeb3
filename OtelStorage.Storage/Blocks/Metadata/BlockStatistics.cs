namespace OtelStorage.Storage.Blocks.Metadata;

/// <summary>
/// A service dependency: spans of <see cref="Child"/> whose parent span belongs to <see cref="Parent"/>.
/// Errors count child spans with status ERROR; durations are the child spans'.
/// </summary>
public sealed class DependencyEdge
{
    public required string Parent { get; set; }

    public required string Child { get; set; }

    public long CallCount { get; set; }

    public long ErrorCount { get; set; }

    public DurationSummary Duration { get; set; } = new();
}

/// <summary>
/// Requests of one service: its entry spans (kind SERVER or CONSUMER, or root spans), which is what a caller
/// experiences as a request to it.
/// </summary>
public sealed class ServiceStatistics
{
    public required string Service { get; set; }

    public long RequestCount { get; set; }

    public long ErrorCount { get; set; }

    public DurationSummary Duration { get; set; } = new();
}

/// <summary>Every span of one (service, operation name, kind).</summary>
public sealed class OperationStatistics
{
    public required string Service { get; set; }

    public required string Operation { get; set; }

    /// <summary>The OTLP span kind number (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer).</summary>
    public int Kind { get; set; }

    public long RequestCount { get; set; }

    public long ErrorCount { get; set; }

    public DurationSummary Duration { get; set; } = new();
}
