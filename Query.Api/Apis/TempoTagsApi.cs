using System.ComponentModel;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.Metadata;
using OtelStorage.TraceQL;
using OtelStorage.TraceQL.Ast;
using OtelStorage.TraceQL.Conditions;
using OtelStorage.TraceQL.Values;
using Query.Api.Formats;
using Query.Api.Reading;
using Query.Api.Search;
using Query.Api.Telemetry;
using StorageScope = OtelStorage.Storage.Blocks.Metadata.AttributeScope;
using TraceQLScope = OtelStorage.TraceQL.Ast.AttributeScope;

namespace Query.Api.Apis;

/// <summary>Tempo's tag autocompletion parameters: start/end in Unix seconds, a TraceQL <c>q</c>, a count limit.</summary>
public sealed record TempoTagParameters(
    [property: Description("Tag names only: resource, span, event, link, instrumentation, intrinsic, or all (the default).")] string? Scope,
    [property: Description("TraceQL; with conditions, values come from the spans matching it.")] string? Q,
    [property: Description("Unix seconds; default Query:DefaultSearchRange before end.")] string? Start,
    [property: Description("Unix seconds; default now.")] string? End,
    [property: Description("At most this many names or values, 1 to 100000.")] string? Limit);

/// <summary>
/// Tempo's tag names and values, read from the attribute summaries in the meta.json of the blocks overlapping
/// start/end (<see cref="AttributeSummaries"/>), so autocompletion reads no span. A <c>q</c> with conditions restricts
/// values to those of spans matching it, found by the exact search. Answers are bounded by <c>limit</c> and by
/// <c>Query:MaxBytesPerTagValuesQuery</c>; <c>metrics.truncated</c> says when either cut the list.
/// </summary>
public static class TempoTagsApi
{
    /// <summary>The v2 scopes, in Tempo's order; <c>intrinsic</c> lists the intrinsics rather than data.</summary>
    private static readonly string[] Scopes = ["resource", "span", "event", "link", "instrumentation", "intrinsic"];

    /// <summary>The intrinsics TraceQL can search, as Tempo lists them in the intrinsic scope.</summary>
    private static readonly string[] IntrinsicTags =
    [
        "duration", "event:name", "event:timeSinceStart", "instrumentation:name", "instrumentation:version", "kind", "link:spanID", "link:traceID",
        "name", "rootName", "rootServiceName", "span:id", "span:parentID", "status", "statusMessage", "trace:id", "traceDuration",
    ];

    private const int MaxLimit = 100_000;

