using OtelStorage.TraceQL.Model;
using OtelStorage.TraceQL.Values;

namespace OtelStorage.TraceQL.Tests;

/// <summary>
/// Five hand-built traces that the documentation examples run against. Span IDs are their labels in hex (a1 is
/// 00000000000000a1), trace IDs end in the trace's letter (0a...0e). Times are milliseconds from each trace's start.
/// <code>
/// A (6 s, production, root frontend "POST /api/orders")      B (300 ms, root frontend "GET /api/products/{id}")
///   a1 frontend  server error 503 "Forbidden" event exception    b1 frontend(staging) server ok 200 span.service.name
///   ├ a2 checkoutservice server error 500                        ├ b2 productcatalogservice(production) server ok 200
///   │ ├ a3 checkoutservice client ok  postgresql db-shard-001    │ └ b3 productcatalogservice(prod-eu) client ok postgresql 200
///   │ └ a4 checkoutservice client error 502 event retry, link→b1 ├ b4 frontend internal ok cache.hit foo=[bar baz] "404"
///   └ a5 productcatalogservice server unset 200 Accept=[...]     └ b5 frontend client error DELETE 409
///     └ a6 productcatalogservice client ok mysql
/// C (40 ms, root gateway "HTTP GET")      D (9.5 s, root worker "perf batch")        E (1 s, no root: e1's parent is missing)
///   c1 server ok 200 sla=critical           d1 consumer error, link→a4 child_of         e1 frontend(staging) value=maxInt ids=[1 2 3]
///   ├ c2 internal ok 200 event foo           ├ d2 internal error                         └ e2 foo=bar value=-3
///   ├ c3 client ok 201 value=2.5 "HTTP POST" │ └ d3 notifier(prod-us) client error 403 "Forbidden" event exception
///   └ c4 producer unset 200 value=1.0        └ d4 producer ok
/// </code>
/// </summary>
internal static class TraceSet
{
    private const long Millisecond = 1_000_000;
    private const long BaseTime = 1_700_000_000_000_000_000;

    private static readonly InstrumentationScope Http = new() { Name = "io.opentelemetry.http", Version = "1.0.0", Attributes = [Kv("language", "java")] };
    private static readonly InstrumentationScope Grpc = new() { Name = "grpc", Version = "1.2.0" };
    private static readonly InstrumentationScope Database = new() { Name = "npgsql", Version = "8.0.0" };
    private static readonly InstrumentationScope Kafka = new() { Name = "kafka", Version = "3.0.0" };

    public static IReadOnlyList<TraceData> All { get; } = [TraceA(), TraceB(), TraceC(), TraceD(), TraceE()];

    public static string Label(TraceSpan span) => Convert.ToHexStringLower(span.SpanId).TrimStart('0');

    public static TraceData Get(char letter) => All["abcde".IndexOf(letter, StringComparison.Ordinal)];

    public static byte[] TraceId(char letter) => Convert.FromHexString("0000000000000000000000000000000" + letter);

    public static byte[] SpanId(string label) => Convert.FromHexString(label.PadLeft(16, '0'));

    public static KeyValue Kv(string key, string value) => new(key, TraceQLValue.String(value));

    public static KeyValue Kv(string key, long value) => new(key, TraceQLValue.Int(value));

    public static KeyValue Kv(string key, double value) => new(key, TraceQLValue.Float(value));

    public static KeyValue Kv(string key, bool value) => new(key, TraceQLValue.Bool(value));

