using System.ComponentModel.DataAnnotations;
using OtelStorage.Otlp.Validation;

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

    /// <summary>
    /// Export requests (OTLP/HTTP and OTLP/gRPC together) being read, decoded and published at once. One more is
    /// refused before its body is read, with 429 or RESOURCE_EXHAUSTED and a retry delay, so request bodies take at
    /// most this many times <see cref="MaxRequestBytes"/>.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxConcurrentRequests { get; set; } = 64;

    /// <summary>The most spans one request may carry. A request with more is refused whole (400 or INVALID_ARGUMENT).</summary>
    [Range(1, int.MaxValue)]
    public int MaxSpansPerRequest { get; set; } = 100_000;

    /// <summary>
    /// The largest string or bytes value of one span, event or link attribute (nested values included). A span with a
    /// larger one is rejected and counted in <c>partial_success</c>.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxAttributeValueBytes { get; set; } = SpanLimits.Default.MaxAttributeValueBytes;
}