    /// <summary>Maps the four tag routes on Tempo's <c>/api</c> group.</summary>
    public static RouteGroupBuilder MapTempoTagsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/search/tags", GetTags).WithName("TempoSearchTags").WithSummary("Tempo: span and resource attribute names in the blocks of start/end");
        api.MapGet("/v2/search/tags", GetTagsV2).WithName("TempoSearchTagsV2").WithSummary("Tempo: attribute names by scope in the blocks of start/end, and the intrinsics");
        api.MapGet("/search/tag/{tag}/values", GetTagValues).WithName("TempoSearchTagValues").WithSummary("Tempo: values of a tag");
        api.MapGet("/v2/search/tag/{tag}/values", GetTagValuesV2).WithName("TempoSearchTagValuesV2").WithSummary("Tempo: typed values of a TraceQL attribute or intrinsic, optionally of spans matching q");
        return api;
    }

    public static async Task<Ok<TempoTagNames>> GetTags([AsParameters] TempoTagParameters parameters, [AsParameters] QueryServices services)
    {
        var window = await WindowAsync(parameters, services);
        var names = window.Blocks.SelectMany(b => KeysOf(b, StorageScope.Span).Concat(KeysOf(b, StorageScope.Resource)));
        var (tags, _) = Bound(names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal), t => t, window.Limit, services.Options.Value.MaxBytesPerTagValuesQuery);
        services.Telemetry.Request("tempo_tags", "ok");
        return TypedResults.Ok(new TempoTagNames(tags));
    }

    public static async Task<Ok<TempoTagScopes>> GetTagsV2([AsParameters] TempoTagParameters parameters, [AsParameters] QueryServices services)
    {
        var scope = parameters.Scope switch
        {
            null or "" or "all" => null,
            var s when Scopes.Contains(s) => s,
            var s => throw new QueryParameterException($"scope must be one of {string.Join(", ", Scopes)} or all, got '{s}'"),
        };
        var window = await WindowAsync(parameters, services);
        var budget = services.Options.Value.MaxBytesPerTagValuesQuery;
        var truncated = false;
        var scopes = new List<TempoTagScope>();
        foreach (var name in Scopes.Where(s => scope is null || s == scope))
        {
            IEnumerable<string> tags = name == "intrinsic"
                ? IntrinsicTags
                : window.Blocks.SelectMany(b => KeysOf(b, Enum.Parse<StorageScope>(name, ignoreCase: true))).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            var (kept, cut) = Bound(tags, t => t, window.Limit, budget);
            budget -= kept.Sum(t => Encoding.UTF8.GetByteCount(t));
            truncated |= cut;
            scopes.Add(new TempoTagScope(name, kept));
        }

        services.Telemetry.Request("tempo_tags", truncated ? "truncated" : "ok");
        return TypedResults.Ok(new TempoTagScopes(scopes, window.Metrics(0, truncated)));
    }

    public static async Task<Ok<TempoTagValuesV1>> GetTagValues(string tag, [AsParameters] TempoTagParameters parameters, [AsParameters] QueryServices services)
    {
        var (values, _) = await TagValuesAsync(tag, parameters, services);
        return TypedResults.Ok(new TempoTagValuesV1([.. values.Select(v => v.Value).Distinct(StringComparer.Ordinal)]));
    }

    public static async Task<Ok<TempoTagValues>> GetTagValuesV2(string tag, [AsParameters] TempoTagParameters parameters, [AsParameters] QueryServices services)
    {
        var (values, metrics) = await TagValuesAsync(tag, parameters, services);
        return TypedResults.Ok(new TempoTagValues(values, metrics));
    }

    /// <summary>A scope's keys in a block; a block written without summaries has <c>service.name</c> for a resource key when it lists services.</summary>
    private static string[] KeysOf(BlockMeta block, StorageScope scope) =>
        block.Attributes is { } a ? [.. a.Of(scope).Keys.Keys]
        : scope == StorageScope.Resource && block.Services.Count > 0 ? ["service.name"]
        : [];

    /// <summary>
    /// Parses a tag as TraceQL names a field (<c>span.http.route</c>, <c>.x</c>, <c>name</c>, <c>span:name</c>);
    /// a bare key such as <c>service.name</c>, which TraceQL would reject, is the unscoped attribute, as Tempo's v1
    /// API takes it.
    /// </summary>
    public static FieldReference ParseTag(string tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            throw new QueryParameterException("tag must not be empty");
        }

        if (TryParseField(tag, out var field, out var error))
        {
            return field;
        }

        var scoped = tag.Split('.')[0] is "span" or "resource" or "event" or "link" or "instrumentation" || tag.StartsWith('.');
        if (!scoped && !tag.Contains(':', StringComparison.Ordinal) && TryParseField("." + tag, out field, out _))
        {
            return field;
        }

        throw new QueryParameterException($"tag '{tag}' is not a TraceQL attribute (span.x, resource.x, .x...) or intrinsic (name, status, span:id...): {error}");
    }

    private static bool TryParseField(string text, out FieldReference field, out string error)
    {
        field = null!;
        error = string.Empty;
        try
        {
            var conditions = TraceQLQuery.Parse("{ " + text + " != nil }").Conditions;
            if (conditions is { AllConditions: true, Items.Items.Length: 1 })
            {
                field = conditions.Items.Items[0].Field;
                return true;
            }

            error = "it names more than one field";
        }
        catch (TraceQLParseException e)
        {
            error = e.Message;
        }

        return false;
    }

    private static async Task<(IReadOnlyList<TempoTagValue> Values, TempoTagMetrics Metrics)> TagValuesAsync(string tag, TempoTagParameters parameters, QueryServices services)
    {
        var field = ParseTag(tag);
        var query = string.IsNullOrWhiteSpace(parameters.Q) ? null : TraceQLSearch.Parse(parameters.Q);
        var window = await WindowAsync(parameters, services);
        var maxBytes = services.Options.Value.MaxBytesPerTagValuesQuery;
        if (query is not null && query.Conditions.Items.Items.Any(c => c.Operator != ConditionOperator.None))
        {
            var (found, inspectedBytes) = await ValuesOfMatchingSpansAsync(field, tag, query, window, services);
            var (values, truncated) = Bound(Sorted(found), v => v.Value, window.Limit, maxBytes);
            services.Telemetry.Request("tempo_tag_values", truncated ? "truncated" : "ok");
            return (values, window.Metrics(inspectedBytes, truncated));
        }

        var (listed, cut) = Bound(Sorted(window.Blocks.SelectMany(b => ValuesInSummary(b, field))), v => v.Value, window.Limit, maxBytes);
        services.Telemetry.Request("tempo_tag_values", cut ? "truncated" : "ok");
        return (listed, window.Metrics(0, cut));
    }

    /// <summary>Values a block's summaries list for a field; blocks written without summaries list services and span names.</summary>
    private static IEnumerable<TempoTagValue> ValuesInSummary(BlockMeta block, FieldReference field)
    {
        (StorageScope[] Scopes, string Key) where = field switch
        {
            AttributeReference { Scope: TraceQLScope.None } a => ([StorageScope.Span, StorageScope.Resource], a.Name),
            AttributeReference a => ([Enum.Parse<StorageScope>(a.Scope.ToString())], a.Name),
            IntrinsicReference i when SummaryKey(i.Intrinsic) is { } k => ([StorageScope.Intrinsic], k),
            _ => ([], string.Empty),
        };
        var (scopes, key) = where;
        if (block.Attributes is null)
        {
            return (scopes, key) switch
            {
                ([.., StorageScope.Resource], "service.name") => block.Services.Select(s => new TempoTagValue("string", s)),
                ([StorageScope.Intrinsic], "name") => block.Operations.Values.SelectMany(o => o).Select(n => new TempoTagValue("string", n)),
                _ => [],
            };
        }

        return scopes.SelectMany(s => block.Attributes.Of(s).Keys.TryGetValue(key, out var summary)
            ? summary.Values.SelectMany(byType => byType.Value.Select(v => new TempoTagValue(TempoType(byType.Key), v)))
            : []);
    }

    /// <summary>The intrinsic key under which the summaries list an intrinsic's values; null for those they do not list (durations, IDs).</summary>
    private static string? SummaryKey(Intrinsic intrinsic) => intrinsic switch
    {
        Intrinsic.Name => "name",
        Intrinsic.Status => "status",
        Intrinsic.Kind => "kind",
        Intrinsic.StatusMessage => "statusMessage",
        Intrinsic.TraceRootName => "rootName",
        Intrinsic.TraceRootService => "rootServiceName",
        Intrinsic.EventName => "event:name",
        Intrinsic.InstrumentationName => "instrumentation:name",
        Intrinsic.InstrumentationVersion => "instrumentation:version",
        _ => null,
    };

    // Tempo has no bytes type: bytes are listed as their base64 string.
    private static string TempoType(string summaryType) => summaryType == "bytes" ? "string" : summaryType;

    /// <summary>
    /// The field's values on the spans of the newest traces matching <paramref name="query"/>: the query with
    /// <c>select(tag)</c> appended runs through the exact search, bounded by <c>Query:MaxLimit</c> traces and
    /// <c>Query:SearchTimeout</c>.
    /// </summary>
    private static async Task<(IEnumerable<TempoTagValue> Values, long InspectedBytes)> ValuesOfMatchingSpansAsync(
        FieldReference field, string tag, TraceQLQuery query, TagWindow window, QueryServices services)
    {
        var selecting = TraceQLSearch.Parse(query.Text + " | select(" + (field is AttributeReference { Scope: TraceQLScope.None } a && !tag.StartsWith('.') ? "." + a.Name : tag) + ")");
        using var reads = MeteredObjectStore.BeginScope();
        var traces = Math.Min(window.Limit, services.Options.Value.MaxLimit);
        var candidates = TraceQLPushdown.Apply(selecting, window.Range with { Limit = traces });
        var found = await TraceQLSearch.FindAsync(services, candidates, (trace, _) => selecting.Evaluate(trace), traces);
        services.MarkPartial(found.Search);
        var values = found.Traces
            .SelectMany(t => t.Spansets)
            .SelectMany(s => s.Spans)
            .SelectMany(s => s.Selected)
            .Where(s => SameField(s.Field, field))
            .Select(s => ToTagValue(s.Value))
            .OfType<TempoTagValue>();
        return ([.. values], reads.Statistics.Bytes);
    }

    private static bool SameField(FieldReference a, FieldReference b) =>
        a is IntrinsicReference x && b is IntrinsicReference y ? x.Intrinsic == y.Intrinsic : a == b;

    private static TempoTagValue? ToTagValue(TraceQLValue value) => value.Type switch
    {
        TraceQLType.String => new TempoTagValue("string", value.AsString()),
        TraceQLType.Int => new TempoTagValue("int", value.AsInt().ToString(CultureInfo.InvariantCulture)),
        TraceQLType.Float => new TempoTagValue("float", value.AsDouble().ToString("R", CultureInfo.InvariantCulture)),
        TraceQLType.Bool => new TempoTagValue("bool", value.AsBool() ? "true" : "false"),
        TraceQLType.Duration => new TempoTagValue("duration", value.ToString()),
        TraceQLType.Status or TraceQLType.Kind => new TempoTagValue("keyword", value.ToString()),
        _ => null,
    };

    private static IEnumerable<TempoTagValue> Sorted(IEnumerable<TempoTagValue> values) =>
        values.Distinct().OrderBy(v => v.Value, StringComparer.Ordinal).ThenBy(v => v.Type, StringComparer.Ordinal);

    /// <summary>The first items within <paramref name="limit"/> items and <paramref name="maxBytes"/> UTF-8 bytes, and whether any was left out.</summary>
    private static (List<T> Kept, bool Truncated) Bound<T>(IEnumerable<T> items, Func<T, string> text, int limit, long maxBytes)
    {
        var kept = new List<T>();
        long bytes = 0;
        foreach (var item in items)
        {
            bytes += Encoding.UTF8.GetByteCount(text(item));
            if (kept.Count >= limit || bytes > maxBytes)
            {
                return (kept, true);
            }

            kept.Add(item);
        }

        return (kept, false);
    }

    private static async Task<TagWindow> WindowAsync(TempoTagParameters parameters, QueryServices services)
    {
        var limit = string.IsNullOrEmpty(parameters.Limit) ? MaxLimit
            : int.TryParse(parameters.Limit, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= MaxLimit ? n
            : throw new QueryParameterException($"limit must be an integer from 1 to {MaxLimit}, got '{parameters.Limit}'");
        var criteria = new SearchCriteria
        {
            StartUnixNano = string.IsNullOrEmpty(parameters.Start) ? null : QueryParsing.UnixTime(parameters.Start, "start", 1_000_000_000, "seconds"),
            EndUnixNano = string.IsNullOrEmpty(parameters.End) ? null : QueryParsing.UnixTime(parameters.End, "end", 1_000_000_000, "seconds"),
            Limit = 1,
        };
        var (range, _) = criteria.Build(services.Options.Value, services.Time.GetUtcNow());
        var blocks = await services.Metadata.BlocksAsync(services.Tenant, range.StartUnixNano, range.EndUnixNano, services.Aborted);
        return new TagWindow(range, blocks, limit);
    }

    /// <summary>The blocks of a request's time range, and its count limit.</summary>
    private sealed record TagWindow(SpanQuery Range, IReadOnlyList<BlockMeta> Blocks, int Limit)
    {
        public TempoTagMetrics Metrics(long inspectedBytes, bool truncated) => new(
            inspectedBytes.ToString(CultureInfo.InvariantCulture),
            1,
            1,
            Blocks.Count,
            Blocks.Sum(b => b.SizeBytes).ToString(CultureInfo.InvariantCulture),
            truncated);
    }
}
