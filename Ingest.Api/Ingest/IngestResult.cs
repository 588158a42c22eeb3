using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Ingest.Api.Ingest;

public enum IngestOutcome
{
    /// <summary>Every valid span is confirmed; <see cref="IngestResult.Response"/> may carry partial_success.</summary>
    Accepted,

    /// <summary>The queue or in-flight memory is full: RESOURCE_EXHAUSTED + RetryInfo, or 429 + Retry-After.</summary>
    Throttled,

    /// <summary>The broker is down or did not confirm: UNAVAILABLE, or 503 + Retry-After.</summary>
    Unavailable,

    /// <summary>The request breaks a limit as a whole (too many spans): INVALID_ARGUMENT, or 400. Nothing was published.</summary>
    Invalid,
}

/// <summary>What an export request came to, independent of the protocol that answers it.</summary>
public sealed record IngestResult(IngestOutcome Outcome, ExportTraceServiceResponse Response, string? Error, TimeSpan RetryAfter);
