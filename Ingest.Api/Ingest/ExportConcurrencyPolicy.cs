using System.Threading.RateLimiting;
using Google.Rpc;
using Ingest.Api.Apis;
using Ingest.Api.Grpc;
using Ingest.Api.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using OtelStorage.Messaging.Publishing;
using OtelStorage.Otlp.Errors;

namespace Ingest.Api.Ingest;

/// <summary>
/// Bounds the export requests in flight, OTLP/HTTP and OTLP/gRPC together, at <c>Otlp:MaxConcurrentRequests</c>.
/// The rate limiting middleware applies it after routing and before the endpoint, so a refused request's body is
/// never read: Grpc.AspNetCore reads the whole message before it calls the service, and the HTTP endpoint reads the
/// body first thing. One more request than the limit is refused at once (no queue) as throttling, which OTLP
/// clients retry after the delay (https://opentelemetry.io/docs/specs/otlp/#otlphttp-throttling,
/// https://opentelemetry.io/docs/specs/otlp/#otlpgrpc-throttling).
/// </summary>
public sealed partial class ExportConcurrencyPolicy : IRateLimiterPolicy<string>
{
    /// <summary>The policy's name, on the OTLP/HTTP POST endpoint and the OTLP/gRPC service.</summary>
    public const string Name = "otlp-export";

    private readonly RateLimitPartition<string> _partition;
    private readonly IngestTelemetry _telemetry;
    private readonly ILogger<ExportConcurrencyPolicy> _logger;
    private readonly int _limit;
    private readonly TimeSpan _retryAfter;
    private readonly string _message;

    public ExportConcurrencyPolicy(
        IOptions<OtlpReceiverOptions> receiverOptions,
        IOptions<SpanPublisherOptions> publisherOptions,
        IngestTelemetry telemetry,
        ILogger<ExportConcurrencyPolicy> logger)
    {
        _telemetry = telemetry;
        _logger = logger;
        _limit = receiverOptions.Value.MaxConcurrentRequests;
        _retryAfter = publisherOptions.Value.RetryAfter;
        _message = $"Too many export requests are in flight: at most {_limit} are read at once (Otlp:MaxConcurrentRequests); retry later.";
        // No queue: a waiting request would still hold its connection and its exporter's timeout, while a refusal
        // tells the exporter to back off, which is what an overloaded receiver needs.
        var limiter = new ConcurrencyLimiterOptions { PermitLimit = _limit, QueueLimit = 0 };
        // One key for every request, so both endpoints share one limiter.
        _partition = RateLimitPartition.GetConcurrencyLimiter(Name, _ => limiter);
        OnRejected = RejectAsync;
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; }

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) => _partition;

    private async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var request = context.Request;
        var status = OtlpStatus.Create(Code.ResourceExhausted, _message, _retryAfter);
        if (GrpcTrailersOnly.IsGrpc(request))
        {
            Count(IngestProtocol.Grpc);
            GrpcTrailersOnly.Write(context.Response, status);
            return;
        }

        // The request's encoding; an unsupported media type gets JSON, as its 415 would.
        var json = !OtlpHttpApi.TryGetEncoding(request.ContentType, out var isJson) || isJson;
        Count(json ? IngestProtocol.HttpJson : IngestProtocol.HttpProtobuf);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // As on the endpoint: Kestrel drains the unread body after the answer, and with its own limit on, a body
            // past 30 MB would reset an HTTP/1.1 connection instead of letting the client read the 429.
            sizeFeature.MaxRequestBodySize = null;
        }

        await OtlpHttpResult.Failure(StatusCodes.Status429TooManyRequests, Code.ResourceExhausted, _message, json, _retryAfter).ExecuteAsync(context);
    }

    // The spans are unknown, since the body is not read: only the request is counted.
    private void Count(IngestProtocol protocol)
    {
        _telemetry.Request(protocol, "throttled");
        LogRefused(_logger, protocol.ToTag(), _limit);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Throttled an export request ({Protocol}) before reading it: {Limit} requests are already in flight (Otlp:MaxConcurrentRequests)")]
    private static partial void LogRefused(ILogger logger, string protocol, int limit);
}
