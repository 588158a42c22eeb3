using System.Diagnostics;

namespace OtelStorage.Messaging;

/// <summary>What a span message's headers say (<see cref="SpanMessage.ReadHeaders"/>); each is null when absent or unreadable.</summary>
/// <param name="Tenant">The tenant, as published; consumers validate it.</param>
/// <param name="ReceivedAt">When Ingest.Api received the request.</param>
/// <param name="SpanCount">Spans in the body.</param>
/// <param name="Parent">The publish span's context, or <c>default</c>.</param>
public readonly record struct SpanMessageHeaders(string? Tenant, DateTimeOffset? ReceivedAt, int? SpanCount, ActivityContext Parent);
