using OtelStorage.LoadGen.Sending;

namespace OtelStorage.LoadGen.Running;

/// <summary>What to send, how fast and for how long.</summary>
public sealed record LoadOptions
{
    public OtlpProtocol Protocol { get; init; } = OtlpProtocol.Grpc;

    public Uri Endpoint { get; init; } = OtlpProtocol.Grpc.DefaultEndpoint();

    /// <summary>Target spans per second; 0 sends flat out.</summary>
    public double Rate { get; init; }

    /// <summary>Stop after this long (when <see cref="TotalSpans"/> is not reached first).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Stop after this many spans.</summary>
    public long? TotalSpans { get; init; }

    public int Concurrency { get; init; } = 4;

    /// <summary>Spans per export request (whole traces, so requests hold about this many).</summary>
    public int BatchSize { get; init; } = 512;

    public int Seed { get; init; } = 42;

    public string Tenant { get; init; } = "single-tenant";

    public string? ApiKey { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Remember every acknowledged span so it can be verified afterwards.</summary>
    public bool TrackAcknowledged { get; init; }

    public IReadOnlyDictionary<string, string> Headers()
    {
        var headers = new Dictionary<string, string> { ["X-Scope-OrgID"] = Tenant };
        if (!string.IsNullOrEmpty(ApiKey))
        {
            headers["X-API-Key"] = ApiKey;
        }

        return headers;
    }
}
