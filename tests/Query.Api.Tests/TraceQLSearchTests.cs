using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;
using static Query.Api.Tests.TestSpans;
using Code = OpenTelemetry.Proto.Trace.V1.Status.Types.StatusCode;
using Kind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;

namespace Query.Api.Tests;

/// <summary>
/// TraceQL search over six traces in two blocks (times in ms after <see cref="BaseTime"/>; newest first by trace start
/// the order is 13, 12, 11, 10, 14, 15):
/// 10: a "GET /x" 1000-1100 server, code 200 → b "query" 1010-1050 client, error, code 503 (block 1);
/// 11: b "GET /y" 2000-5000 server, code 500 (block 2);
/// 12: c "GET /z" 3000-3010 server, ok, code 404 (block 1);
/// 13: a "POST /w" 4000-4020 server, error, code 502 (block 2) → c "db" 4005-6505 client (block 2): 2.505 s;
/// 14: b "GET /v" 500-520 server, ok, code 200 (block 1) → a "call" 530-540 client (block 2): 40 ms across blocks;
/// 15: c "batch" 100-9500 internal → c "step" 9000-9100 internal (block 2): the newest span, the oldest start.
/// </summary>
public sealed class TraceQLSearchTests(QueryApiFixture fixture)
{
    private static string Window => $"start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 60}";

    [Theory]
    [InlineData("{ (resource.service.name = \"a\" || resource.service.name = \"b\") }", 20, new[] { 13, 11, 10, 14 })]
    [InlineData("{ resource.service.name =~ \"a|c\" }", 20, new[] { 13, 12, 10, 14, 15 })]
    [InlineData("{ resource.service.name != \"b\" && kind = client }", 20, new[] { 13, 14 })]
    [InlineData("{ span.http.response.status_code >= 500 }", 20, new[] { 13, 11, 10 })]
    [InlineData("{ status = error }", 20, new[] { 13, 10 })]
    [InlineData("{ traceDuration > 2s }", 20, new[] { 13, 11, 15 })]
    [InlineData("{ resource.service.name = \"a\" && span.http.response.status_code >= 500 && status = error }", 20, new[] { 13 })]
    [InlineData("{ (resource.service.name = \"a\" || resource.service.name = \"b\") && traceDuration > 2s }", 20, new[] { 13, 11 })]
    [InlineData("{ resource.service.name =~ \"b|c\" && span.http.response.status_code >= 500 && traceDuration > 2s }", 20, new[] { 11 })]
    [InlineData("{ traceDuration = 40ms }", 20, new[] { 14 })]
    [InlineData("{ resource.service.name = \"b\" } > { resource.service.name = \"a\" }", 20, new[] { 14 })]
    [InlineData("{ kind = server } >> { kind = client }", 20, new[] { 13, 10, 14 })]
    [InlineData("{ } | count() > 1", 20, new[] { 13, 10, 14, 15 })]
    [InlineData("{ }", 20, new[] { 13, 12, 11, 10, 14, 15 })]
    [InlineData("{ }", 2, new[] { 13, 12 })]
    [InlineData("{ resource.service.name = \"c\" }", 1, new[] { 13 })]
    [InlineData("{ rootServiceName = \"c\" }", 1, new[] { 12 })]
    public async Task SearchReturnsExactlyTheMatchingTracesNewestFirstByTraceStart(string traceQl, int limit, int[] traces)
    {
        var tenant = await SeedAsync();

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={Uri.EscapeDataString(traceQl)}&limit={limit}&{Window}");

        Assert.Equal([.. traces.Select(t => Hex(TraceId(t)))], TraceIds(json));
    }

