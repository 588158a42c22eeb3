using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class TempoApiTests(QueryApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EchoReadyAndBuildInfoAnswerAsTempoDoes()
    {
        var client = fixture.Client(null);

        Assert.Equal("echo", await client.GetStringAsync("/api/echo", Ct));
        Assert.Equal("ready", await client.GetStringAsync("/ready", Ct));
        var info = await client.GetJsonAsync("/api/status/buildinfo");
        foreach (var field in new[] { "version", "revision", "branch", "buildUser", "buildDate", "goVersion" })
        {
            Assert.Equal(JsonValueKind.String, info.GetProperty(field).ValueKind);
        }
    }

    [Fact]
    public async Task SearchReturnsTracesWithRootSpanSetsAndMetrics()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var start = (BaseTime / 1_000_000_000 - 60).ToString(CultureInfo.InvariantCulture);
        var end = (BaseTime / 1_000_000_000 + 60).ToString(CultureInfo.InvariantCulture);

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?tags={Uri.EscapeDataString("service.name=\"cart\" status=error")}&start={start}&end={end}&limit=5");

        var trace = Assert.Single(json.GetProperty("traces").EnumerateArray());
        Assert.Equal(Hex(TraceId(1)), trace.GetProperty("traceID").GetString());
        Assert.Equal("frontend", trace.GetProperty("rootServiceName").GetString());
        Assert.Equal("GET /api/cart", trace.GetProperty("rootTraceName").GetString());
        Assert.Equal(BaseTime.ToString(CultureInfo.InvariantCulture), trace.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal(100, trace.GetProperty("durationMs").GetInt64());
        var set = Assert.Single(trace.GetProperty("spanSets").EnumerateArray());
        Assert.Equal(1, set.GetProperty("matched").GetInt32());
        var span = Assert.Single(set.GetProperty("spans").EnumerateArray());
        Assert.Equal(Hex(SpanId(3)), span.GetProperty("spanID").GetString());
        Assert.Equal("POST /cart/add", span.GetProperty("name").GetString());
        Assert.Equal((BaseTime + 12_000_000).ToString(CultureInfo.InvariantCulture), span.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal("40000000", span.GetProperty("durationNanos").GetString());
        Assert.Contains(span.GetProperty("attributes").EnumerateArray(), a => a.GetProperty("key").GetString() == "app.user" && a.GetProperty("value").GetProperty("stringValue").GetString() == "alice");
        Assert.Equal(set.ToString(), trace.GetProperty("spanSet").ToString());
        var metrics = json.GetProperty("metrics");
        Assert.Equal(2, metrics.GetProperty("totalBlocks").GetInt32());
        Assert.True(metrics.GetProperty("inspectedBlocks").GetInt32() >= 1);
        Assert.True(long.Parse(metrics.GetProperty("inspectedBytes").GetString()!, CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task SearchFiltersByDurationAndSpanTags()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var window = $"start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 60}";
        var client = fixture.Client(tenant);

        var slow = await client.GetJsonAsync($"/api/search?minDuration=400ms&{window}");
        var route = await client.GetJsonAsync($"/api/search?tags={Uri.EscapeDataString("span.http.route=/")}&{window}");

        Assert.Equal([Hex(TraceId(3))], slow.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()).ToList());
        Assert.Equal([Hex(TraceId(2))], route.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()).ToList());
    }

    [Theory]
    // Trace 1 lasts 100 ms (its spans 100, 50 and 40 ms), trace 2 30 ms, trace 3 500 ms: the bounds are on the trace.
    [InlineData("maxDuration=60ms", new[] { 2 })]
    [InlineData("minDuration=90ms&maxDuration=200ms", new[] { 1 })]
    [InlineData("minDuration=90ms&tags=service.name%3Dcart", new[] { 1 })]
    [InlineData("minDuration=90ms&q=%7B%20resource.service.name%20%3D%20%22cart%22%20%7D", new[] { 1 })]
    public async Task MinAndMaxDurationBoundTheTracesDurationAsInTempo(string parameters, int[] traces)
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var window = $"start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 60}";

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?{parameters}&{window}");

        Assert.Equal([.. traces.Select(t => Hex(TraceId(t)))], json.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()).ToList());
    }

    [Theory]
    [InlineData("{}", new[] { 1, 2, 3 })]
    [InlineData("{ resource.service.name = \"cart\" && status = error }", new[] { 1 })]
    [InlineData("{ .app.user = \"bob\" && duration > 400ms }", new[] { 3 })]
    [InlineData("{ span.http.response.status_code = 200 && kind = server }", new[] { 1 })]
    [InlineData("{ name = \"GET /\" }", new[] { 2 })]
    [InlineData("{ duration >= 500ms && duration <= 500ms }", new[] { 3 })]
    [InlineData("{ span:name = \"Charge\" && .amount = 12.5 }", new[] { 3 })]
    public async Task SearchTakesTheTraceQlGrafanasSearchBuilderWrites(string traceQl, int[] traces)
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var window = $"start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 60}";

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={Uri.EscapeDataString(traceQl)}&{window}");

        Assert.Equal(
            traces.Select(t => Hex(TraceId(t))).Order(StringComparer.Ordinal),
            json.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()!).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("{ resource.service.name = \"payment\" } || { name = \"GET /\" }", new[] { 3, 2 })]
    [InlineData("{ .http.route = \"/\" || .http.route = \"/api/cart\" }", new[] { 2, 1 })]
    [InlineData("{ .app.user =~ \"al.*\" }", new[] { 1 })]
    [InlineData("{ status != error }", new[] { 3, 2, 1 })]
    [InlineData("{ rootServiceName = \"frontend\" }", new[] { 2, 1 })]
    [InlineData("{ resource.service.name = \"frontend\" } >> { status = error }", new[] { 1 })]
    [InlineData("{ } | count() > 2", new[] { 1 })]
    [InlineData("{ .a = 1 } || { .b = 2 }", new int[0])]
    public async Task SearchAnswersTraceQlBeyondWhatTheSearchBuilderWritesNewestFirst(string traceQl, int[] traces)
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var window = $"start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 60}";

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={Uri.EscapeDataString(traceQl)}&{window}");

        Assert.Equal(
            [.. traces.Select(t => Hex(TraceId(t)))],
            json.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("traceID").GetString()!).ToList());
    }

    [Theory]
    [InlineData("{ .a = }", "parse error at 1:8: expected a value after '='")]
    [InlineData("{ .a = \"open }", "parse error at 1:8: unterminated string")]
    [InlineData("{ foo = 1 }", "parse error at 1:3: unknown identifier 'foo'")]
    [InlineData("{ .a = 1 } | count()", "parse error at 1:14: count() must be compared with a value")]
    [InlineData("{ } | sum(status) > 1", "invalid query at 1:11: sum() needs a number or a duration")]
    [InlineData("{ .a =~ \"(\" }", "invalid query at 1:9: invalid regular expression")]
    public async Task InvalidTraceQlIsA400NamingThePositionAndWhatWasExpected(string traceQl, string message)
    {
        var json = await fixture.Client(null).GetJsonAsync($"/api/search?q={Uri.EscapeDataString(traceQl)}", HttpStatusCode.BadRequest);

        Assert.Contains(message, json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SpssLimitsTheSpansShownPerSetButNotTheMatchedCount()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var window = $"start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 60}";
        var q = Uri.EscapeDataString("{ resource.service.name = \"frontend\" || resource.service.name = \"cart\" }");

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={q}&spss=2&{window}");

        var sets = json.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("spanSets").EnumerateArray().Single()).ToList();
        Assert.Equal([(1, 1), (2, 3)], sets.Select(s => (s.GetProperty("spans").GetArrayLength(), s.GetProperty("matched").GetInt32())).ToList());
        // Trace 1's spans in trace order: the root, then the client call.
        Assert.Equal([Hex(SpanId(1)), Hex(SpanId(2))], sets[1].GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("spanID").GetString()).ToList());
    }

    [Fact]
    public async Task SelectedAttributesAppearOnTheMatchedSpans()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var window = $"start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 60}";
        var q = Uri.EscapeDataString("{ name = \"Charge\" } | select(resource.host.name, span:statusMessage, kind)");

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={q}&{window}");

        var span = json.GetProperty("traces").EnumerateArray().Single().GetProperty("spanSet").GetProperty("spans").EnumerateArray().Single();
        var attributes = span.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        Assert.Equal("payment-host", attributes["host.name"].GetProperty("stringValue").GetString());
        Assert.Equal("server", attributes["kind"].GetProperty("stringValue").GetString());
        Assert.Equal("bob", attributes["app.user"].GetProperty("stringValue").GetString());
    }

    [Fact]
    public async Task TagsAndTagValuesComeFromMetadata()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var tags = await client.GetJsonAsync("/api/search/tags");
        var values = await client.GetJsonAsync("/api/v2/search/tag/service.name/values");
        var names = await client.GetJsonAsync("/api/v2/search/tag/name/values");
        var v1 = await client.GetJsonAsync("/api/search/tag/resource.service.name/values");

        Assert.Contains("service.name", tags.GetProperty("tagNames").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(
            ["string:cart", "string:frontend", "string:payment"],
            values.GetProperty("tagValues").EnumerateArray().Select(v => v.GetProperty("type").GetString() + ":" + v.GetProperty("value").GetString()).ToList());
        Assert.Equal(["Charge", "GET /", "GET /api/cart", "POST /cart/add"], names.GetProperty("tagValues").EnumerateArray().Select(v => v.GetProperty("value").GetString()).ToList());
        Assert.Equal(["cart", "frontend", "payment"], v1.GetProperty("tagValues").EnumerateArray().Select(v => v.GetString()).ToList());
    }

    [Fact]
    public async Task TraceByIdServesTempoProtobufOnTheSharedRouteAndJsonOnItsOwnRoutes()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        var id = Hex(TraceId(1));

        using var protobufRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/traces/{id}");
        protobufRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var protobuf = await client.SendAsync(protobufRequest, Ct);
        using var v2Request = new HttpRequestMessage(HttpMethod.Get, $"/api/v2/traces/{id}");
        v2Request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/protobuf"));
        using var v2Protobuf = await client.SendAsync(v2Request, Ct);
        var v1Json = await client.GetJsonAsync($"/tempo/api/traces/{id}");
        var v2Json = await client.GetJsonAsync($"/api/v2/traces/{id}");

        Assert.Equal("application/protobuf", protobuf.Content.Headers.ContentType?.MediaType);
        var trace = TracesData.Parser.ParseFrom(await protobuf.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(3, trace.ResourceSpans.SelectMany(rs => rs.ScopeSpans).Sum(ss => ss.Spans.Count));
        // TraceByIDResponse: field 1 is the trace.
        var input = new CodedInputStream(await v2Protobuf.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(WireFormat.MakeTag(1, WireFormat.WireType.LengthDelimited), input.ReadTag());
        Assert.Equal(trace, TracesData.Parser.ParseFrom(input.ReadBytes()));
        Assert.Equal(3, v1Json.GetProperty("batches").EnumerateArray().SelectMany(b => b.GetProperty("scopeSpans").EnumerateArray()).Sum(ss => ss.GetProperty("spans").GetArrayLength()));
        Assert.Equal(3, v2Json.GetProperty("trace").GetProperty("resourceSpans").EnumerateArray().SelectMany(b => b.GetProperty("scopeSpans").EnumerateArray()).Sum(ss => ss.GetProperty("spans").GetArrayLength()));
    }

    [Theory]
    [InlineData("tags=service.name", "tags must be logfmt key=value pairs such as service.name=\"cart\" http.status_code=500, got 'service.name'")]
    [InlineData("start=soon", "start must be Unix time in seconds (a non-negative integer), got 'soon'")]
    [InlineData("q=%7B%20.a%20%3D%20%7D", "TraceQL (q): parse error at 1:8: expected a value after '=', found '}'")]
    [InlineData("limit=100000", "limit must be between 1 and 1000 (Query:MaxLimit), got 100000")]
    public async Task BadSearchParametersAre400s(string query, string message)
    {
        var json = await fixture.Client(null).GetJsonAsync($"/api/search?{query}", HttpStatusCode.BadRequest);

        Assert.Equal(message, json.GetProperty("error").GetString());
    }
}
