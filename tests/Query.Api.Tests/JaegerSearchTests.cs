using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;
using static Query.Api.Tests.TestSpans;
using Code = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode;
using Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;

namespace Query.Api.Tests;

/// <summary>Jaeger's <c>/api/traces</c> as jaeger's query_parser.go reads it: traceID, tags, durations, times and their errors.</summary>
public sealed class JaegerSearchTests(QueryApiFixture fixture)
{
    private static readonly string Window =
        $"start={(BaseTime / 1000 - 60_000_000).ToString(CultureInfo.InvariantCulture)}&end={(BaseTime / 1000 + 60_000_000).ToString(CultureInfo.InvariantCulture)}";

    private static List<string?> TraceIds(JsonElement json) => [.. json.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("traceID").GetString())];

    private static string Tags(string json) => Uri.EscapeDataString(json);

    [Fact]
    public async Task TraceIdsReturnExactlyThoseTracesInTheOrderAskedWithAnErrorEntryForEachMissingOne()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var missing = Hex(TraceId(999));

        // Jaeger UI's compare view; the other filters would match nothing, but traceID wins over them.
        var json = await fixture.Client(tenant).GetJsonAsync(
            $"/api/traces?traceID={Hex(TraceId(3))}&traceID={missing}&traceID={Hex(TraceId(1))}&service=nope&limit=1&tag=k:v");

        Assert.Equal([Hex(TraceId(3)), Hex(TraceId(1))], TraceIds(json));
        Assert.Equal(3, json.GetProperty("data")[1].GetProperty("spans").GetArrayLength());
        var error = Assert.Single(json.GetProperty("errors").EnumerateArray());
        Assert.Equal("trace not found", error.GetProperty("msg").GetString());
        Assert.Equal(missing, error.GetProperty("traceID").GetString());
        Assert.False(error.TryGetProperty("code", out _)); // Jaeger's per-trace entries carry no code.
    }

    [Fact]
    public async Task TraceIdsAreShortOrLongAndRepeatAsAsked()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var id = new byte[16];
        id[15] = 0x2a;
        var span = Span(1, 1, null, "short", 0, 1);
        span.TraceId = Google.Protobuf.ByteString.CopyFrom(id);
        await fixture.WriteBlockAsync(tenant, [Request("svc", span)]);

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/traces?traceID=2a&traceID={Hex(TraceId(2)).ToUpperInvariant()}&traceID=2a");

        Assert.Equal([Hex(id), Hex(TraceId(2)), Hex(id)], TraceIds(json));
        Assert.Equal(JsonValueKind.Null, json.GetProperty("errors").ValueKind);
    }

    [Fact]
    public async Task WithoutServiceOrTraceIdTheSearchIsA400AsInJaeger()
    {
        var json = await fixture.Client(null).GetJsonAsync("/api/traces?tags=" + Tags("{\"error\":\"true\"}"), HttpStatusCode.BadRequest);

        var error = Assert.Single(json.GetProperty("errors").EnumerateArray());
        Assert.Equal(400, error.GetProperty("code").GetInt32());
        Assert.Equal("parameter 'service' is required", error.GetProperty("msg").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("data").ValueKind);
    }

    [Fact]
    public async Task TagValuesMayHoldColonsAndTheLastValueOfAKeyWinsWithTagsAfterTag()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        await fixture.WriteBlockAsync(tenant, [Request("edge", Span(20, 20, null, "proxy", 50, 5, Kind.Client, Code.Unset, ("http.url", "http://cart:8080/a?b=c")))]);
        var client = fixture.Client(tenant);

        var colons = await client.GetJsonAsync($"/api/traces?service=edge&tag={Uri.EscapeDataString("http.url:http://cart:8080/a?b=c")}&{Window}");
        var lastTag = await client.GetJsonAsync($"/api/traces?service=payment&tag=app.user:alice&tag=app.user:bob&{Window}");
        var tagsOverTag = await client.GetJsonAsync($"/api/traces?service=cart&tag=app.user:bob&tags={Tags("{\"app.user\":\"alice\"}")}&{Window}");
        var twoTagsParameters = await client.GetJsonAsync($"/api/traces?service=cart&tags={Tags("{\"http.route\":\"/cart/add\"}")}&tags={Tags("{\"app.user\":\"alice\"}")}&{Window}");
        var twoTagsNoSpan = await client.GetJsonAsync($"/api/traces?service=cart&tags={Tags("{\"http.route\":\"/cart/add\"}")}&tags={Tags("{\"app.user\":\"bob\"}")}&{Window}");

        Assert.Equal([Hex(TraceId(20))], TraceIds(colons));
        Assert.Equal([Hex(TraceId(3))], TraceIds(lastTag));
        Assert.Equal([Hex(TraceId(1))], TraceIds(tagsOverTag));
        Assert.Equal([Hex(TraceId(1))], TraceIds(twoTagsParameters));
        Assert.Empty(TraceIds(twoTagsNoSpan)); // Every tag must hold on the same span.
    }

    [Fact]
    public async Task ErrorSpanKindAndStatusTagsFilterOnTheSpanFieldsTheyStandFor()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var errorTrue = await client.GetJsonAsync($"/api/traces?service=cart&tag=error:true&{Window}");
        var errorTrueFrontend = await client.GetJsonAsync($"/api/traces?service=frontend&tags={Tags("{\"error\":\"true\"}")}&{Window}");
        var errorFalse = await client.GetJsonAsync($"/api/traces?service=frontend&tag=error:false&{Window}");
        var client1 = await client.GetJsonAsync($"/api/traces?service=frontend&tag=span.kind:client&{Window}");
        var server = await client.GetJsonAsync($"/api/traces?service=frontend&tags={Tags("{\"span.kind\":\"SERVER\"}")}&{Window}");
        var otelStatus = await client.GetJsonAsync($"/api/traces?service=frontend&tag=otel.status_code:OK&{Window}");
        var spanStatus = await client.GetJsonAsync($"/api/traces?service=cart&tag=span.status:error&{Window}");
        var resource = await client.GetJsonAsync($"/api/traces?service=payment&tag=resource.host.name:payment-host&{Window}");
        var literalStatus = await client.GetJsonAsync($"/api/traces?service=frontend&tag=status:200&{Window}");

        Assert.Equal([Hex(TraceId(1))], TraceIds(errorTrue));
        Assert.Empty(TraceIds(errorTrueFrontend));
        Assert.Equal([Hex(TraceId(2))], TraceIds(errorFalse)); // Jaeger v2: error=false is status OK.
        Assert.Equal([Hex(TraceId(1))], TraceIds(client1));
        Assert.Equal([Hex(TraceId(2)), Hex(TraceId(1))], TraceIds(server));
        Assert.Equal([Hex(TraceId(2))], TraceIds(otelStatus));
        Assert.Equal([Hex(TraceId(1))], TraceIds(spanStatus));
        Assert.Equal([Hex(TraceId(3))], TraceIds(resource));
        Assert.Empty(TraceIds(literalStatus)); // An ordinary attribute for Jaeger, not the status field.
    }

    [Fact]
    public async Task DurationsTakeGoUnitsAndZeroMeansNoBound()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var inMicroseconds = await client.GetJsonAsync($"/api/traces?service=payment&minDuration=400000us&{Window}");
        var zeroMax = await client.GetJsonAsync($"/api/traces?service=payment&minDuration=0.4s&maxDuration=0&{Window}");
        var compound = await client.GetJsonAsync($"/api/traces?service=payment&maxDuration=1m30s&minDuration=1m&{Window}");

        Assert.Equal([Hex(TraceId(3))], TraceIds(inMicroseconds));
        Assert.Equal([Hex(TraceId(3))], TraceIds(zeroMax));
        Assert.Empty(TraceIds(compound));
    }

    [Fact]
    public async Task StartAndEndAreMicrosecondsAndBoundTheSpanStart()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        var micros = BaseTime / 1000;

        // Trace 2's frontend span starts at +200 ms, trace 1's at +0 and +10 ms.
        var late = await client.GetJsonAsync($"/api/traces?service=frontend&start={micros + 100_000}&end={micros + 1_000_000}");
        var early = await client.GetJsonAsync($"/api/traces?service=frontend&start={micros}&end={micros + 100_000}");

        Assert.Equal([Hex(TraceId(2))], TraceIds(late));
        Assert.Equal([Hex(TraceId(1))], TraceIds(early));
    }

    [Theory]
    [InlineData("service=a&minDuration=2s&maxDuration=1s", "'maxDuration' should be greater than 'minDuration'")]
    [InlineData("service=a&minDuration=100", "minDuration must have a unit (ns, us, ms, s, m or h), for example 100ms, got '100'")]
    [InlineData("service=a&maxDuration=fast", "maxDuration must be a duration such as 1.5ms, 250us, 2s or 1m30s, got 'fast'")]
    [InlineData("service=a&minDuration=5parsecs", "minDuration has an unknown unit 'parsecs' in '5parsecs': use ns, us, ms, s, m or h")]
    [InlineData("service=a&lookback=forever", "lookback must be a duration such as 1.5ms, 250us, 2s or 1m30s, got 'forever'")]
    [InlineData("service=a&start=yesterday", "start must be Unix time in microseconds (a non-negative integer), got 'yesterday'")]
    [InlineData("service=a&end=1.5", "end must be Unix time in microseconds (a non-negative integer), got '1.5'")]
    [InlineData("service=a&limit=ten", "limit must be an integer, got 'ten'")]
    [InlineData("service=a&limit=0", "limit must be between 1 and 1000 (Query:MaxLimit), got 0")]
    [InlineData("service=a&tag=novalue", "tag must be key:value, for example tag=http.route:/api/cart, got 'novalue'")]
    [InlineData("service=a&tags=%5B1%5D", "tags must be a JSON object such as {\"http.route\":\"/api/cart\"}, got '[1]'")]
    [InlineData("service=a&tags=%7B%22error%22%3A%22maybe%22%7D", "the error tag in tags must be true or false, got 'maybe'")]
    [InlineData("service=a&tag=span.kind:sideways", "span.kind must be one of internal, server, client, producer, consumer, got 'sideways'")]
    [InlineData("service=a&tag=otel.status_code:fine", "the otel.status_code tag in tag must be one of OK, ERROR, UNSET, got 'fine'")]
    [InlineData("service=a&tag=span.status:fine", "the span.status tag in tag must be one of OK, ERROR, UNSET, got 'fine'")]
    [InlineData("traceID=xyz", "traceID must be 32 hex characters (0-9, a-f), got '00000000000000000000000000000xyz'")]
    [InlineData("traceID=", "traceID must be 32 hex characters, got 0")]
    [InlineData("traceID=ab000000000000000000000000000000001", "traceID must be 32 hex characters, got 35")]
    [InlineData("traceID=ab000000000000000000000000000001&minDuration=fast", "minDuration must be a duration such as 1.5ms, 250us, 2s or 1m30s, got 'fast'")]
    [InlineData("operation=GET%20%2F", "parameter 'service' is required")]
    public async Task EveryBadParameterIsA400InJaegersEnvelopeNamingIt(string query, string message)
    {
        var json = await fixture.Client(null).GetJsonAsync($"/api/traces?{query}", HttpStatusCode.BadRequest);

        var error = Assert.Single(json.GetProperty("errors").EnumerateArray());
        Assert.Equal(400, error.GetProperty("code").GetInt32());
        Assert.Equal(message, error.GetProperty("msg").GetString());
    }

    [Fact]
    public async Task MoreTraceIdsThanTheLimitAllowsAreA400()
    {
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Query:MaxLimit"] = "2", ["Query:DefaultLimit"] = "2" });
        using var client = factory.CreateClient();
        var ids = string.Join('&', Enumerable.Range(1, 3).Select(i => "traceID=" + Hex(TraceId(i))));

        var json = await client.GetJsonAsync($"/api/traces?{ids}", HttpStatusCode.BadRequest);

        Assert.Equal("traceID may be given at most 2 times (Query:MaxLimit), got 3", json.GetProperty("errors")[0].GetProperty("msg").GetString());
    }

    [Fact]
    public async Task SearchTracesComeNewestFirstByTraceStartEvenWhenAnOlderTraceHasTheNewestSpan()
    {
        var tenant = await SeedLateSpansAsync(fixture);
        var client = fixture.Client(tenant);

        var all = await client.GetJsonAsync($"/api/traces?service=a&{Window}");
        var limited = await client.GetJsonAsync($"/api/traces?service=a&limit=1&{Window}");
        var late = await client.GetJsonAsync($"/api/traces?service=a&operation=late&{Window}");

        // Starts: 22 and 24 at 3000 ms (a tie, broken by trace ID), 23 at 2000 ms, 21 at 1000 ms with the newest span.
        Assert.Equal([Hex(TraceId(22)), Hex(TraceId(24)), Hex(TraceId(23)), Hex(TraceId(21))], TraceIds(all));
        Assert.Equal([Hex(TraceId(22))], TraceIds(limited));
        Assert.Equal([Hex(TraceId(21))], TraceIds(late));
        Assert.Equal(2, late.GetProperty("data")[0].GetProperty("spans").GetArrayLength()); // The whole trace, across blocks.
    }

    [Fact]
    public async Task TwoIdenticalSearchesReturnIdenticalAnswers()
    {
        var tenant = await SeedLateSpansAsync(fixture);
        var client = fixture.Client(tenant);
        var url = $"/api/traces?service=a&limit=3&{Window}";

        var first = await client.GetJsonAsync(url);
        var second = await client.GetJsonAsync(url);

        Assert.Equal([Hex(TraceId(22)), Hex(TraceId(24)), Hex(TraceId(23))], TraceIds(first));
        Assert.Equal(first.GetProperty("data").ToString(), second.GetProperty("data").ToString());
    }

    /// <summary>
    /// Four traces of service "a" over two blocks (ms after <see cref="BaseTime"/>): 21 starts at 1000 and has a "late"
    /// child at 9000, the newest span of all; 22 and 24 start at 3000; 23 starts at 2000 with a child at 2500.
    /// </summary>
    internal static async Task<string> SeedLateSpansAsync(QueryApiFixture fixture)
    {
        var tenant = QueryApiFixture.NewTenant();
        await fixture.WriteBlockAsync(tenant, [Request("a", Span(21, 211, null, "root", 1000, 10), Span(22, 221, null, "root", 3000, 10), Span(23, 231, null, "root", 2000, 10))]);
        await fixture.WriteBlockAsync(tenant, [Request("a", Span(21, 212, 211, "late", 9000, 10, Kind.Client), Span(23, 232, 231, "child", 2500, 10), Span(24, 241, null, "root", 3000, 10))]);
        return tenant;
    }
}