    [Theory]
    [InlineData("{ }", 7)]
    [InlineData("{ status = error }", 5)]
    [InlineData("{ resource.service.name = \"a\" } >> { status = error }", 4)]
    public async Task TracesSpreadOverBlocksComeNewestFirstByTraceStartEvenWhenTheirNewestSpansAreLater(string traceQl, int limit)
    {
        // 60 traces of a root and two children, each span in a random one of three blocks; the late child starts up to
        // 50 s after its root, so the order of newest spans differs from the order of trace starts.
        var random = new Random(23);
        var tenant = QueryApiFixture.NewTenant();
        var blocks = new[] { new List<OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest>(), [], [] };
        var traces = new List<(int Id, ulong StartMs, string RootService, bool ErrorChild)>();
        for (var t = 1; t <= 60; t++)
        {
            var start = (ulong)(t * 1000 + random.Next(1000));
            var services = new[] { "a", "b", "c" };
            var rootService = services[random.Next(3)];
            var error = random.Next(3) == 0;
            var spans = new[]
            {
                (rootService, Span(100 + t, 1000 + (t * 10), null, "root", start, 100)),
                (services[random.Next(3)], Span(100 + t, 1001 + (t * 10), 1000 + (t * 10), "late", start + (ulong)random.Next(50_000), 10, Kind.Client, error ? Code.Error : Code.Unset)),
                (services[random.Next(3)], Span(100 + t, 1002 + (t * 10), 1000 + (t * 10), "early", start + 5, 10, Kind.Client)),
            };
            foreach (var (service, span) in spans)
            {
                blocks[random.Next(3)].Add(Request(service, span));
            }

            traces.Add((100 + t, start, rootService, error));
        }

        foreach (var block in blocks)
        {
            await fixture.WriteBlockAsync(tenant, block);
        }

        Func<(int Id, ulong StartMs, string RootService, bool ErrorChild), bool> matches = traceQl switch
        {
            "{ }" => _ => true,
            "{ status = error }" => t => t.ErrorChild,
            _ => t => t.RootService == "a" && t.ErrorChild,
        };
        var expected = traces.Where(matches).OrderByDescending(t => t.StartMs).Take(limit).Select(t => (string?)Hex(TraceId(t.Id))).ToList();

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={Uri.EscapeDataString(traceQl)}&limit={limit}&start={BaseTime / 1_000_000_000 - 60}&end={BaseTime / 1_000_000_000 + 200}");

        Assert.Equal(limit, expected.Count);
        Assert.Equal(expected, TraceIds(json));
    }

    [Fact]
    public async Task TwoIdenticalSearchesReturnIdenticalAnswers()
    {
        var tenant = await SeedAsync();
        var client = fixture.Client(tenant);
        var url = $"/api/search?q={Uri.EscapeDataString("{ }")}&limit=4&{Window}";

        var first = await client.GetJsonAsync(url);
        var second = await client.GetJsonAsync(url);

        Assert.Equal([Hex(TraceId(13)), Hex(TraceId(12)), Hex(TraceId(11)), Hex(TraceId(10))], TraceIds(first));
        Assert.Equal(first.GetProperty("traces").ToString(), second.GetProperty("traces").ToString());
    }

    [Fact]
    public async Task TraceMetadataDescribesTheWholeTraceAcrossBlocks()
    {
        var tenant = await SeedAsync();

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={Uri.EscapeDataString("{ resource.service.name = \"a\" && kind = client }")}&{Window}");

        var trace = Assert.Single(json.GetProperty("traces").EnumerateArray());
        Assert.Equal(Hex(TraceId(14)), trace.GetProperty("traceID").GetString());
        Assert.Equal("b", trace.GetProperty("rootServiceName").GetString());
        Assert.Equal("GET /v", trace.GetProperty("rootTraceName").GetString());
        Assert.Equal((BaseTime + 500_000_000).ToString(CultureInfo.InvariantCulture), trace.GetProperty("startTimeUnixNano").GetString());
        Assert.Equal(40, trace.GetProperty("durationMs").GetInt64());
        var set = Assert.Single(trace.GetProperty("spanSets").EnumerateArray());
        Assert.Equal(1, set.GetProperty("matched").GetInt32());
        var span = Assert.Single(set.GetProperty("spans").EnumerateArray());
        Assert.Equal(Hex(SpanId(142)), span.GetProperty("spanID").GetString());
        Assert.Equal("call", span.GetProperty("name").GetString());
        Assert.Equal("10000000", span.GetProperty("durationNanos").GetString());
        Assert.Equal(set.ToString(), trace.GetProperty("spanSet").ToString());
    }

    [Fact]
    public async Task ByPutsTheGroupValueOnEachSpanSet()
    {
        var tenant = await SeedAsync();

        var json = await fixture.Client(tenant).GetJsonAsync($"/api/search?q={Uri.EscapeDataString("{ trace:id = \"" + Hex(TraceId(13)) + "\" } | by(resource.service.name)")}&{Window}");

        var trace = Assert.Single(json.GetProperty("traces").EnumerateArray());
        var groups = trace.GetProperty("spanSets").EnumerateArray()
            .Select(set => (Single(set.GetProperty("attributes"), "by(resource.service.name)").GetProperty("stringValue").GetString(), set.GetProperty("matched").GetInt32()))
            .Order()
            .ToList();
        Assert.Equal([("a", 1), ("c", 1)], groups);
    }

