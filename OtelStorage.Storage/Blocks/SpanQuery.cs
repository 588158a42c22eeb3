namespace OtelStorage.Storage.Blocks;

/// <summary>
/// Filters for a block scan. Every set filter must match (AND). Time bounds apply to the span start, inclusive.
/// Promoted fields (service, name, kind, status, start, duration and the promoted attributes) are filtered from
/// their own columns before any span is decoded.
/// </summary>
public sealed record SpanQuery
{
    public ulong StartUnixNano { get; init; }

    public ulong EndUnixNano { get; init; } = ulong.MaxValue;

    /// <summary>The resource's <c>service.name</c>, exact.</summary>
    public string? Service { get; init; }

    /// <summary>The span name (operation), exact.</summary>
    public string? SpanName { get; init; }

    /// <summary>OTLP status code: 0 unset, 1 ok, 2 error.</summary>
    public int? StatusCode { get; init; }

    /// <summary>OTLP span kind number.</summary>
    public int? Kind { get; init; }

    public long? MinDurationNanos { get; init; }

    public long? MaxDurationNanos { get; init; }

    /// <summary>
    /// Attribute equality, matched against span attributes, then resource attributes. Values compare as their
    /// string form: strings as they are, integers in decimal, booleans as <c>true</c>/<c>false</c>, doubles in
    /// round-trip invariant form.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Attributes { get; init; } = [];

    /// <summary>
    /// A check on each decoded span that passed every other filter, for conditions no column can decide (such as a
    /// TraceQL span filter). Spans it rejects do not count toward <see cref="Limit"/>. Null keeps every span.
    /// </summary>
    public Func<StoredSpan, bool>? Filter { get; init; }

    /// <summary>At most this many spans per block, the newest ones. The caller merges blocks and applies its own limit.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>True when the block's time bounds, service list and attribute summaries allow a match.</summary>
    public bool MayMatch(BlockMeta meta) =>
        meta.Overlaps(StartUnixNano, EndUnixNano)
        && AttributesMayMatch(meta.Attributes)
        && (Service is null || meta.Services.BinarySearch(Service, StringComparer.Ordinal) >= 0)
        && (SpanName is null || (Service is null
            ? meta.Operations.Values.Any(ops => ops.BinarySearch(SpanName, StringComparer.Ordinal) >= 0)
            : meta.Operations.TryGetValue(Service, out var ops) && ops.BinarySearch(SpanName, StringComparer.Ordinal) >= 0));

    // Attributes match on the span, then the resource (V1Rows.AttributesMatch); blocks without summaries may hold anything.
    private bool AttributesMayMatch(Metadata.AttributeSummaries? summaries) =>
        summaries is null
        || Attributes.All(a => summaries.MayContain(Metadata.AttributeScope.Span, a.Key, a.Value) || summaries.MayContain(Metadata.AttributeScope.Resource, a.Key, a.Value));
}
