namespace OtelStorage.TraceQL.Model;

/// <summary>
/// One whole trace, the unit a TraceQL query is evaluated on. Structure (<c>&gt;&gt;</c>, <c>~</c>...), trace intrinsics
/// (<c>traceDuration</c>, <c>rootName</c>) and aggregates see exactly the spans given here, so a store must gather every
/// span of the trace before evaluating a query whose <c>Conditions.NeedsWholeTrace</c> is true.
/// </summary>
public sealed class TraceData
{
    /// <summary>The trace ID.</summary>
    public byte[] TraceId { get; init; } = [];

    /// <summary>The spans, in any order; results list spans in this order.</summary>
    public IReadOnlyList<TraceSpan> Spans { get; init; } = [];
}
