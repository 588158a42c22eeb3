using System.Globalization;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Workload;

/// <summary>
/// Deterministic, realistic OTLP traffic: a 12-service shop where a request enters at the frontend and fans out
/// over HTTP, gRPC, messaging and database calls, 4 to 30 spans per trace, with the resource attributes of the
/// OpenTelemetry SDKs, current semantic conventions, a few high-cardinality values (user and order IDs, URL paths),
/// about 3% errors with exception events, and log-normal durations. The same seed gives the same spans.
/// The load generator sends it; the tests and benchmarks build their blocks from it.
/// </summary>
public sealed class RealisticSpanGenerator
{
    private static readonly ServiceProfile[] Services =
    [
        new("frontend", "nodejs", ["GET /", "GET /api/products", "GET /api/products/{id}", "POST /api/cart", "GET /api/cart", "POST /api/checkout", "GET /api/recommendations"]),
        new("product-catalog", "go", ["oteldemo.ProductCatalogService/ListProducts", "oteldemo.ProductCatalogService/GetProduct", "oteldemo.ProductCatalogService/SearchProducts"]),
        new("cart", "dotnet", ["POST /cart/add", "GET /cart/{userId}", "DELETE /cart/{userId}"]),
        new("checkout", "go", ["oteldemo.CheckoutService/PlaceOrder"]),
        new("currency", "cpp", ["Convert", "GetSupportedCurrencies"]),
        new("payment", "nodejs", ["oteldemo.PaymentService/Charge"]),
        new("shipping", "rust", ["POST /get-quote", "POST /ship-order"]),
        new("email", "ruby", ["POST /send_order_confirmation"]),
        new("recommendation", "python", ["oteldemo.RecommendationService/ListRecommendations"]),
        new("ad", "java", ["oteldemo.AdService/GetAds"]),
        new("fraud-detection", "kotlin", ["orders process"]),
        new("accounting", "dotnet", ["orders process"]),
    ];

    private static readonly string[] ConsumerServices = ["fraud-detection", "accounting"];

    private static readonly string[] Statements =
    [
        "SELECT id, name, price FROM products WHERE id = ?",
        "SELECT * FROM cart_items WHERE user_id = ?",
        "INSERT INTO orders (id, user_id, total) VALUES (?, ?, ?)",
        "UPDATE inventory SET stock = stock - ? WHERE product_id = ?",
        "HGET cart:{user}",
    ];

    private readonly Random _random;
    private readonly Resource[][] _resources;
    private ulong _clock;

