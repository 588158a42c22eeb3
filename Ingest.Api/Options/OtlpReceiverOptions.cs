using System.ComponentModel.DataAnnotations;

namespace Ingest.Api.Options;

/// <summary>The OTLP listeners. Bound from the <c>Otlp</c> section.</summary>
public sealed class OtlpReceiverOptions
{
    public const string SectionName = "Otlp";

    /// <summary>OTLP/gRPC, HTTP/2 cleartext only.</summary>
    [Range(1, 65535)]
    public int GrpcPort { get; set; } = 4317;

    /// <summary>OTLP/HTTP (<c>POST /v1/traces</c>). The seed's <c>server:port</c> overrides it.</summary>
    [Range(1, 65535)]
    public int HttpPort { get; set; } = 4318;

    /// <summary>The largest request after decompression, for both protocols. Larger ones get 413 or RESOURCE_EXHAUSTED.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxRequestBytes { get; set; } = 64 * 1024 * 1024;
}
