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

    /// <summary>Seeds the data set: the same seed sends spans of the same contents.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Seeds the trace and span IDs of every send. Runs that share it send the same IDs, so verification of one would
    /// count the other's stored spans as its own: the command line draws a fresh one per run unless given.
    /// </summary>
    public int IdSeed { get; init; } = 42;

    /// <summary>
    /// Spans in the request template pool. A million spans (about 300 MB) keeps repetition from flattering block
    /// compression; a run that sends fewer spans generates only what it sends.
    /// </summary>
    public long TemplateSpans { get; init; } = 1_000_000;

    public string Tenant { get; init; } = "single-tenant";

    public string? ApiKey { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Remember every acknowledged span so it can be verified afterwards.</summary>
    public bool TrackAcknowledged { get; init; }

    /// <summary>The spans worth generating as templates: no more than the run sends.</summary>
    public long TemplatePoolSpans() => Math.Min(TemplateSpans, TotalSpans ?? long.MaxValue);

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
