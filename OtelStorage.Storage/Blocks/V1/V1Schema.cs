using Parquet.Schema;

namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// The v1 Parquet schema: one row per span, sorted by trace ID then start time. Promoted columns serve search;
/// <c>resource</c>, <c>scope</c> and <c>span_rest</c> hold protobuf that, with the scalar columns, rebuilds the
/// original messages exactly. See docs/block-format.md.
/// </summary>
internal static class V1Schema
{
    public static readonly DataField<byte[]> TraceId = new("trace_id", false);
    public static readonly DataField<byte[]> SpanId = new("span_id", false);
    public static readonly DataField<byte[]> ParentSpanId = new("parent_span_id", false);
    public static readonly DataField<long> StartTime = new("start_time_unix_nano", false);
    public static readonly DataField<long> Duration = new("duration_nano", false);
    public static readonly DataField<string> ServiceName = new("service_name", false);
    public static readonly DataField<string> Name = new("name", false);
    public static readonly DataField<int> Kind = new("kind", false);
    public static readonly DataField<int> StatusCode = new("status_code", false);
    public static readonly DataField<string> TraceState = new("trace_state", false);
    public static readonly DataField<int> Flags = new("flags", false);
    public static readonly DataField<string> HttpMethod = new("http_method", false);
    public static readonly DataField<int> HttpStatusCode = new("http_status_code", false);
    public static readonly DataField<string> HttpRoute = new("http_route", false);
    public static readonly DataField<string> DbSystem = new("db_system", false);
    public static readonly DataField<byte[]> Resource = new("resource", false);
    public static readonly DataField<byte[]> Scope = new("scope", false);
    public static readonly DataField<byte[]> SpanRest = new("span_rest", false);

    public static readonly ParquetSchema Schema = new(
        TraceId, SpanId, ParentSpanId, StartTime, Duration, ServiceName, Name, Kind, StatusCode, TraceState, Flags,
        HttpMethod, HttpStatusCode, HttpRoute, DbSystem, Resource, Scope, SpanRest);

    /// <summary>The columns search filters on, read before a row's other columns.</summary>
    public static readonly DataField[] FilterColumns =
        [StartTime, Duration, ServiceName, Name, Kind, StatusCode, HttpMethod, HttpStatusCode, HttpRoute, DbSystem];

    /// <summary>The column that holds <paramref name="column"/>.</summary>
    public static DataField ColumnOf(SpanColumn column) => column switch
    {
        SpanColumn.Service => ServiceName,
        SpanColumn.Name => Name,
        SpanColumn.Kind => Kind,
        SpanColumn.Status => StatusCode,
        SpanColumn.Duration => Duration,
        SpanColumn.Start => StartTime,
        SpanColumn.HttpMethod => HttpMethod,
        SpanColumn.HttpStatusCode => HttpStatusCode,
        SpanColumn.HttpRoute => HttpRoute,
        SpanColumn.DbSystem => DbSystem,
        _ => throw new ArgumentOutOfRangeException(nameof(column), column, "is not a span column"),
    };

    /// <summary>The flag that says, for a row group, that <paramref name="column"/> may not hold its attribute's value; none for the intrinsic columns.</summary>
    public static InexactColumns InexactFlag(SpanColumn column) => column switch
    {
        SpanColumn.Service => InexactColumns.Service,
        SpanColumn.HttpMethod => InexactColumns.HttpMethod,
        SpanColumn.HttpStatusCode => InexactColumns.HttpStatusCode,
        SpanColumn.HttpRoute => InexactColumns.HttpRoute,
        SpanColumn.DbSystem => InexactColumns.DbSystem,
        _ => InexactColumns.None,
    };

    /// <summary>Span attributes copied into promoted columns: the stable semantic-convention key first, then the older one.</summary>
    public static readonly (string Column, string[] Keys)[] PromotedAttributes =
    [
        ("http_method", ["http.request.method", "http.method"]),
        ("http_status_code", ["http.response.status_code", "http.status_code"]),
        ("http_route", ["http.route"]),
        ("db_system", ["db.system.name", "db.system"]),
    ];

    /// <summary>The promoted column an attribute key filters on, if any.</summary>
    public static string? PromotedColumnFor(string key)
    {
        foreach (var (column, keys) in PromotedAttributes)
        {
            if (Array.IndexOf(keys, key) >= 0)
            {
                return column;
            }
        }

        return null;
    }
}
