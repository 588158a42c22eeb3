namespace OtelStorage.Storage.Blocks;

/// <summary>
/// Filters for a block scan. Every set filter must match (AND). Time bounds apply to the span start, inclusive.
/// Promoted fields (service, name, kind, status, start, duration and the promoted attributes) are filtered from
/// their own columns before any span is decoded: <see cref="ColumnConditions"/> gathers them.
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
    /// Conditions on single columns beyond the exact-value properties above, such as several allowed values, a pattern
    /// or a range (see <see cref="ColumnPredicate"/>).
    /// </summary>
    public IReadOnlyList<ColumnPredicate> Predicates { get; init; } = [];

    /// <summary>
    /// A check on each decoded span that passed every other filter, for conditions no column can decide (such as a
    /// TraceQL span filter). Spans it rejects do not count toward <see cref="Limit"/>. Null keeps every span.
    /// </summary>
    public Func<StoredSpan, bool>? Filter { get; init; }

    /// <summary>At most this many spans per block, the newest ones. The caller merges blocks and applies its own limit.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>
    /// Every condition a reader can check on a column alone besides the time range: <see cref="Predicates"/> and the
    /// exact-value properties, each as a <see cref="ColumnPredicate"/>.
    /// </summary>
    public IEnumerable<ColumnPredicate> ColumnConditions()
    {
        if (Service is not null)
        {
            yield return ColumnPredicate.StoredService(Service);
        }

        if (SpanName is not null)
        {
            yield return ColumnPredicate.AnyOf(SpanColumn.Name, [SpanName]);
        }

        if (StatusCode is { } status)
        {
            yield return ColumnPredicate.AnyOf(SpanColumn.Status, [(long)status]);
        }

        if (Kind is { } kind)
        {
            yield return ColumnPredicate.AnyOf(SpanColumn.Kind, [(long)kind]);
        }

        if (MinDurationNanos is not null || MaxDurationNanos is not null)
        {
            yield return ColumnPredicate.Between(SpanColumn.Duration, MinDurationNanos ?? long.MinValue, MaxDurationNanos ?? long.MaxValue);
        }

        foreach (var predicate in Predicates)
        {
            yield return predicate;
        }
    }

    /// <summary>True when the block's time bounds, service list and attribute summaries allow a match.</summary>
    public bool MayMatch(BlockMeta meta) =>
        meta.Overlaps(StartUnixNano, EndUnixNano)
        && AttributesMayMatch(meta.Attributes)
        && PredicatesMayMatch(meta.Attributes)
        && (Service is null || meta.Services.BinarySearch(Service, StringComparer.Ordinal) >= 0)
        && (SpanName is null || (Service is null
            ? meta.Operations.Values.Any(ops => ops.BinarySearch(SpanName, StringComparer.Ordinal) >= 0)
            : meta.Operations.TryGetValue(Service, out var ops) && ops.BinarySearch(SpanName, StringComparer.Ordinal) >= 0));

    // Attributes match on the span, then the resource (V1Rows.AttributesMatch); blocks without summaries may hold anything.
    private bool AttributesMayMatch(Metadata.AttributeSummaries? summaries) =>
        summaries is null
        || Attributes.All(a => summaries.MayContain(Metadata.AttributeScope.Span, a.Key, a.Value) || summaries.MayContain(Metadata.AttributeScope.Resource, a.Key, a.Value));

    private static readonly string[] StatusNames = ["unset", "ok", "error"];
    private static readonly string[] KindNames = ["unspecified", "internal", "server", "client", "producer", "consumer"];

    // A predicate that lists values rules out a block whose summaries hold none of them under the predicate's attribute
    // (its first key: see ColumnPredicate) or intrinsic. An empty string or zero among the values stands for "absent",
    // which no summary can rule out.
    private bool PredicatesMayMatch(Metadata.AttributeSummaries? summaries) =>
        summaries is null || Predicates.All(p => SummaryKey(p.Column) is not { } at || ValueTexts(p) is not { } texts
            || texts.Any(text => summaries.MayContain(at.Scope, at.Key, text)));

    private static (Metadata.AttributeScope Scope, string Key)? SummaryKey(SpanColumn column) => column switch
    {
        SpanColumn.Service => (Metadata.AttributeScope.Resource, "service.name"),
        SpanColumn.Name => (Metadata.AttributeScope.Intrinsic, "name"),
        SpanColumn.Status => (Metadata.AttributeScope.Intrinsic, "status"),
        SpanColumn.Kind => (Metadata.AttributeScope.Intrinsic, "kind"),
        SpanColumn.HttpMethod => (Metadata.AttributeScope.Span, "http.request.method"),
        SpanColumn.HttpStatusCode => (Metadata.AttributeScope.Span, "http.response.status_code"),
        SpanColumn.HttpRoute => (Metadata.AttributeScope.Span, "http.route"),
        SpanColumn.DbSystem => (Metadata.AttributeScope.Span, "db.system.name"),
        _ => null,
    };

    // The summaries' text of each listed value (AttributeSummaries.MayContain), or null when the predicate lists none or
    // lists one that may mean "absent".
    private static List<string>? ValueTexts(ColumnPredicate predicate)
    {
        if (predicate.Strings is { } strings)
        {
            return strings.Contains(string.Empty) ? null : [.. strings];
        }

        if (predicate.Numbers is not { } numbers)
        {
            return null;
        }

        var names = predicate.Column switch
        {
            SpanColumn.Status => StatusNames,
            SpanColumn.Kind => KindNames,
            _ => null,
        };
        if (names is null)
        {
            return numbers.Contains(0) ? null : [.. numbers.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        }

        return numbers.All(n => n >= 0 && n < names.Length) ? [.. numbers.Select(n => names[n])] : null;
    }
}
