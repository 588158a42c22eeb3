namespace OtelStorage.Messaging;

/// <summary>
/// The span message contract. The body is an OTLP <c>ExportTraceServiceRequest</c> (the same wire format
/// as <c>TracesData</c>) in protobuf, holding only spans that passed validation. Messages are persistent.
/// </summary>
public static class SpanMessage
{
    public const string ContentType = "application/x-protobuf";

    /// <summary>Body schema version, so a future format can sit beside this one.</summary>
    public const string Type = "otlp.traces.v1";

    /// <summary>Header names carried on every span message.</summary>
    public static class Headers
    {
        /// <summary>The tenant (validated <c>X-Scope-OrgID</c>).</summary>
        public const string Tenant = "x-tenant";

        /// <summary>When Ingest.Api received the request, Unix milliseconds.</summary>
        public const string ReceivedAtUnixMs = "x-received-at-ms";

        /// <summary>Spans in the body, so consumers can size batches without decoding.</summary>
        public const string SpanCount = "x-span-count";

        /// <summary>W3C trace context of the publish, for the messaging spans.</summary>
        public const string TraceParent = "traceparent";

        public const string TraceState = "tracestate";

        /// <summary>Set on dead-lettered messages: why the consumer rejected it.</summary>
        public const string DeadLetterReason = "x-dead-letter-reason";
    }
}