    private static TraceData TraceA()
    {
        KeyValue[] frontend = [Kv("service.name", "frontend"), Kv("service.namespace", "ecommerce"), Kv("deployment.environment", "production"), Kv("cloud.region", "us-east-1"), Kv("k8s.cluster.name", "service-name")];
        KeyValue[] checkout = [Kv("service.name", "checkoutservice"), Kv("deployment.environment", "production"), Kv("cloud.region", "us-east-1"), Kv("service.version", "2.0.0")];
        KeyValue[] catalog = [Kv("service.name", "productcatalogservice"), Kv("deployment.environment", "production"), Kv("cloud.region", "us-west-1"), Kv("service.version", "1.4.0")];
        return Build('a',
            Span("a1", "", frontend, Http, "POST /api/orders", SpanKind.Server, SpanStatus.Error, 0, 6000,
                [Kv("http.method", "POST"), Kv("http.status_code", 503), Kv("http.url", "/path/of/api"), Kv("http.request_content_length", 20971520)],
                message: "Forbidden",
                events: [Event("exception", 3, Kv("exception.message", "something went wrong here"), Kv("exception.type", "Timeout"))]),
            Span("a2", "a1", checkout, Grpc, "PlaceOrder", SpanKind.Server, SpanStatus.Error, 10, 5000,
                [Kv("http.method", "POST"), Kv("http.status_code", 500), Kv("http.url", "/checkout")]),
            Span("a3", "a2", checkout, Database, "SELECT orders", SpanKind.Client, SpanStatus.Ok, 20, 120,
                [Kv("db.system", "postgresql"), Kv("db.name", "db-shard-001"), Kv("bytesProcessed", 600000000), Kv("bytes_processed", 50), Kv("jobs_processed", 6)]),
            Span("a4", "a2", checkout, Grpc, "charge", SpanKind.Client, SpanStatus.Error, 130, 4000,
                [Kv("http.status_code", 502), Kv("cache.hit", false), Kv("bytesProcessed", 500000000), Kv("retry_count", 2), Kv("bytes_processed", 100), Kv("jobs_processed", 5)],
                events: [Event("retry", 10)],
                links: [new SpanLink { TraceId = TraceId('b'), SpanId = SpanId("b1"), Attributes = [Kv("opentracing.ref_type", "follows_from")] }]),
            Span("a5", "a1", catalog, Http, "GET /api/products/{id}", SpanKind.Server, SpanStatus.Unset, 5, 50,
                [Kv("http.method", "GET"), Kv("http.status_code", 200), new KeyValue("http.request.header.Accept", TraceQLValue.StringArray(["application/json", "text/html"]))]),
            Span("a6", "a5", catalog, Database, "SELECT products", SpanKind.Client, SpanStatus.Ok, 6, 30,
                [Kv("db.system", "mysql"), Kv("db.name", "catalog")]));
    }

    private static TraceData TraceB()
    {
        KeyValue[] frontend = [Kv("service.name", "frontend"), Kv("deployment.environment", "staging"), Kv("cloud.region", "us-west-1")];
        KeyValue[] catalog = [Kv("service.name", "productcatalogservice"), Kv("deployment.environment", "production"), Kv("cloud.region", "us-east-1")];
        KeyValue[] database = [Kv("service.name", "productcatalogservice"), Kv("deployment.environment", "prod-eu"), Kv("cloud.region", "eu-west-1")];
        return Build('b',
            Span("b1", "", frontend, Http, "GET /api/products/{id}", SpanKind.Server, SpanStatus.Ok, 0, 300,
                [Kv("http.method", "GET"), Kv("http.status_code", 200), Kv("service.name", "frontend"), Kv("cache.hit", true)]),
            Span("b2", "b1", catalog, Grpc, "GetProduct", SpanKind.Server, SpanStatus.Ok, 10, 250,
                [Kv("http.method", "GET"), Kv("http.status_code", 200)]),
            Span("b3", "b2", database, Database, "SELECT products", SpanKind.Client, SpanStatus.Ok, 20, 200,
                [Kv("db.system", "postgresql"), Kv("db.name", "db-shard-002"), Kv("http.status_code", 200)]),
            Span("b4", "b1", frontend, Http, "cache get", SpanKind.Internal, SpanStatus.Ok, 1, 3,
                [Kv("cache.hit", true), new KeyValue("foo", TraceQLValue.StringArray(["bar", "baz"])), Kv("http.status_code", "404")]),
            Span("b5", "b1", frontend, Http, "HTTP DELETE", SpanKind.Client, SpanStatus.Error, 260, 290,
                [Kv("http.method", "DELETE"), Kv("http.status_code", 409), Kv("http.url", "/cart")]));
    }

    private static TraceData TraceC()
    {
        KeyValue[] gateway = [Kv("service.name", "gateway"), Kv("deployment.environment", "production"), Kv("cloud.region", "us-east-1"), Kv("k8s.cluster.name", "service-name")];
        return Build('c',
            Span("c1", "", gateway, Http, "HTTP GET", SpanKind.Server, SpanStatus.Ok, 0, 40,
                [Kv("http.method", "GET"), Kv("http.status_code", 200), Kv("sla", "critical")]),
            Span("c2", "c1", gateway, Http, "auth", SpanKind.Internal, SpanStatus.Ok, 1, 5,
                [Kv("http.status_code", 200)],
                events: [Event("foo", 1, Kv("foo", "bar"))]),
            Span("c3", "c1", gateway, Http, "HTTP POST", SpanKind.Client, SpanStatus.Ok, 6, 20,
                [Kv("http.method", "POST"), Kv("http.status_code", 201), Kv("value", 2.5), Kv("required_field", "yes"), Kv("attribute.attribute name with space", "value")]),
            Span("c4", "c1", gateway, Http, "HTTP POST", SpanKind.Producer, SpanStatus.Unset, 21, 39,
                [Kv("http.status_code", 200), Kv("value", 1.0), Kv("attribute name with space", "value")]));
    }

