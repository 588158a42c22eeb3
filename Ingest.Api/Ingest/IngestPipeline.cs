using Google.Protobuf;
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

    /// <summary>
    /// Ingests an OTLP protobuf request. One that fits a message and whose spans are all valid is checked on the
    /// wire and published as received, never decoded (<see cref="WireSpanValidator"/>); any other is decoded, so
    /// that invalid spans can be removed and named, or the request split.
    /// </summary>
    /// <param name="body">The protobuf bytes, after decompression; valid until this call completes.</param>
    /// <param name="protocol">How it arrived, for the metrics and messages.</param>
    /// <param name="tenant">The validated tenant.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    public async Task<IngestResult> IngestProtobufAsync(ReadOnlyMemory<byte> body, IngestProtocol protocol, string tenant, CancellationToken cancellationToken)
    {
        var receivedAt = time.GetUtcNow();
        if (body.Length <= _publisherOptions.MaxMessageBytes && WireSpanValidator.TryValidate(body.Span, _spanLimits, out var spanCount))
        {
            if (spanCount > _maxSpansPerRequest)
            {
                return TooManySpans(protocol, spanCount);
            }

            var validation = new ValidationResult(spanCount, 0, null);
            telemetry.Received(protocol, spanCount);
            List<SpanBatch> batches = spanCount == 0 ? [] : [SpanBatch.FromEncoded(body, spanCount)];
            return await PublishAsync(batches, validation, Success, protocol, tenant, receivedAt, cancellationToken);
        }

        ExportTraceServiceRequest request;
        try
        {
            request = ExportTraceServiceRequest.Parser.ParseFrom(body.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            telemetry.Request(protocol, "invalid");
            var what = protocol == IngestProtocol.Grpc ? "message" : "body";
            return new IngestResult(IngestOutcome.Invalid, Success, $"The {what} is not a valid OTLP protobuf ExportTraceServiceRequest: {e.Message}", TimeSpan.Zero);
        }

        return await IngestAsync(request, body, protocol, tenant, receivedAt, cancellationToken);
    }

    /// <summary>Ingests a decoded request (OTLP JSON).</summary>
    public Task<IngestResult> IngestAsync(ExportTraceServiceRequest request, IngestProtocol protocol, string tenant, CancellationToken cancellationToken) =>
        IngestAsync(request, default, protocol, tenant, time.GetUtcNow(), cancellationToken);

    /// <summary>Validates a decoded request, removing invalid spans, splits it into messages and publishes them.</summary>
    /// <remarks><paramref name="received"/> holds the protobuf bytes it was decoded from, or nothing (JSON).</remarks>
    private async Task<IngestResult> IngestAsync(ExportTraceServiceRequest request, ReadOnlyMemory<byte> received, IngestProtocol protocol, string tenant, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        var spanCount = SpanValidator.CountSpans(request);
        if (spanCount > _maxSpansPerRequest)
        {
            return TooManySpans(protocol, spanCount);
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

        // With nothing removed, the received bytes are still the request's exact encoding and can be published as they are.
        var batches = validation.AcceptedSpans == 0
            ? []
            : SpanBatchSplitter.Split(request, _publisherOptions.MaxMessageBytes, validation.RejectedSpans == 0 ? received : default);
        return await PublishAsync(batches, validation, response, protocol, tenant, receivedAt, cancellationToken);
    }

    private IngestResult TooManySpans(IngestProtocol protocol, long spanCount)
    {
        telemetry.Request(protocol, "invalid");
        return new IngestResult(IngestOutcome.Invalid, Success, $"the request has {spanCount} spans, more than the {_maxSpansPerRequest} allowed (Otlp:MaxSpansPerRequest); send smaller batches", TimeSpan.Zero);
    }

    /// <summary>Publishes the batches and answers success only once the broker has confirmed all of them.</summary>
    private async Task<IngestResult> PublishAsync(List<SpanBatch> batches, ValidationResult validation, ExportTraceServiceResponse response, IngestProtocol protocol, string tenant, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (validation.AcceptedSpans == 0)
        {
            telemetry.Request(protocol, validation.RejectedSpans > 0 ? "partial_success" : "success");
            return new IngestResult(IngestOutcome.Accepted, response, null, TimeSpan.Zero);
        }

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
