using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;
using static Query.Api.Tests.TestSpans;
using Code = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode;
using Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;

namespace Query.Api.Tests;

/// <summary>Jaeger v2's api_v3 over HTTP (jaeger's cmd/query/app/apiv3/http_gateway.go): OTLP JSON in <c>{"result":...}</c>.</summary>
public sealed class JaegerV3ApiTests(QueryApiFixture fixture)
{
    private static readonly string Min = Uri.EscapeDataString(DateTimeOffset.FromUnixTimeMilliseconds((long)(BaseTime / 1_000_000)).AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture));

    private static readonly string Max = Uri.EscapeDataString(DateTimeOffset.FromUnixTimeMilliseconds((long)(BaseTime / 1_000_000)).AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));

    private static string Window => $"query.startTimeMin={Min}&query.startTimeMax={Max}";

    /// <summary>Trace IDs in order of first appearance across resourceSpans.</summary>
    private static List<string?> TraceIds(JsonElement json) =>
    [
        .. json.GetProperty("result").GetProperty("resourceSpans").EnumerateArray()
            .SelectMany(rs => rs.GetProperty("scopeSpans").EnumerateArray())
            .SelectMany(ss => ss.GetProperty("spans").EnumerateArray())
            .Select(s => s.GetProperty("traceId").GetString())
            .Distinct(),
    ];

    private static List<string?> SpanIds(JsonElement json) =>
    [
        .. json.GetProperty("result").GetProperty("resourceSpans").EnumerateArray()
            .SelectMany(rs => rs.GetProperty("scopeSpans").EnumerateArray())
            .SelectMany(ss => ss.GetProperty("spans").EnumerateArray())
            .Select(s => s.GetProperty("spanId").GetString())
            .Order(StringComparer.Ordinal),
    ];

    [Fact]
    public async Task ServicesAndOperationsHaveApiV3Shapes()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        await fixture.WriteBlockAsync(tenant, [Request("frontend", Span(30, 30, null, "cache lookup", 0, 1, Kind.Unspecified))]);
        var client = fixture.Client(tenant);

        var services = await client.GetJsonAsync("/api/v3/services");
        var all = await client.GetJsonAsync("/api/v3/operations?service=frontend");
        var clients = await client.GetJsonAsync("/api/v3/operations?service=frontend&spanKind=client");
        var servers = await client.GetJsonAsync("/api/v3/operations?service=frontend&span_kind=SERVER");
        var none = await client.GetJsonAsync("/api/v3/operations?service=nobody");

        Assert.Equal(["cart", "frontend", "payment"], services.GetProperty("services").EnumerateArray().Select(s => s.GetString()).ToList());
        static List<string> Operations(JsonElement json) =>
            [.. json.GetProperty("operations").EnumerateArray().Select(o => o.GetProperty("name").GetString() + ":" + o.GetProperty("spanKind").GetString())];
        Assert.Equal(["GET /:server", "GET /api/cart:server", "POST /cart/add:client", "cache lookup:internal"], Operations(all).Order(StringComparer.Ordinal));
        Assert.Equal(["POST /cart/add:client"], Operations(clients));
        Assert.Equal(["GET /:server", "GET /api/cart:server"], Operations(servers).Order(StringComparer.Ordinal));
        Assert.Empty(Operations(none));
    }

    [Fact]
    public async Task FindTracesReturnsWholeTracesAsOtlpJsonNewestFirst()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var byService = await client.GetJsonAsync($"/api/v3/traces?query.serviceName=cart&{Window}");
        var snakeCase = await client.GetJsonAsync($"/api/v3/traces?query.service_name=frontend&query.start_time_min={Min}&query.start_time_max={Max}");
        var depth = await client.GetJsonAsync($"/api/v3/traces?query.serviceName=frontend&query.searchDepth=1&{Window}");
        var operation = await client.GetJsonAsync($"/api/v3/traces?query.service_name=frontend&query.operationName=GET%20%2F&{Window}");
        var attributes = await client.GetJsonAsync($"/api/v3/traces?query.attributes={Uri.EscapeDataString("{\"app.user\":\"bob\"}")}&{Window}");
        var errors = await client.GetJsonAsync($"/api/v3/traces?query.attributes={Uri.EscapeDataString("{\"error\":\"true\"}")}&query.raw_traces=true&{Window}");
        var durations = await client.GetJsonAsync($"/api/v3/traces?query.durationMin=400ms&query.duration_max=1s&query.num_traces=5&{Window}");

        Assert.Equal([Hex(TraceId(1))], TraceIds(byService));
        Assert.Equal([Hex(SpanId(1)), Hex(SpanId(2)), Hex(SpanId(3))], SpanIds(byService)); // The whole trace, each span once.
        var resources = byService.GetProperty("result").GetProperty("resourceSpans").EnumerateArray().ToList();
        Assert.Equal(
            ["cart", "frontend"],
            resources.Select(r => r.GetProperty("resource").GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("key").GetString() == "service.name").GetProperty("value").GetProperty("stringValue").GetString()).Order(StringComparer.Ordinal));
        var span = resources.SelectMany(r => r.GetProperty("scopeSpans").EnumerateArray()).SelectMany(s => s.GetProperty("spans").EnumerateArray())
            .Single(s => s.GetProperty("spanId").GetString() == Hex(SpanId(3)));
        Assert.Equal(Hex(SpanId(2)), span.GetProperty("parentSpanId").GetString());
        Assert.Equal("POST /cart/add", span.GetProperty("name").GetString());
        Assert.Equal((BaseTime + 12_000_000).ToString(CultureInfo.InvariantCulture), span.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal(2, span.GetProperty("status").GetProperty("code").GetInt32());
        Assert.Equal([Hex(TraceId(2)), Hex(TraceId(1))], TraceIds(snakeCase));
        Assert.Equal([Hex(TraceId(2))], TraceIds(depth));
        Assert.Equal([Hex(TraceId(2))], TraceIds(operation));
        Assert.Equal([Hex(TraceId(3))], TraceIds(attributes));
        Assert.Equal([Hex(TraceId(1))], TraceIds(errors));
        Assert.Equal([Hex(TraceId(3))], TraceIds(durations));
    }

    [Fact]
    public async Task StartTimeMaxIsExclusive()
    {
        var tenant = QueryApiFixture.NewTenant();
        await fixture.WriteBlockAsync(tenant, [Request("clock", Span(40, 40, null, "tick", 0, 1, Kind.Internal, Code.Unset))]);
        var at = DateTimeOffset.UnixEpoch.AddTicks((long)(BaseTime / 100));
        var client = fixture.Client(tenant);
        string Rfc3339(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "Z");

        var endingAtTheSpan = await client.GetJsonAsync($"/api/v3/traces?query.serviceName=clock&query.startTimeMin={Rfc3339(at.AddMinutes(-1))}&query.startTimeMax={Rfc3339(at)}", HttpStatusCode.NotFound);
        var startingAtTheSpan = await client.GetJsonAsync($"/api/v3/traces?query.serviceName=clock&query.startTimeMin={Rfc3339(at)}&query.startTimeMax={Rfc3339(at.AddTicks(1))}");

        Assert.Equal("No traces found", endingAtTheSpan.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal([Hex(TraceId(40))], TraceIds(startingAtTheSpan));
    }

    [Fact]
    public async Task NothingFoundIsA404InTheGatewayErrorShape()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var search = await client.GetJsonAsync($"/api/v3/traces?query.serviceName=nobody&{Window}", HttpStatusCode.NotFound);
        var trace = await client.GetJsonAsync($"/api/v3/traces/{Hex(TraceId(999))}", HttpStatusCode.NotFound);

        foreach (var json in new[] { search, trace })
        {
            Assert.Equal(404, json.GetProperty("error").GetProperty("httpCode").GetInt32());
            Assert.Equal("No traces found", json.GetProperty("error").GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task GetTraceReturnsTheTraceAndItsTimeWindowLimitsTheBlocksRead()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var whole = await client.GetJsonAsync($"/api/v3/traces/{Hex(TraceId(1))}");
        var inWindow = await client.GetJsonAsync($"/api/v3/traces/{Hex(TraceId(1))}?startTime={Min}&endTime={Max}&rawTraces=true");
        var snakeWindow = await client.GetJsonAsync($"/api/v3/traces/{Hex(TraceId(1))}?start_time={Min}&end_time={Max}&raw_traces=false");
        var before = await client.GetJsonAsync($"/api/v3/traces/{Hex(TraceId(1))}?startTime=2000-01-01T00:00:00Z&endTime=2000-01-02T00:00:00Z", HttpStatusCode.NotFound);

        Assert.Equal([Hex(SpanId(1)), Hex(SpanId(2)), Hex(SpanId(3))], SpanIds(whole));
        Assert.Equal(SpanIds(whole), SpanIds(inWindow));
        Assert.Equal(SpanIds(whole), SpanIds(snakeWindow));
        Assert.Equal(404, before.GetProperty("error").GetProperty("httpCode").GetInt32());
    }

    [Fact]
    public async Task AShortTraceIdIsPaddedAsJaegerDoes()
    {
        var tenant = QueryApiFixture.NewTenant();
        var id = new byte[16];
        id[15] = 0x2a;
        var span = Span(1, 1, null, "short", 0, 1);
        span.TraceId = Google.Protobuf.ByteString.CopyFrom(id);
        await fixture.WriteBlockAsync(tenant, [Request("svc", span)]);

        var json = await fixture.Client(tenant).GetJsonAsync("/api/v3/traces/2a");

        Assert.Equal([Hex(id)], TraceIds(json));
    }

    [Theory]
    [InlineData("/api/v3/traces?query.serviceName=a", "query.startTimeMin and query.startTimeMax are required, as RFC 3339 times such as 2026-11-25T09:00:00Z")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z", "query.startTimeMin and query.startTimeMax are required, as RFC 3339 times such as 2026-11-25T09:00:00Z")]
    [InlineData("/api/v3/traces?query.startTimeMin=yesterday&query.startTimeMax=2026-01-01T00:00:00Z", "query.startTimeMin must be an RFC 3339 time such as 2026-11-25T09:00:00Z or 2026-11-25T09:00:00.123456789+01:00, got 'yesterday'")]
    [InlineData("/api/v3/traces?query.start_time_min=2026-01-01T00:00:00Z&query.start_time_max=2026-13-01T00:00:00Z", "query.start_time_max must be an RFC 3339 time such as 2026-11-25T09:00:00Z or 2026-11-25T09:00:00.123456789+01:00, got '2026-13-01T00:00:00Z'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01&query.startTimeMax=2026-01-02T00:00:00Z", "query.startTimeMin must be an RFC 3339 time such as 2026-11-25T09:00:00Z or 2026-11-25T09:00:00.123456789+01:00, got '2026-01-01'")]
    [InlineData("/api/v3/traces?query.startTimeMin=1969-12-31T00:00:00Z&query.startTimeMax=1970-01-01T00:00:01Z", "query.startTimeMin must not be before 1970-01-01T00:00:00Z, got '1969-12-31T00:00:00Z'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-02T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z", "query.startTimeMin must be before query.startTimeMax")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-31T00:00:00Z", "the time range from query.startTimeMin to query.startTimeMax is 30.00:00:00, wider than the maximum of 7.00:00:00 (Query:MaxSearchRange): narrow it")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.searchDepth=0", "query.searchDepth must be an integer between 1 and 1000 (Query:MaxLimit), got '0'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.search_depth=abc", "query.search_depth must be an integer between 1 and 1000 (Query:MaxLimit), got 'abc'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.num_traces=5000", "query.num_traces must be an integer between 1 and 1000 (Query:MaxLimit), got '5000'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.durationMin=100", "query.durationMin must have a unit (ns, us, ms, s, m or h), for example 100ms, got '100'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.duration_max=fast", "query.duration_max must be a duration such as 1.5ms, 250us, 2s or 1m30s, got 'fast'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.durationMin=2s&query.durationMax=1s", "query.durationMax must not be less than query.durationMin")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.rawTraces=maybe", "query.rawTraces must be true or false, got 'maybe'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.raw_traces=2", "query.raw_traces must be true or false, got '2'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.attributes=notjson", "query.attributes must be a JSON object such as {\"http.route\":\"/api/cart\"}, got 'notjson'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.attributes=%7B%22error%22%3A%22maybe%22%7D", "the error tag in query.attributes must be true or false, got 'maybe'")]
    [InlineData("/api/v3/traces?query.startTimeMin=2026-01-01T00:00:00Z&query.startTimeMax=2026-01-02T00:00:00Z&query.filter=%7B%22op%22%3A%22eq%22%7D", "query.filter (Jaeger's experimental structured filter, off by default in Jaeger) is not supported: use query.attributes, or TraceQL on /api/search")]
    [InlineData("/api/v3/traces/xyz", "trace_id must be 32 hex characters (0-9, a-f), got '00000000000000000000000000000xyz'")]
    [InlineData("/api/v3/traces/ab000000000000000000000000000000001", "trace_id must be 32 hex characters, got 35")]
    [InlineData("/api/v3/traces/2a?startTime=soon", "startTime must be an RFC 3339 time such as 2026-11-25T09:00:00Z or 2026-11-25T09:00:00.123456789+01:00, got 'soon'")]
    [InlineData("/api/v3/traces/2a?end_time=soon", "end_time must be an RFC 3339 time such as 2026-11-25T09:00:00Z or 2026-11-25T09:00:00.123456789+01:00, got 'soon'")]
    [InlineData("/api/v3/traces/2a?startTime=2026-01-02T00:00:00Z&endTime=2026-01-01T00:00:00Z", "startTime must not be after endTime")]
    [InlineData("/api/v3/traces/2a?rawTraces=yes", "rawTraces must be true or false, got 'yes'")]
    [InlineData("/api/v3/traces/2a?raw_traces=yes", "raw_traces must be true or false, got 'yes'")]
    [InlineData("/api/v3/operations", "service is required, for example /api/v3/operations?service=frontend")]
    [InlineData("/api/v3/operations?service=a&spanKind=sideways", "spanKind must be one of server, client, producer, consumer, internal, got 'sideways'")]
    [InlineData("/api/v3/operations?service=a&span_kind=sideways", "span_kind must be one of server, client, producer, consumer, internal, got 'sideways'")]
    public async Task EveryBadParameterIsA400InTheGatewayErrorShapeNamingIt(string url, string message)
    {
        var json = await fixture.Client(null).GetJsonAsync(url, HttpStatusCode.BadRequest);

        Assert.Equal(400, json.GetProperty("error").GetProperty("httpCode").GetInt32());
        Assert.Equal(message, json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task TheOpenApiDocumentListsEveryJaegerParameter()
    {
        var json = await fixture.Client(null).GetJsonAsync("/openapi/v1.json");
        var paths = json.GetProperty("paths");
        List<string?> Parameters(string path) =>
            [.. paths.GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString())];

        Assert.Equal(
            [
                "query.serviceName", "query.service_name", "query.operationName", "query.operation_name", "query.attributes",
                "query.startTimeMin", "query.start_time_min", "query.startTimeMax", "query.start_time_max", "query.durationMin", "query.duration_min",
                "query.durationMax", "query.duration_max", "query.searchDepth", "query.search_depth", "query.num_traces", "query.rawTraces",
                "query.raw_traces", "query.filter",
            ],
            Parameters("/api/v3/traces"));
        Assert.Equal(["trace_id", "startTime", "start_time", "endTime", "end_time", "rawTraces", "raw_traces"], Parameters("/api/v3/traces/{trace_id}"));
        Assert.Equal(["service", "spanKind", "span_kind"], Parameters("/api/v3/operations"));
        Assert.Equal(
            ["service", "operation", "tags", "tag", "start", "end", "lookback", "minDuration", "maxDuration", "limit", "traceID"],
            Parameters("/api/traces"));
        Assert.All(
            new[] { "/api/v3/traces", "/api/v3/traces/{trace_id}", "/api/v3/operations", "/api/traces" }
                .SelectMany(path => paths.GetProperty(path).GetProperty("get").GetProperty("parameters").EnumerateArray()),
            p => Assert.False(string.IsNullOrEmpty(p.GetProperty("description").GetString()), p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task SearchTracesComeNewestFirstByTraceStartEvenWhenAnOlderTraceHasTheNewestSpan()
    {
        var tenant = await JaegerSearchTests.SeedLateSpansAsync(fixture);
        var client = fixture.Client(tenant);

        var all = await client.GetJsonAsync($"/api/v3/traces?query.serviceName=a&{Window}");
        var again = await client.GetJsonAsync($"/api/v3/traces?query.serviceName=a&{Window}");

        Assert.Equal([Hex(TraceId(22)), Hex(TraceId(24)), Hex(TraceId(23)), Hex(TraceId(21))], TraceIds(all));
        Assert.Equal(all.ToString(), again.ToString());
    }
}