    private static TraceData TraceD()
    {
        KeyValue[] worker = [Kv("service.name", "worker"), Kv("deployment.environment", "production"), Kv("cloud.region", "us-west-1"), Kv("k8s.cluster.name", "service-name")];
        KeyValue[] notifier = [Kv("service.name", "notifier"), Kv("deployment.environment", "prod-us"), Kv("cloud.region", "us-east-1")];
        return Build('d',
            Span("d1", "", worker, Kafka, "perf batch", SpanKind.Consumer, SpanStatus.Error, 0, 8000,
                [Kv("messaging.system", "kafka")],
                links: [new SpanLink { TraceId = TraceId('a'), SpanId = SpanId("a4"), Attributes = [Kv("opentracing.ref_type", "child_of")] }]),
            Span("d2", "d1", worker, Kafka, "process", SpanKind.Internal, SpanStatus.Error, 100, 7000, []),
            Span("d3", "d2", notifier, Http, "send email", SpanKind.Client, SpanStatus.Error, 200, 9500,
                [Kv("http.method", "POST"), Kv("http.status_code", 403)],
                message: "Forbidden",
                events: [Event("exception", 1000, Kv("exception.message", "quota exceeded"), Kv("exception.type", "Quota"))]),
            Span("d4", "d1", worker, Kafka, "ack", SpanKind.Producer, SpanStatus.Ok, 7100, 7200, []));
    }

    private static TraceData TraceE()
    {
        KeyValue[] frontend = [Kv("service.name", "frontend"), Kv("deployment.environment", "staging"), Kv("cloud.region", "us-west-1")];
        return Build('e',
            Span("e1", "ff", frontend, InstrumentationScope.Empty, "orphan work", SpanKind.Unspecified, SpanStatus.Unset, 0, 1000,
                [Kv("retry_count", 0), Kv("value", long.MaxValue), new KeyValue("ids", TraceQLValue.IntArray([1, 2, 3])), Kv("optional_field", "x"), Kv("required_field", "y")]),
            Span("e2", "e1", frontend, InstrumentationScope.Empty, "orphan child", SpanKind.Internal, SpanStatus.Unset, 100, 200,
                [Kv("foo", "bar"), Kv("value", -3)]));
    }

    private static TraceData Build(char letter, params Func<byte[], long, TraceSpan>[] spans)
    {
        var traceId = TraceId(letter);
        var start = BaseTime + ((letter - 'a') * 60_000 * Millisecond);
        return new TraceData { TraceId = traceId, Spans = [.. spans.Select(span => span(traceId, start))] };
    }

    private static Func<byte[], long, TraceSpan> Span(
        string label, string parent, KeyValue[] resource, InstrumentationScope scope, string name, SpanKind kind, SpanStatus status,
        long startMs, long endMs, KeyValue[] attributes, string message = "", Func<long, SpanEvent>[]? events = null, SpanLink[]? links = null) =>
        (traceId, traceStart) => new TraceSpan
        {
            TraceId = traceId,
            SpanId = SpanId(label),
            ParentSpanId = parent.Length == 0 ? [] : SpanId(parent),
            Name = name,
            Kind = kind,
            Status = status,
            StatusMessage = message,
            StartUnixNanos = traceStart + (startMs * Millisecond),
            EndUnixNanos = traceStart + (endMs * Millisecond),
            Attributes = attributes,
            ResourceAttributes = resource,
            Scope = scope,
            Events = [.. (events ?? []).Select(e => e(traceStart + (startMs * Millisecond)))],
            Links = links ?? [],
        };

    private static Func<long, SpanEvent> Event(string name, long afterStartMs, params KeyValue[] attributes) =>
        spanStart => new SpanEvent { Name = name, TimeUnixNanos = spanStart + (afterStartMs * Millisecond), Attributes = attributes };
}
