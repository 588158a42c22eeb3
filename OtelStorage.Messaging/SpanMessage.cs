using System.Diagnostics;

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

    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Every header name a span message carries.</summary>
    public static class Headers
    {
        /// <summary>The tenant (validated <c>X-Scope-OrgID</c>).</summary>
        public const string Tenant = "x-tenant";

        /// <summary>When Ingest.Api received the request, Unix milliseconds: consumers measure their lag from it.</summary>
        public const string ReceivedAtUnixMs = "x-received-at-ms";

        /// <summary>Spans in the body, so a consumer's span tells how many it holds without decoding.</summary>
        public const string SpanCount = "x-span-count";

        /// <inheritdoc cref="MessageHeaders.TraceParent"/>
        public const string TraceParent = MessageHeaders.TraceParent;

        /// <inheritdoc cref="MessageHeaders.TraceState"/>
        public const string TraceState = MessageHeaders.TraceState;

        /// <inheritdoc cref="MessageHeaders.DeadLetterReason"/>
        public const string DeadLetterReason = MessageHeaders.DeadLetterReason;

        /// <inheritdoc cref="MessageHeaders.OriginalQueue"/>
        public const string OriginalQueue = MessageHeaders.OriginalQueue;
    }

    /// <summary>The headers of a message of <paramref name="spanCount"/> spans, with <paramref name="publish"/>'s trace context when there is one.</summary>
    public static Dictionary<string, object?> CreateHeaders(string tenant, DateTimeOffset receivedAt, int spanCount, Activity? publish)
    {
        var headers = new Dictionary<string, object?>(5)
        {
            [Headers.Tenant] = tenant,
            [Headers.ReceivedAtUnixMs] = receivedAt.ToUnixTimeMilliseconds(),
            [Headers.SpanCount] = spanCount,
        };
        MessageHeaders.SetTraceContext(headers, publish);
        return headers;
    }

    /// <summary>Reads what <see cref="CreateHeaders"/> wrote, as the broker delivers it; a header that is absent or unreadable is null.</summary>
    public static SpanMessageHeaders ReadHeaders(IDictionary<string, object?>? headers)
    {
        var receivedAt = MessageHeaders.GetInt64(headers, Headers.ReceivedAtUnixMs);
        var spanCount = MessageHeaders.GetInt64(headers, Headers.SpanCount);
        return new SpanMessageHeaders(
            MessageHeaders.GetString(headers, Headers.Tenant),
            receivedAt is { } ms && ms >= 0 && ms <= MaxUnixMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
            spanCount is { } n && n is >= 0 and <= int.MaxValue ? (int)n : null,
            MessageHeaders.GetTraceContext(headers));
    }
}
