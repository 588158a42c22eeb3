using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Storage.Blocks;

/// <summary>
/// One span read back from a block with its resource and scope, exactly as they arrived. Instances of the same
/// resource or scope within one read share the same <see cref="Resource"/> and <see cref="Scope"/> objects; treat
/// them as read-only.
/// </summary>
public sealed class StoredSpan
{
    public required Resource? Resource { get; init; }

    public required string ResourceSchemaUrl { get; init; }

    public required InstrumentationScope? Scope { get; init; }

    public required string ScopeSchemaUrl { get; init; }

    public required Span Span { get; init; }

    /// <summary>The resource's <c>service.name</c>, or empty.</summary>
    public required string ServiceName { get; init; }

    /// <summary>The block the span came from.</summary>
    public required string BlockId { get; init; }

    public ulong StartTimeUnixNano => Span.StartTimeUnixNano;

    /// <summary>
    /// Newest first: start time descending, then trace ID and span ID ascending (bytewise). A total order, so
    /// merging per-block results with it gives the same answer for the same data.
    /// </summary>
    public static IComparer<StoredSpan> NewestFirst { get; } = Comparer<StoredSpan>.Create(static (a, b) =>
    {
        var c = b.StartTimeUnixNano.CompareTo(a.StartTimeUnixNano);
        if (c != 0)
        {
            return c;
        }

        c = a.Span.TraceId.Span.SequenceCompareTo(b.Span.TraceId.Span);
        return c != 0 ? c : a.Span.SpanId.Span.SequenceCompareTo(b.Span.SpanId.Span);
    });

    /// <summary>The de-duplication key: (traceId, spanId). Duplicates come from redelivery after a crash.</summary>
    public (UInt128 TraceId, ulong SpanId) Key =>
        (Metadata.MetadataExtractor.TraceKey(Span.TraceId.Span), Metadata.MetadataExtractor.SpanKey(Span.SpanId.Span));
}
