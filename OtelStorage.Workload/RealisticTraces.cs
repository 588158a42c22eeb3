using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Workload;

/// <summary>
/// A realistic export request: a few services' resources with semantic-convention attributes, HTTP server and
/// client spans, database spans with query text, and exception events on about one span in ten. One request measured
/// on its own (the ingest path benchmark and load measurement); traffic comes from <see cref="RealisticSpanGenerator"/>.
/// </summary>
public static class RealisticTraces
{
    /// <summary>A request of <paramref name="spans"/> spans, rounded down to a multiple of its four services.</summary>
    public static ExportTraceServiceRequest Request(int spans, int seed = 42)
    {
        var random = new Random(seed);
        var request = new ExportTraceServiceRequest();
        var services = new[] { "checkout", "cart", "payments", "inventory" };
        var perService = spans / services.Length;
        var traceId = new byte[16];
        var spanId = new byte[8];
        var parentId = new byte[8];
        for (var s = 0; s < services.Length; s++)
        {
            var resourceSpans = new ResourceSpans
            {
                Resource = new Resource
                {
                    Attributes =
                    {
                        Str("service.name", services[s]),
                        Str("service.namespace", "shop"),
                        Str("service.version", "2.14.1"),
                        Str("service.instance.id", Guid.NewGuid().ToString()),
                        Str("deployment.environment.name", "production"),
                        Str("host.name", "node-" + random.Next(1, 40)),
                        Str("k8s.pod.name", services[s] + "-7d9f8b6c5d-" + random.Next(10000, 99999)),
                        Str("k8s.namespace.name", "shop"),
                        Str("telemetry.sdk.name", "opentelemetry"),
                        Str("telemetry.sdk.language", "dotnet"),
                        Str("telemetry.sdk.version", "1.20.1"),
                    },
                },
                SchemaUrl = "https://opentelemetry.io/schemas/1.30.0",
            };
            var http = new ScopeSpans { Scope = new InstrumentationScope { Name = "Microsoft.AspNetCore", Version = "10.0.0" } };
            var db = new ScopeSpans { Scope = new InstrumentationScope { Name = "Npgsql", Version = "9.0.3" } };
            var start = 1_764_057_600_000_000_000UL;
            for (var i = 0; i < perService; i++)
            {
                random.NextBytes(spanId);
                if (i % 8 == 0)
                {
                    random.NextBytes(traceId);
                    random.NextBytes(parentId);
                }

                start += (ulong)random.Next(10_000, 5_000_000);
                var span = new Span
                {
                    TraceId = ByteString.CopyFrom(traceId),
                    SpanId = ByteString.CopyFrom(spanId),
                    ParentSpanId = i % 8 == 0 ? ByteString.Empty : ByteString.CopyFrom(parentId),
                    Flags = 0x101,
                    StartTimeUnixNano = start,
                    EndTimeUnixNano = start + (ulong)random.Next(100_000, 90_000_000),
                };
                if (i % 3 == 2)
                {
                    span.Name = "SELECT shop.orders";
                    span.Kind = Span.Types.SpanKind.Client;
                    span.Attributes.Add(Str("db.system.name", "postgresql"));
                    span.Attributes.Add(Str("db.namespace", "shop"));
                    span.Attributes.Add(Str("db.operation.name", "SELECT"));
                    span.Attributes.Add(Str("db.collection.name", "orders"));
                    span.Attributes.Add(Str("db.query.text", "SELECT o.id, o.total, o.status FROM orders o WHERE o.customer_id = $1 AND o.created_at > $2 ORDER BY o.created_at DESC LIMIT 50"));
                    span.Attributes.Add(Str("server.address", "orders-db.shop.svc"));
                    span.Attributes.Add(Int("server.port", 5432));
                    db.Spans.Add(span);
                }
                else
                {
                    var status = random.Next(100) < 5 ? 500 : 200;
                    span.Name = "GET /api/orders/{id}";
                    span.Kind = Span.Types.SpanKind.Server;
                    span.Attributes.Add(Str("http.request.method", "GET"));
                    span.Attributes.Add(Str("http.route", "/api/orders/{id}"));
                    span.Attributes.Add(Str("url.path", "/api/orders/" + random.Next(1, 1_000_000)));
                    span.Attributes.Add(Str("url.scheme", "https"));
                    span.Attributes.Add(Int("http.response.status_code", status));
                    span.Attributes.Add(Str("server.address", services[s] + ".shop.example.com"));
                    span.Attributes.Add(Int("server.port", 443));
                    span.Attributes.Add(Str("network.protocol.version", "2"));
                    span.Attributes.Add(Str("client.address", "10.0." + random.Next(0, 255) + "." + random.Next(0, 255)));
                    span.Attributes.Add(Str("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"));
                    if (status == 500)
                    {
                        span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "Internal Server Error" };
                    }

                    http.Spans.Add(span);
                }

                if (i % 10 == 0)
                {
                    span.Events.Add(new Span.Types.Event
                    {
                        Name = "exception",
                        TimeUnixNano = span.StartTimeUnixNano + 50_000,
                        Attributes =
                        {
                            Str("exception.type", "System.TimeoutException"),
                            Str("exception.message", "The operation has timed out after 00:00:05."),
                            Str("exception.stacktrace", "System.TimeoutException: The operation has timed out.\n   at Shop.Orders.OrderRepository.GetAsync(Guid id, CancellationToken ct)\n   at Shop.Orders.OrdersApi.GetOrder(Guid id)"),
                        },
                    });
                }
            }

            resourceSpans.ScopeSpans.Add(http);
            resourceSpans.ScopeSpans.Add(db);
            request.ResourceSpans.Add(resourceSpans);
        }

        return request;
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };
}
