namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>What came back for one case: an HTTP answer (and for gRPC its status trailers), or no answer at all.</summary>
public sealed record Observation
{
    public int? HttpStatus { get; init; }

    public string? ContentType { get; init; }

    public byte[] Body { get; init; } = [];

    public bool HasAllowHeader { get; init; }

    /// <summary>grpc-status from the trailers (or the headers of a trailers-only answer), if any.</summary>
    public int? GrpcStatus { get; init; }

    public string? GrpcMessage { get; init; }

    /// <summary>No answer: the connection failed or was reset, or <see cref="TimedOut"/>.</summary>
    public string? Error { get; init; }

    public bool TimedOut { get; init; }

    /// <summary>The client refused to send the case (an invalid URI or header); it never reached the service.</summary>
    public bool NotSent { get; init; }

    public TimeSpan Elapsed { get; init; }
}
