namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>Which service and protocol a case is sent to.</summary>
public enum FuzzTarget
{
    /// <summary>Ingest.Api's OTLP/HTTP port (HTTP/1.1).</summary>
    IngestHttp,

    /// <summary>Ingest.Api's OTLP/gRPC port (HTTP/2 cleartext with prior knowledge).</summary>
    IngestGrpc,

    /// <summary>Query.Api (HTTP/1.1).</summary>
    Query,
}

/// <summary>What a case's input is, and so what answers the oracle accepts beyond "no server error".</summary>
public enum Expectation
{
    /// <summary>Hostile input: any 2xx, or a 4xx (gRPC: a client-error status) that carries a message.</summary>
    NoServerError,

    /// <summary>Valid input (for example many tiny spans): it must succeed.</summary>
    Success,

    /// <summary>Valid spans, every one of which must be stored: it must succeed with no span rejected in <c>partial_success</c>.</summary>
    Stored,
}

/// <summary>
/// gRPC status codes a case may get besides OK and INVALID_ARGUMENT. INTERNAL is never allowed for a well-framed
/// message: only for broken gRPC framing, which Grpc.AspNetCore rejects before the service sees it.
/// </summary>
[Flags]
public enum GrpcAllowance
{
    None = 0,

    /// <summary>RESOURCE_EXHAUSTED: the message is over the size limit.</summary>
    ResourceExhausted = 1,

    /// <summary>UNIMPLEMENTED: an unknown method or message encoding.</summary>
    Unimplemented = 2,

    /// <summary>INTERNAL from the gRPC framing layer: a truncated frame, a compressed flag without grpc-encoding, a corrupt compressed frame.</summary>
    FramingInternal = 4,

    /// <summary>DEADLINE_EXCEEDED or CANCELLED: the case sends a grpc-timeout.</summary>
    Deadline = 8,
}

/// <summary>One request of the run: a hostile (or, for some categories, valid) input and how to judge the answer.</summary>
public sealed record FuzzCase
{
    /// <summary>Set by the runner.</summary>
    public string Category { get; init; } = string.Empty;

    /// <summary>Set by the runner.</summary>
    public int Index { get; init; }

    /// <summary>What the case does, in a few words, for the failure report.</summary>
    public required string Description { get; init; }

    public required FuzzTarget Target { get; init; }

    public string Method { get; init; } = "POST";

    /// <summary>The path and query, sent exactly as written (no dot-segment removal or re-escaping).</summary>
    public required string PathAndQuery { get; init; }

    public byte[]? Body { get; init; }

    /// <summary>Request and content headers, sent without validation (Content-Type, Content-Encoding, X-Scope-OrgID, grpc-encoding...).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public Expectation Expect { get; init; } = Expectation.NoServerError;

    public GrpcAllowance Grpc { get; init; }

    /// <summary>How long the answer may take before the case counts as a hang.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