    [Fact]
    public async Task SpansWithTraceQlReturnTheMatchedSpansOfTheNewestMatchingTraces()
    {
        var tenant = await SeedAsync();
        var window = $"start={BaseTime - 60_000_000_000}&end={BaseTime + 60_000_000_000}";

        var json = await fixture.Client(tenant).GetJsonAsync($"/spans?q={Uri.EscapeDataString("{ resource.service.name = \"c\" }")}&limit=2&{window}");

        // Traces 13 (start 4000) and 12 (start 3000) are the newest by start; trace 15's spans are newer but its start is the oldest.
        Assert.Equal(
            [Hex(SpanId(132)), Hex(SpanId(121))],
            json.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("spanId").GetString()).ToList());
    }

    [Theory]
    [InlineData("{ name = \"GET /v\" } || { name = \"nothing\" }", new int[0])]
    [InlineData("{ name = \"GET /v\" || name = \"nothing\" }", new int[0])]
    [InlineData("{ name = \"call\" } < { name = \"GET /v\" }", new int[0])]
    [InlineData("{ name = \"call\" } || { name = \"nothing\" }", new[] { 142 })]
    [InlineData("{ name = \"GET /v\" } > { name = \"call\" }", new[] { 142 })]
    public async Task ATraceMatchesOnlyWhenASpanTheQueryYieldedStartsInTheWindow(string traceQl, int[] spans)
    {
        var tenant = await SeedAsync();
        // Only trace 14's "call" (530 ms) starts in the window; its root "GET /v" starts at 500 ms.
        var window = $"start={BaseTime + 525_000_000}&end={BaseTime + 545_000_000}";

        var json = await fixture.Client(tenant).GetJsonAsync($"/spans?q={Uri.EscapeDataString(traceQl)}&{window}");

        Assert.Equal(
            [.. spans.Select(s => Hex(SpanId(s)))],
            json.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("spanId").GetString()).ToList());
    }

    [Fact]
    public async Task SpansAnswersABrokenTraceQlQueryWithA400NamingThePosition()
    {
        var json = await fixture.Client(null).GetJsonAsync($"/spans?q={Uri.EscapeDataString("{ .a = }")}", HttpStatusCode.BadRequest);

        Assert.Contains("parse error at 1:8: expected a value after '='", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheTraceQlParameterOfSpans()
    {
        var json = await fixture.Client(null).GetJsonAsync("/openapi/v1.json");

        var parameters = json.GetProperty("paths").GetProperty("/spans").GetProperty("get").GetProperty("parameters").EnumerateArray();
        Assert.Contains(parameters, p => p.GetProperty("name").GetString() is "q" or "Q");
    }

    private static JsonElement Single(JsonElement attributes, string key) =>
        attributes.EnumerateArray().Single(a => a.GetProperty("key").GetString() == key).GetProperty("value");

    private static List<string?> TraceIds(JsonElement json) =>
        [.. json.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("traceID").GetString())];

    private async Task<string> SeedAsync()
    {
        var tenant = QueryApiFixture.NewTenant();
        var t10Root = Span(10, 101, null, "GET /x", 1000, 100, Kind.Server, Code.Unset, ("http.response.status_code", 200));
        var t10Child = Span(10, 102, 101, "query", 1010, 40, Kind.Client, Code.Error, ("http.response.status_code", 503));
        var t11Root = Span(11, 111, null, "GET /y", 2000, 3000, Kind.Server, Code.Unset, ("http.response.status_code", 500));
        var t12Root = Span(12, 121, null, "GET /z", 3000, 10, Kind.Server, Code.Ok, ("http.response.status_code", 404));
        var t13Root = Span(13, 131, null, "POST /w", 4000, 20, Kind.Server, Code.Error, ("http.response.status_code", 502));
        var t13Child = Span(13, 132, 131, "db", 4005, 2500, Kind.Client);
        var t14Root = Span(14, 141, null, "GET /v", 500, 20, Kind.Server, Code.Ok, ("http.response.status_code", 200));
        var t14Child = Span(14, 142, 141, "call", 530, 10, Kind.Client);
        var t15Root = Span(15, 151, null, "batch", 100, 9400, Kind.Internal);
        var t15Child = Span(15, 152, 151, "step", 9000, 100, Kind.Internal);
        await fixture.WriteBlockAsync(tenant, [Request("a", t10Root), Request("b", t10Child, t14Root), Request("c", t12Root)]);
        await fixture.WriteBlockAsync(tenant, [Request("b", t11Root), Request("a", t13Root, t14Child), Request("c", t13Child, t15Root, t15Child)]);
        return tenant;
    }
}
