using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class JaegerApiTests(QueryApiFixture fixture)
{
    private static void AssertEnvelope(JsonElement json, int total)
    {
        Assert.Equal(total, json.GetProperty("total").GetInt32());
        Assert.Equal(0, json.GetProperty("limit").GetInt32());
        Assert.Equal(0, json.GetProperty("offset").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("errors").ValueKind);
    }

    private static List<string?> TraceIds(JsonElement json) => [.. json.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("traceID").GetString())];

    [Fact]
    public async Task ServicesAndOperationsUseJaegersEnvelope()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var services = await client.GetJsonAsync("/api/services");
        var operations = await client.GetJsonAsync("/api/services/frontend/operations");
        var withKinds = await client.GetJsonAsync("/api/operations?service=frontend&spanKind=server");

        AssertEnvelope(services, 3);
        Assert.Equal(["cart", "frontend", "payment"], services.GetProperty("data").EnumerateArray().Select(e => e.GetString()).ToList());
        AssertEnvelope(operations, 3);
        Assert.Equal(["GET /", "GET /api/cart", "POST /cart/add"], operations.GetProperty("data").EnumerateArray().Select(e => e.GetString()).ToList());
        AssertEnvelope(withKinds, 2);
        Assert.Equal(
            ["GET /:server", "GET /api/cart:server"],
            withKinds.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("name").GetString() + ":" + e.GetProperty("spanKind").GetString()).ToList());
    }

    [Fact]
    public async Task TraceByIdHasJaegersShapeFieldByField()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/traces/{Hex(TraceId(1))}");

        AssertEnvelope(json, 1);
        var trace = json.GetProperty("data")[0];
        Assert.Equal(Hex(TraceId(1)), trace.GetProperty("traceID").GetString());
        Assert.Equal(JsonValueKind.Null, trace.GetProperty("warnings").ValueKind);
        var spans = trace.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(3, spans.Count);
        var processes = trace.GetProperty("processes");
        Assert.Equal(["p1", "p2"], processes.EnumerateObject().Select(p => p.Name).ToList());

        var cart = spans.Single(s => s.GetProperty("spanID").GetString() == Hex(SpanId(3)));
        Assert.Equal(Hex(TraceId(1)), cart.GetProperty("traceID").GetString());
        Assert.Equal("POST /cart/add", cart.GetProperty("operationName").GetString());
        var reference = Assert.Single(cart.GetProperty("references").EnumerateArray());
        Assert.Equal("CHILD_OF", reference.GetProperty("refType").GetString());
        Assert.Equal(Hex(TraceId(1)), reference.GetProperty("traceID").GetString());
        Assert.Equal(Hex(SpanId(2)), reference.GetProperty("spanID").GetString());
        Assert.Equal(1, cart.GetProperty("flags").GetInt32());
        Assert.Equal(BaseTime / 1000 + 12_000, cart.GetProperty("startTime").GetUInt64());
        Assert.Equal(40_000UL, cart.GetProperty("duration").GetUInt64());
        Assert.Empty(cart.GetProperty("logs").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, cart.GetProperty("warnings").ValueKind);
        var tags = cart.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => (Type: t.GetProperty("type").GetString(), Value: t.GetProperty("value")));
        Assert.Equal(("string", "/cart/add"), (tags["http.route"].Type, tags["http.route"].Value.GetString()));
        Assert.Equal(("string", "server"), (tags["span.kind"].Type, tags["span.kind"].Value.GetString()));
        Assert.Equal(("string", "ERROR"), (tags["otel.status_code"].Type, tags["otel.status_code"].Value.GetString()));
        Assert.Equal(("bool", true), (tags["error"].Type, tags["error"].Value.GetBoolean()));
        Assert.Equal(("string", "boom"), (tags["otel.status_description"].Type, tags["otel.status_description"].Value.GetString()));
        Assert.Equal(("string", "test-scope"), (tags["otel.scope.name"].Type, tags["otel.scope.name"].Value.GetString()));
        Assert.Equal(("string", "1.0.0"), (tags["otel.scope.version"].Type, tags["otel.scope.version"].Value.GetString()));

        var process = processes.GetProperty(cart.GetProperty("processID").GetString()!);
        Assert.Equal("cart", process.GetProperty("serviceName").GetString());
        var host = Assert.Single(process.GetProperty("tags").EnumerateArray());
        Assert.Equal("host.name", host.GetProperty("key").GetString());
        Assert.Equal("string", host.GetProperty("type").GetString());
        Assert.Equal("cart-host", host.GetProperty("value").GetString());

        var root = spans.Single(s => s.GetProperty("spanID").GetString() == Hex(SpanId(1)));
        Assert.Empty(root.GetProperty("references").EnumerateArray());
        var status = root.GetProperty("tags").EnumerateArray().Single(t => t.GetProperty("key").GetString() == "http.response.status_code");
        Assert.Equal("int64", status.GetProperty("type").GetString());
        Assert.Equal(200, status.GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task FloatTagsEventsAndLinksFollowTheTranslator()
    {
        var tenant = QueryApiFixture.NewTenant();
        var span = Span(7, 70, null, "consume", 0, 10, OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Consumer, OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode.Ok, ("ratio", 0.25));
        span.Events.Add(new OpenTelemetry.Proto.Trace.V1.Span.Types.Event { Name = "retry", TimeUnixNano = span.StartTimeUnixNano + 5000, Attributes = { Attribute("attempt", 2) } });
        span.Links.Add(new OpenTelemetry.Proto.Trace.V1.Span.Types.Link { TraceId = Google.Protobuf.ByteString.CopyFrom(TraceId(8)), SpanId = Google.Protobuf.ByteString.CopyFrom(SpanId(80)) });
        await fixture.WriteBlockAsync(tenant, [Request("worker", span)]);

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/traces/{Hex(TraceId(7))}");

        var s = json.GetProperty("data")[0].GetProperty("spans")[0];
        var link = Assert.Single(s.GetProperty("references").EnumerateArray());
        Assert.Equal(("FOLLOWS_FROM", Hex(TraceId(8)), Hex(SpanId(80))), (link.GetProperty("refType").GetString(), link.GetProperty("traceID").GetString(), link.GetProperty("spanID").GetString()));
        var log = Assert.Single(s.GetProperty("logs").EnumerateArray());
        Assert.Equal(span.StartTimeUnixNano / 1000 + 5, log.GetProperty("timestamp").GetUInt64());
        Assert.Equal(
            ["event:string:retry", "attempt:int64:2"],
            log.GetProperty("fields").EnumerateArray().Select(f => $"{f.GetProperty("key").GetString()}:{f.GetProperty("type").GetString()}:{f.GetProperty("value")}").ToList());
        var tags = s.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!);
        Assert.Equal("float64", tags["ratio"].GetProperty("type").GetString());
        Assert.Equal(0.25, tags["ratio"].GetProperty("value").GetDouble());
        Assert.Equal("OK", tags["otel.status_code"].GetProperty("value").GetString());
        Assert.Equal("consumer", tags["span.kind"].GetProperty("value").GetString());
        Assert.False(tags.ContainsKey("error"));
    }

    [Fact]
    public async Task SearchFindsWholeTracesByServiceTagsAndDurations()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        var start = (BaseTime / 1000 - 60_000_000).ToString(CultureInfo.InvariantCulture);
        var end = (BaseTime / 1000 + 60_000_000).ToString(CultureInfo.InvariantCulture);

        var byService = await client.GetJsonAsync($"/api/traces?service=cart&start={start}&end={end}&limit=20");
        var byTagsJson = await client.GetJsonAsync($"/api/traces?service=frontend&tags={Uri.EscapeDataString("{\"http.route\":\"/\"}")}&start={start}&end={end}");
        var byTagParam = await client.GetJsonAsync($"/api/traces?service=payment&tag=app.user:bob&minDuration=0.4s&maxDuration=1s&start={start}&end={end}");
        var errors = await client.GetJsonAsync($"/api/traces?service=cart&tags={Uri.EscapeDataString("{\"error\":\"true\"}")}&start={start}&end={end}");
        var noErrors = await client.GetJsonAsync($"/api/traces?service=payment&tags={Uri.EscapeDataString("{\"error\":\"true\"}")}&start={start}&end={end}");
        var tooShort = await client.GetJsonAsync($"/api/traces?service=payment&maxDuration=100ms&start={start}&end={end}");

        AssertEnvelope(byService, 1);
        var trace = byService.GetProperty("data")[0];
        Assert.Equal(Hex(TraceId(1)), trace.GetProperty("traceID").GetString());
        Assert.Equal(3, trace.GetProperty("spans").GetArrayLength()); // The whole trace, not only the matching span.
        Assert.Equal([Hex(TraceId(2))], byTagsJson.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()).ToList());
        Assert.Equal([Hex(TraceId(3))], byTagParam.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()).ToList());
        Assert.Equal([Hex(TraceId(1))], errors.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()).ToList());
        AssertEnvelope(noErrors, 0);
        AssertEnvelope(tooShort, 0);
    }

    [Fact]
    public async Task SearchTracesAreNewestFirstAndLimited()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var all = await fixture.Client(tenant).GetJsonAsync("/api/traces?service=frontend&lookback=2h");
        var limited = await fixture.Client(tenant).GetJsonAsync("/api/traces?service=frontend&limit=1&lookback=2h");

        Assert.Equal([Hex(TraceId(2)), Hex(TraceId(1))], TraceIds(all));
        Assert.Equal([Hex(TraceId(2))], TraceIds(limited));
    }

    [Fact]
    public async Task DependenciesComeFromBlockMetadata()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var endTs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/dependencies?endTs={endTs}&lookback=7200000");

        var edge = Assert.Single(json.GetProperty("data").EnumerateArray());
        Assert.Equal("frontend", edge.GetProperty("parent").GetString());
        Assert.Equal("cart", edge.GetProperty("child").GetString());
        Assert.True(edge.GetProperty("callCount").GetInt64() >= 1);
    }

    [Fact]
    public async Task ShortTraceIdsArePaddedWithLeadingZerosAsJaegerDoes()
    {
        var tenant = QueryApiFixture.NewTenant();
        var id = new byte[16];
        id[15] = 0x2a;
        var span = Span(1, 1, null, "short", 0, 1);
        span.TraceId = Google.Protobuf.ByteString.CopyFrom(id);
        await fixture.WriteBlockAsync(tenant, [Request("svc", span)]);

        var json = await fixture.Client(tenant).GetJsonAsync("/api/traces/2a");

        Assert.Equal(Hex(id), json.GetProperty("data")[0].GetProperty("traceID").GetString());
    }

    [Fact]
    public async Task ErrorsUseTheEnvelopeWithCodeAndMessage()
    {
        var client = fixture.Client(null);

        var notFound = await client.GetJsonAsync($"/api/traces/{Hex(TraceId(12345))}", HttpStatusCode.NotFound);
        var badId = await client.GetJsonAsync("/api/traces/xyz", HttpStatusCode.BadRequest);
        var tooLong = await client.GetJsonAsync($"/api/traces/{Hex(TraceId(1))}00", HttpStatusCode.BadRequest);
        var badDuration = await client.GetJsonAsync("/api/traces?service=a&minDuration=fast", HttpStatusCode.BadRequest);
        var badTags = await client.GetJsonAsync("/api/traces?service=a&tags=notjson", HttpStatusCode.BadRequest);
        var badStart = await client.GetJsonAsync("/api/traces?service=a&start=-5", HttpStatusCode.BadRequest);

        Assert.Equal(JsonValueKind.Null, notFound.GetProperty("data").ValueKind);
        Assert.Equal(404, notFound.GetProperty("errors")[0].GetProperty("code").GetInt32());
        Assert.Equal("trace not found", notFound.GetProperty("errors")[0].GetProperty("msg").GetString());
        Assert.Equal("traceId must be 32 hex characters (0-9, a-f), got '00000000000000000000000000000xyz'", badId.GetProperty("errors")[0].GetProperty("msg").GetString());
        Assert.Equal("traceId must be 32 hex characters, got 34", tooLong.GetProperty("errors")[0].GetProperty("msg").GetString());
        Assert.Equal("minDuration must be a duration such as 1.5ms, 250us, 2s or 1m30s, got 'fast'", badDuration.GetProperty("errors")[0].GetProperty("msg").GetString());
        Assert.StartsWith("tags must be a JSON object", badTags.GetProperty("errors")[0].GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal("start must be Unix time in microseconds (a non-negative integer), got '-5'", badStart.GetProperty("errors")[0].GetProperty("msg").GetString());
    }
}
