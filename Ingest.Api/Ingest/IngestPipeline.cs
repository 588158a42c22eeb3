using Ingest.Api.Options;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Messaging.Publishing;
using OtelStorage.Otlp.Splitting;
using OtelStorage.Otlp.Validation;

namespace Ingest.Api.Ingest;

/// <summary>
/// The protocol-independent ingest path: validate, split into messages, publish and wait for confirms.
/// The answer is success only once the broker has confirmed every message (../shared/DESIGN.md, Durability contract).
/// </summary>
public sealed partial class IngestPipeline(
    SpanPublisher publisher,
    IngestTelemetry telemetry,
    IOptions<SpanPublisherOptions> publisherOptions,
    IOptions<OtlpReceiverOptions> receiverOptions,
    TimeProvider time,
    ILogger<IngestPipeline> logger)
{
    private static readonly ExportTraceServiceResponse Success = new();

    private readonly SpanPublisherOptions _publisherOptions = publisherOptions.Value;
    private readonly int _maxSpansPerRequest = receiverOptions.Value.MaxSpansPerRequest;
    private readonly SpanLimits _spanLimits = new(receiverOptions.Value.MaxAttributeValueBytes);

    /// <param name="request">The decoded request.</param>
    /// <param name="received">The protobuf bytes it was decoded from, or empty (JSON); valid until this call completes.</param>
    /// <param name="protocol">How it arrived, for the metrics.</param>
    /// <param name="tenant">The validated tenant.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    public async Task<IngestResult> IngestAsync(ExportTraceServiceRequest request, ReadOnlyMemory<byte> received, IngestProtocol protocol, string tenant, CancellationToken cancellationToken)
    {
        var receivedAt = time.GetUtcNow();
        var spanCount = SpanValidator.CountSpans(request);
        if (spanCount > _maxSpansPerRequest)
        {
            telemetry.Request(protocol, "invalid");
            return new IngestResult(IngestOutcome.Invalid, Success, $"the request has {spanCount} spans, more than the {_maxSpansPerRequest} allowed (Otlp:MaxSpansPerRequest); send smaller batches", TimeSpan.Zero);
        }

        var validation = SpanValidator.RemoveInvalidSpans(request, _spanLimits);
        telemetry.Received(protocol, validation.ReceivedSpans);

        var response = Success;
        if (validation.RejectedSpans > 0)
        {
            telemetry.Rejected(protocol, validation.RejectedSpans);
            LogRejected(logger, validation.RejectedSpans, validation.ReceivedSpans, tenant, validation.FirstError);
            response = new ExportTraceServiceResponse
            {
                PartialSuccess = new ExportTracePartialSuccess
                {
                    RejectedSpans = validation.RejectedSpans,
                    ErrorMessage = $"{validation.RejectedSpans} of {validation.ReceivedSpans} spans were rejected; the first: {validation.FirstError}",
                },
            };
        }

        if (validation.AcceptedSpans == 0)
        {
            telemetry.Request(protocol, validation.RejectedSpans > 0 ? "partial_success" : "success");
            return new IngestResult(IngestOutcome.Accepted, response, null, TimeSpan.Zero);
        }

        // With nothing removed, the received bytes are still the request's exact encoding and can be published as they are.
        var batches = SpanBatchSplitter.Split(request, _publisherOptions.MaxMessageBytes, validation.RejectedSpans == 0 ? received : default);
        var published = await publisher.PublishAsync(batches, tenant, receivedAt, cancellationToken);
        switch (published.Outcome)
        {
            case PublishOutcome.Confirmed:
                telemetry.Accepted(protocol, validation.AcceptedSpans);
                telemetry.Request(protocol, validation.RejectedSpans > 0 ? "partial_success" : "success");
                return new IngestResult(IngestOutcome.Accepted, response, null, TimeSpan.Zero);
            case PublishOutcome.Throttled:
                telemetry.Throttled(protocol, validation.AcceptedSpans);
                telemetry.Request(protocol, "throttled");
                LogThrottled(logger, validation.AcceptedSpans, tenant, published.Reason);
                return new IngestResult(IngestOutcome.Throttled, Success, published.Reason, _publisherOptions.RetryAfter);
            default:
                telemetry.Unavailable(protocol, validation.AcceptedSpans);
                telemetry.Request(protocol, "unavailable");
                LogUnavailable(logger, validation.AcceptedSpans, tenant, published.Reason);
                return new IngestResult(IngestOutcome.Unavailable, Success, published.Reason, _publisherOptions.RetryAfter);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected {Rejected} of {Received} spans for tenant {Tenant}: {FirstError}")]
    private static partial void LogRejected(ILogger logger, int rejected, int received, string tenant, string? firstError);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Throttled {Spans} spans for tenant {Tenant}: {Reason}")]
    private static partial void LogThrottled(ILogger logger, int spans, string tenant, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Spans} spans for tenant {Tenant} as unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, int spans, string tenant, string? reason);
}