    public RealisticSpanGenerator(int seed = 42, DateTimeOffset? start = null)
    {
        _random = new Random(seed);
        _clock = (ulong)(start ?? new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero)).ToUnixTimeMilliseconds() * 1_000_000UL;
        _resources = [.. Services.Select((s, i) => Enumerable.Range(0, 3).Select(instance => MakeResource(s, i, instance)).ToArray())];
    }

    /// <summary>Spans generated so far.</summary>
    public long SpanCount { get; private set; }

    /// <summary>Whole traces until at least <paramref name="minSpans"/> spans, grouped by resource and scope as an SDK batch would be.</summary>
    public ExportTraceServiceRequest NextRequest(int minSpans)
    {
        var byResource = new Dictionary<Resource, Dictionary<string, ScopeSpans>>(ReferenceEqualityComparer.Instance);
        var request = new ExportTraceServiceRequest();
        var count = 0;
        while (count < minSpans)
        {
            foreach (var (resource, scopeName, span) in NextTrace())
            {
                if (!byResource.TryGetValue(resource, out var scopes))
                {
                    scopes = [];
                    byResource[resource] = scopes;
                    request.ResourceSpans.Add(new ResourceSpans { Resource = resource, SchemaUrl = "https://opentelemetry.io/schemas/1.26.0" });
                }

                if (!scopes.TryGetValue(scopeName, out var scopeSpans))
                {
                    scopeSpans = new ScopeSpans { Scope = new InstrumentationScope { Name = scopeName, Version = "1.9.0" } };
                    scopes[scopeName] = scopeSpans;
                    request.ResourceSpans.First(rs => ReferenceEquals(rs.Resource, resource)).ScopeSpans.Add(scopeSpans);
                }

                scopeSpans.Spans.Add(span);
                count++;
            }
        }

        // Detach shared resource objects, so callers may mutate requests independently.
        return request.Clone();
    }

    /// <summary>Requests of about <paramref name="spansPerRequest"/> spans until <paramref name="totalSpans"/> spans.</summary>
    public IEnumerable<ExportTraceServiceRequest> Requests(long totalSpans, int spansPerRequest)
    {
        var end = SpanCount + totalSpans;
        while (SpanCount < end)
        {
            yield return NextRequest((int)Math.Min(spansPerRequest, end - SpanCount));
        }
    }

    private List<(Resource, string, Span)> NextTrace()
    {
        var spans = new List<(Resource, string, Span)>();
        var traceId = RandomBytes(16);
        _clock += (ulong)_random.Next(50_000, 2_000_000);
        var userId = "user-" + _random.Next(1, 50_000).ToString(CultureInfo.InvariantCulture);
        var frontend = Services[0];
        var route = frontend.Operations[_random.Next(frontend.Operations.Length)];
        var rootDuration = LogNormal(30_000_000, 0.8);
        var root = NewSpan(traceId, ByteString.Empty, route, Span.Types.SpanKind.Server, _clock, rootDuration);
        var method = route.Split(' ')[0];
        root.Attributes.Add(Str("http.request.method", method));
        root.Attributes.Add(Str("http.route", route.Split(' ')[1]));
        root.Attributes.Add(Str("url.path", route.Split(' ')[1].Replace("{id}", "OLJCESPC7Z", StringComparison.Ordinal)));
        root.Attributes.Add(Str("url.scheme", "http"));
        root.Attributes.Add(Str("server.address", "frontend-proxy"));
        root.Attributes.Add(Str("user_agent.original", UserAgents[_random.Next(UserAgents.Length)]));
        root.Attributes.Add(Str("app.user.id", userId));
        root.Attributes.Add(Int("http.response.status_code", 200));
        spans.Add((Pick(0), "@opentelemetry/instrumentation-http", root));

        var calls = _random.Next(1, 6);
        for (var c = 0; c < calls; c++)
        {
            AddCall(spans, traceId, root, SynchronousService(), depth: 1, userId);
        }

        if (_random.NextDouble() < 0.03)
        {
            var failed = spans[_random.Next(spans.Count)].Item3;
            failed.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "upstream request failed" };
            failed.Events.Add(new Span.Types.Event
            {
                TimeUnixNano = failed.EndTimeUnixNano,
                Name = "exception",
                Attributes = { Str("exception.type", "System.Net.Http.HttpRequestException"), Str("exception.message", "Connection refused (payment:50051)") },
            });
        }

        SpanCount += spans.Count;
        return spans;
    }

    private void AddCall(List<(Resource, string, Span)> spans, byte[] traceId, Span parent, int serviceIndex, int depth, string userId)
    {
        var service = Services[serviceIndex];
        var operation = service.Operations[_random.Next(service.Operations.Length)];
        var grpc = operation.Contains('/', StringComparison.Ordinal) && !operation.Contains(' ', StringComparison.Ordinal);
        var parentDuration = (long)(parent.EndTimeUnixNano - parent.StartTimeUnixNano);
        var start = parent.StartTimeUnixNano + (ulong)_random.NextInt64(0, Math.Max(1, parentDuration / 2));
        var duration = Math.Min(parentDuration, LogNormal(parentDuration / 4.0, 0.6));
        var client = NewSpan(traceId, parent.SpanId, operation, Span.Types.SpanKind.Client, start, duration);
        var server = NewSpan(traceId, client.SpanId, operation, Span.Types.SpanKind.Server, start + 200_000, Math.Max(1000, duration - 400_000));
        if (grpc)
        {
            client.Attributes.Add(Str("rpc.system", "grpc"));
            client.Attributes.Add(Str("rpc.service", operation.Split('/')[0]));
            client.Attributes.Add(Str("rpc.method", operation.Split('/')[1]));
            client.Attributes.Add(Str("server.address", service.Name));
            client.Attributes.Add(Int("server.port", 8080));
            client.Attributes.Add(Int("rpc.grpc.status_code", 0));
            server.Attributes.Add(Str("rpc.system", "grpc"));
            server.Attributes.Add(Str("rpc.service", operation.Split('/')[0]));
            server.Attributes.Add(Str("rpc.method", operation.Split('/')[1]));
            server.Attributes.Add(Int("rpc.grpc.status_code", 0));
        }
        else
        {
            var method = operation.Split(' ')[0];
            var path = operation.Length > method.Length ? operation[(method.Length + 1)..] : "/";
            client.Attributes.Add(Str("http.request.method", method));
            client.Attributes.Add(Str("url.full", "http://" + service.Name + ":8080" + path.Replace("{userId}", userId, StringComparison.Ordinal)));
            client.Attributes.Add(Str("server.address", service.Name));
            client.Attributes.Add(Int("http.response.status_code", 200));
            server.Attributes.Add(Str("http.request.method", method));
            server.Attributes.Add(Str("http.route", path));
            server.Attributes.Add(Int("http.response.status_code", 200));
            server.Attributes.Add(Str("client.address", "10.42.0." + _random.Next(2, 250).ToString(CultureInfo.InvariantCulture)));
        }

        spans.Add((Pick(serviceIndex == 0 ? 0 : ParentServiceIndex(parent, spans)), ClientScope(spans, parent), client));
        spans.Add((Pick(serviceIndex), service.Language + " server", server));

        if (_random.NextDouble() < 0.5)
        {
            var db = NewSpan(traceId, server.SpanId, "SELECT", Span.Types.SpanKind.Client, server.StartTimeUnixNano + 100_000, LogNormal(2_000_000, 0.7));
            var statement = Statements[_random.Next(Statements.Length)];
            var redis = statement.StartsWith("HGET", StringComparison.Ordinal);
            db.Name = redis ? "HGET" : statement.Split(' ')[0] + " shop";
            db.Attributes.Add(Str("db.system.name", redis ? "redis" : "postgresql"));
            db.Attributes.Add(Str("db.query.text", statement));
            db.Attributes.Add(Str("db.namespace", "shop"));
            db.Attributes.Add(Str("server.address", redis ? "valkey-cart" : "postgresql"));
            spans.Add((Pick(serviceIndex), "db", db));
        }

        if (depth < 3 && _random.NextDouble() < 0.35)
        {
            AddCall(spans, traceId, server, SynchronousService(), depth + 1, userId);
        }

        if (service.Name == "checkout")
        {
            AddOrderMessaging(spans, traceId, server);
        }
    }

    /// <summary>Services called over HTTP or gRPC; the last ones only consume the orders topic.</summary>
    private int SynchronousService() => _random.Next(1, Services.Length - ConsumerServices.Length);

    /// <summary>Checkout publishes the order to Kafka; fraud detection and accounting each consume and handle it.</summary>
    private void AddOrderMessaging(List<(Resource, string, Span)> spans, byte[] traceId, Span checkout)
    {
        var checkoutIndex = Array.FindIndex(Services, s => s.Name == "checkout");
        var publish = NewSpan(traceId, checkout.SpanId, "orders publish", Span.Types.SpanKind.Producer, checkout.StartTimeUnixNano + 300_000, LogNormal(500_000, 0.5));
        publish.Attributes.Add(Str("messaging.system", "kafka"));
        publish.Attributes.Add(Str("messaging.destination.name", "orders"));
        publish.Attributes.Add(Str("messaging.operation.type", "send"));
        publish.Attributes.Add(Str("server.address", "kafka"));
        spans.Add((Pick(checkoutIndex), "kafka producer", publish));

        foreach (var consumer in ConsumerServices)
        {
            var index = Array.FindIndex(Services, s => s.Name == consumer);
            var process = NewSpan(traceId, publish.SpanId, "orders process", Span.Types.SpanKind.Consumer, publish.EndTimeUnixNano + (ulong)_random.Next(1_000_000, 20_000_000), LogNormal(3_000_000, 0.6));
            process.Attributes.Add(Str("messaging.system", "kafka"));
            process.Attributes.Add(Str("messaging.destination.name", "orders"));
            process.Attributes.Add(Str("messaging.operation.type", "process"));
            process.Attributes.Add(Str("messaging.consumer.group.name", consumer));
            process.Attributes.Add(Int("messaging.kafka.offset", _random.NextInt64(1, 10_000_000)));
            spans.Add((Pick(index), "kafka consumer", process));

            var handle = NewSpan(traceId, process.SpanId, "handle order", Span.Types.SpanKind.Internal, process.StartTimeUnixNano + 50_000, LogNormal(1_000_000, 0.5));
            handle.Attributes.Add(Int("app.order.items.count", _random.Next(1, 8)));
            spans.Add((Pick(index), consumer, handle));
        }
    }

    private int ParentServiceIndex(Span parent, List<(Resource Resource, string Scope, Span Span)> spans)
    {
        foreach (var (resource, _, span) in spans)
        {
            if (span.SpanId == parent.SpanId)
            {
                for (var i = 0; i < _resources.Length; i++)
                {
                    if (Array.IndexOf(_resources[i], resource) >= 0)
                    {
                        return i;
                    }
                }
            }
        }

        return 0;
    }

    private static string ClientScope(List<(Resource, string Scope, Span Span)> spans, Span parent) =>
        spans.FirstOrDefault(s => s.Span.SpanId == parent.SpanId).Scope is { } scope && !scope.EndsWith("server", StringComparison.Ordinal) ? scope : "client";

    private Span NewSpan(byte[] traceId, ByteString parentSpanId, string name, Span.Types.SpanKind kind, ulong start, long duration) => new()
    {
        TraceId = ByteString.CopyFrom(traceId),
        SpanId = ByteString.CopyFrom(RandomBytes(8)),
        ParentSpanId = parentSpanId,
        Name = name,
        Kind = kind,
        StartTimeUnixNano = start,
        EndTimeUnixNano = start + (ulong)Math.Max(1000, duration),
        Flags = 0x101,
        Status = null,
    };

    private Resource Pick(int serviceIndex) => _resources[serviceIndex][_random.Next(3)];

    private static Resource MakeResource(ServiceProfile s, int serviceIndex, int instance)
    {
        var pod = s.Name + "-" + (0x5d8f9c7b4 + serviceIndex * 7919).ToString("x", CultureInfo.InvariantCulture) + "-" + "abcxyz"[instance] + "q" + instance.ToString(CultureInfo.InvariantCulture) + "zk";
        return new Resource
        {
            Attributes =
            {
                Str("service.name", s.Name),
                Str("service.namespace", "opentelemetry-demo"),
                Str("service.version", "2.0." + (serviceIndex % 4).ToString(CultureInfo.InvariantCulture)),
                Str("service.instance.id", pod),
                Str("deployment.environment.name", "production"),
                Str("telemetry.sdk.name", "opentelemetry"),
                Str("telemetry.sdk.language", s.Language),
                Str("telemetry.sdk.version", "1.28.0"),
                Str("host.name", pod),
                Str("k8s.namespace.name", "otel-demo"),
                Str("k8s.pod.name", pod),
                Str("k8s.node.name", "node-" + (instance + 1).ToString(CultureInfo.InvariantCulture)),
                Int("process.pid", 1 + serviceIndex * 3 + instance),
            },
        };
    }

    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "python-requests/2.32.3",
    ];

    private long LogNormal(double median, double sigma)
    {
        // Box-Muller normal sample.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        var normal = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        return (long)Math.Max(1000, median * Math.Exp(sigma * normal));
    }

    private byte[] RandomBytes(int n)
    {
        var bytes = new byte[n];
        _random.NextBytes(bytes);
        return bytes;
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private sealed record ServiceProfile(string Name, string Language, string[] Operations);
}
