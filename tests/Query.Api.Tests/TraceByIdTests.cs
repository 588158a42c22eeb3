using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class TraceByIdTests(QueryApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TraceByIdCombinesSpansFromSeveralBlocksAndDropsDuplicates()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var json = await fixture.Client(tenant).GetJsonAsync($"/traces/{Hex(TraceId(1))}");

        var resourceSpans = json.GetProperty("resourceSpans").EnumerateArray().ToList();
        var spans = resourceSpans.SelectMany(rs => rs.GetProperty("scopeSpans").EnumerateArray()).SelectMany(ss => ss.GetProperty("spans").EnumerateArray()).ToList();
        Assert.Equal([Hex(SpanId(1)), Hex(SpanId(2)), Hex(SpanId(3))], spans.Select(s => s.GetProperty("spanId").GetString()).Order().ToList());
        Assert.All(spans, s => Assert.Equal(Hex(TraceId(1)), s.GetProperty("traceId").GetString()));
        // Grouped by resource: frontend and cart, each with one scope.
        Assert.Equal(2, resourceSpans.Count);
        Assert.All(resourceSpans, rs => Assert.Single(rs.GetProperty("scopeSpans").EnumerateArray()));
        var cart = spans.Single(s => s.GetProperty("spanId").GetString() == Hex(SpanId(3)));
        Assert.Equal(Hex(SpanId(2)), cart.GetProperty("parentSpanId").GetString());
        Assert.Equal(2, cart.GetProperty("kind").GetInt32());
        Assert.Equal(JsonValueKind.String, cart.GetProperty("startTimeUnixNano").ValueKind);
        Assert.Equal((BaseTime + 12_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture), cart.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal(2, cart.GetProperty("status").GetProperty("code").GetInt32());
        Assert.Equal("boom", cart.GetProperty("status").GetProperty("message").GetString());
    }

    [Fact]
    public async Task TraceByIdReturnsOtlpProtobufTracesDataWhenAsked()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        client.DefaultRequestHeaders.Accept.Clear();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));

        using var response = await client.GetAsync($"/traces/{Hex(TraceId(1))}", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var data = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        var spans = data.ResourceSpans.SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).ToList();
        Assert.Equal(3, spans.Count);
        Assert.Equal(Shop.Cart1, spans.Single(s => s.SpanId.Span.SequenceEqual(SpanId(3))));
        Assert.Equal(Shop.Root1, spans.Single(s => s.SpanId.Span.SequenceEqual(SpanId(1))));
    }

    [Fact]
    public async Task OtlpJsonOfATraceParsesBackToTheSameProtobuf()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        var json = await client.GetStringAsync($"/traces/{Hex(TraceId(1))}", Ct);
        client.DefaultRequestHeaders.Accept.Clear();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));
        var expected = TracesData.Parser.ParseFrom(await client.GetByteArrayAsync($"/traces/{Hex(TraceId(1))}", Ct));

        // OTLP JSON differs from the protobuf JSON mapping only in hex IDs: turn them back into base64 and parse.
        var root = JsonNode.Parse(json)!;
        foreach (var span in root["resourceSpans"]!.AsArray().SelectMany(rs => rs!["scopeSpans"]!.AsArray()).SelectMany(ss => ss!["spans"]!.AsArray()))
        {
            foreach (var field in new[] { "traceId", "spanId", "parentSpanId" })
            {
                if (span![field] is { } hex)
                {
                    span[field] = Convert.ToBase64String(Convert.FromHexString(hex.GetValue<string>()));
                }
            }
        }

        var parsed = JsonParser.Default.Parse<TracesData>(root.ToJsonString());
        Assert.Equal(expected, parsed);
    }

    [Fact]
    public async Task UnknownTraceIdIsA404WithAJsonError()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var json = await fixture.Client(tenant).GetJsonAsync($"/traces/{Hex(TraceId(99))}", HttpStatusCode.NotFound);

        Assert.Equal($"trace {Hex(TraceId(99))} was not found", json.GetProperty("error").GetString());
        Assert.Equal(404, json.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("abc", "traceId must be 32 hex characters, got 3")]
    [InlineData("0123456789abcdef0123456789abcd", "traceId must be 32 hex characters, got 30")]
    [InlineData("zz23456789abcdef0123456789abcdef", "traceId must be 32 hex characters (0-9, a-f), got 'zz23456789abcdef0123456789abcdef'")]
    [InlineData("00000000000000000000000000000000", "traceId must not be all zeros (an invalid trace ID in OTLP)")]
    public async Task MalformedTraceIdIsA400SayingWhy(string id, string message)
    {
        var json = await fixture.Client(null).GetJsonAsync($"/traces/{id}", HttpStatusCode.BadRequest);

        Assert.Equal(message, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ALookupReadsOnlyTheBlocksWhoseBloomFilterMayHoldTheTrace()
    {
        var tenant = QueryApiFixture.NewTenant();
        for (var i = 0; i < 6; i++)
        {
            await fixture.WriteBlockAsync(tenant, [Request("svc", Span(100 + i, 100 + i, null, "op", (ulong)i, 1))]);
        }

        var reader = fixture.Factory.Services.GetService(typeof(Reading.TraceReader)) as Reading.TraceReader;
        var result = await reader!.FindAsync(tenant, TraceId(103), 0, ulong.MaxValue, Ct);

        Assert.Single(result.Spans);
        Assert.Equal(6, result.BlocksConsidered);
        Assert.Equal(1, result.BlocksRead);
    }

    [Fact]
    public async Task ALookupOfManyTracesReturnsEachFoundTraceWholeOnceAndLeavesOutUnknownOnes()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));

        using var response = await client.PostAsJsonAsync("/traces/lookup", new { traceIds = new[] { Hex(TraceId(3)), Hex(TraceId(99)), Hex(TraceId(1)), Hex(TraceId(3)) } }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        var spans = data.ResourceSpans.SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).ToList();
        // Trace 1's spans stored twice over two blocks come back once; trace 3 asked twice comes once; 99 is unknown.
        Assert.Equal([Hex(SpanId(1)), Hex(SpanId(2)), Hex(SpanId(3)), Hex(SpanId(5))], spans.Select(s => Hex(s.SpanId.ToByteArray())).Order());
        Assert.Equal(Shop.Payment3, spans.Single(s => s.SpanId.Span.SequenceEqual(SpanId(5))));
    }

    [Fact]
    public async Task ALookupOfManyTracesAnswersOtlpJsonByDefault()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        using var response = await fixture.Client(tenant).PostAsJsonAsync("/traces/lookup", new { traceIds = new[] { Hex(TraceId(2)) } }, Ct);

        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var spans = json.GetProperty("resourceSpans").EnumerateArray().SelectMany(rs => rs.GetProperty("scopeSpans").EnumerateArray()).SelectMany(ss => ss.GetProperty("spans").EnumerateArray()).ToList();
        Assert.Equal(Hex(SpanId(4)), Assert.Single(spans).GetProperty("spanId").GetString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task ALookupBodyIsReadAsJsonWhateverItsContentType(string contentType)
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        // curl -d sends application/x-www-form-urlencoded unless told otherwise.
        using var response = await fixture.Client(tenant).PostAsync("/traces/lookup", new StringContent($"{{\"traceIds\":[\"{Hex(TraceId(2))}\"]}}", System.Text.Encoding.UTF8, contentType), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(Hex(SpanId(4)), await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("{\"traceIds\":[]}", "traceIds must list at least one trace ID, as {\"traceIds\":[\"<32 hex characters>\"]}")]
    [InlineData("{}", "traceIds must list at least one trace ID, as {\"traceIds\":[\"<32 hex characters>\"]}")]
    [InlineData("null", "traceIds must list at least one trace ID, as {\"traceIds\":[\"<32 hex characters>\"]}")]
    [InlineData("{\"traceIds\":[\"0123456789abcdef0123456789abcdef\",\"abc\"]}", "traceIds[1] must be 32 hex characters, got 3")]
    [InlineData("{\"traceIds\":[null]}", "traceIds[0] must be 32 hex characters, got 0")]
    public async Task AMalformedLookupIsA400SayingWhy(string body, string message)
    {
        using var response = await fixture.Client(null).PostAsync("/traces/lookup", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("{\"traceIds\":")]
    [InlineData("{\"traceIds\":\"0123456789abcdef0123456789abcdef\"}")]
    [InlineData("[1,2]")]
    public async Task ALookupBodyThatIsNotTheExpectedJsonIsA400SayingWhatIsExpected(string body)
    {
        using var response = await fixture.Client(null).PostAsync("/traces/lookup", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("the body must be JSON of the form {\"traceIds\":[", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ALookupOfMoreTracesThanTheLimitIsA400()
    {
        var ids = Enumerable.Range(1, 1001).Select(i => Hex(TraceId(i))).ToArray();

        using var response = await fixture.Client(null).PostAsJsonAsync("/traces/lookup", new { traceIds = ids }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("traceIds holds 1001 IDs, more than the maximum of 1000 (Query:MaxLimit): split the request", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetString());
    }
}
