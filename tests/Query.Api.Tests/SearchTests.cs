using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Workload;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class SearchTests(QueryApiFixture fixture)
{
    private static readonly DateTimeOffset GeneratorStart = DateTimeOffset.UtcNow.AddMinutes(-20);

    private static string Window => $"start={Uri.EscapeDataString(GeneratorStart.AddMinutes(-1).ToString("O"))}&end={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}";

    /// <summary>Realistic traffic in three blocks, and every span as written, for brute-force expectations.</summary>
    private async Task<(string Tenant, List<(string Service, Span Span)> All)> SeedRealisticAsync()
    {
        var tenant = QueryApiFixture.NewTenant();
        var generator = new RealisticSpanGenerator(seed: 11, start: GeneratorStart);
        var all = new List<(string, Span)>();
        for (var b = 0; b < 3; b++)
        {
            var requests = generator.Requests(1500, 300).ToList();
            all.AddRange(Flatten(requests));
            await fixture.WriteBlockAsync(tenant, requests, rowGroupSpans: 500);
        }

        return (tenant, all);
    }

    private static IEnumerable<(string Service, Span Span)> Flatten(IEnumerable<ExportTraceServiceRequest> requests) =>
        requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s =>
            (rs.Resource.Attributes.First(a => a.Key == "service.name").Value.StringValue, s))));

    private static List<string> NewestFirstKeys(IEnumerable<Span> spans, int limit) =>
    [
        .. spans
            .OrderByDescending(s => s.StartTimeUnixNano)
            .ThenBy(s => Convert.ToHexStringLower(s.TraceId.Span), StringComparer.Ordinal)
            .ThenBy(s => Convert.ToHexStringLower(s.SpanId.Span), StringComparer.Ordinal)
            .Take(limit)
            .Select(s => Convert.ToHexStringLower(s.TraceId.Span) + "/" + Convert.ToHexStringLower(s.SpanId.Span)),
    ];

    private static List<string> Keys(JsonElement response) =>
        [.. response.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("traceId").GetString() + "/" + s.GetProperty("spanId").GetString())];

    [Fact]
    public async Task SpansAreNewestFirstDeterministicAndEqualToABruteForceScan()
    {
        var (tenant, all) = await SeedRealisticAsync();
        var client = fixture.Client(tenant);

        var first = await client.GetJsonAsync($"/spans?service=frontend&limit=40&{Window}");
        var second = await client.GetJsonAsync($"/spans?service=frontend&limit=40&{Window}");

        var expected = NewestFirstKeys(all.Where(x => x.Service == "frontend").Select(x => x.Span), 40);
        Assert.Equal(expected, Keys(first));
        Assert.Equal(Keys(first), Keys(second));
        Assert.Equal(40, first.GetProperty("limit").GetInt32());
        var starts = first.GetProperty("spans").EnumerateArray().Select(s => ulong.Parse(s.GetProperty("startTimeUnixNano").GetString()!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(starts.OrderDescending(), starts);
    }

    [Fact]
    public async Task ASearchPastQuerySearchTimeoutAnswersWithWhatItReadMarkedPartialOnEveryRoute()
    {
        var (tenant, all) = await SeedRealisticAsync();
        var complete = await fixture.Client(tenant).GetAsync($"/spans?limit=40&{Window}", TestContext.Current.CancellationToken);
        Assert.False(complete.Headers.Contains("OtelStorage-Partial-Result"));
        var completeBody = await complete.Content.ReadAs<JsonElement>();
        Assert.False(completeBody.GetProperty("partial").GetBoolean());
        Assert.Equal(NewestFirstKeys(all.Select(x => x.Span), 40), Keys(completeBody));

        // A clock that gains a minute each time it is read has run past a 1 s timeout before the first block is read.
        await using var hurried = fixture.Factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("Query:SearchTimeout", "00:00:01");
            web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(new FastClock()));
        });
        var client = hurried.CreateClient();
        client.DefaultRequestHeaders.Add("X-Scope-OrgID", tenant);
        foreach (var route in new[] { $"/spans?limit=40&{Window}", "/api/traces?service=frontend&limit=5", "/api/search?tags=service.name%3Dfrontend&limit=5", "/api/search?q=%7B%20%7D%20%7C%20count()%20%3E%201&limit=5", $"/spans?q=%7B%20%7D&limit=5&{Window}" })
        {
            using var response = await client.GetAsync(route, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Query:SearchTimeout", Assert.Single(response.Headers.GetValues("OtelStorage-Partial-Result")), StringComparison.Ordinal);
        }

        var partial = await client.GetJsonAsync($"/spans?limit=40&{Window}");
        Assert.True(partial.GetProperty("partial").GetBoolean());
        Assert.StartsWith("search timed out (Query:SearchTimeout) after reading 0 of 3 candidate blocks", partial.GetProperty("warning").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, partial.GetProperty("metrics").GetProperty("blocksRead").GetInt32());
        Assert.Empty(Keys(partial));
    }

    /// <summary>System time, except that each timestamp read is a minute later than the last.</summary>
    private sealed class FastClock : TimeProvider
    {
        private long _gained;

        public override long GetTimestamp() => base.GetTimestamp() + (Interlocked.Increment(ref _gained) * 60 * TimestampFrequency);
    }

    [Theory]
    [InlineData("operation=GET%20%2Fapi%2Fcart&service=frontend")]
    [InlineData("service=cart&minDuration=5ms")]
    [InlineData("service=product-catalog&maxDuration=2ms")]
    [InlineData("status=error")]
    [InlineData("tag=http.route:/api/cart")]
    [InlineData("tag=db.system.name:redis&tag=db.namespace:shop")]
    [InlineData("tag=service.name:checkout")]
    public async Task EveryFilterMatchesABruteForceScan(string filter)
    {
        var (tenant, all) = await SeedRealisticAsync();
        Func<(string Service, Span Span), bool> predicate = filter switch
        {
            "operation=GET%20%2Fapi%2Fcart&service=frontend" => x => x.Service == "frontend" && x.Span.Name == "GET /api/cart",
            "service=cart&minDuration=5ms" => x => x.Service == "cart" && Duration(x.Span) >= 5_000_000,
            "service=product-catalog&maxDuration=2ms" => x => x.Service == "product-catalog" && Duration(x.Span) <= 2_000_000,
            "status=error" => x => x.Span.Status?.Code == Status.Types.StatusCode.Error,
            "tag=http.route:/api/cart" => x => Has(x.Span, "http.route", "/api/cart"),
            "tag=db.system.name:redis&tag=db.namespace:shop" => x => Has(x.Span, "db.system.name", "redis") && Has(x.Span, "db.namespace", "shop"),
            _ => x => x.Service == "checkout",
        };

        var response = await fixture.Client(tenant).GetJsonAsync($"/spans?{filter}&limit=25&{Window}");

        var expected = NewestFirstKeys(all.Where(predicate).Select(x => x.Span), 25);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Keys(response));
    }

    private static long Duration(Span s) => (long)(s.EndTimeUnixNano - s.StartTimeUnixNano);

    private static bool Has(Span s, string key, string value) => s.Attributes.Any(a => a.Key == key && a.Value.StringValue == value);

    [Fact]
    public async Task SearchStopsReadingBlocksOnceOlderBlocksCannotBeatTheResults()
    {
        var (tenant, _) = await SeedRealisticAsync();

        var response = await fixture.Client(tenant).GetJsonAsync($"/spans?limit=5&{Window}");

        var metrics = response.GetProperty("metrics");
        Assert.Equal(3, metrics.GetProperty("totalBlocks").GetInt32());
        // The generator's blocks do not overlap in time: the newest block alone holds the 5 newest spans.
        Assert.True(metrics.GetProperty("blocksRead").GetInt32() < 3, response.ToString());
    }

    [Fact]
    public async Task AnOperationWithoutAServiceReadsOnlyTheBlocksThatHaveIt()
    {
        var tenant = QueryApiFixture.NewTenant();
        await fixture.WriteBlockAsync(tenant, [Request("cart", Span(1, 1, null, "reserve stock", 0, 5))]);
        await fixture.WriteBlockAsync(tenant, [Request("checkout", Span(2, 1, null, "place order", 10, 5))]);
        await fixture.WriteBlockAsync(tenant, [Request("payment", Span(3, 1, null, "charge card", 20, 5))]);

        var response = await fixture.Client(tenant).GetJsonAsync("/spans?operation=place%20order");

        Assert.Equal([Hex(TraceId(2)) + "/" + Hex(SpanId(1))], Keys(response));
        Assert.Equal(1, response.GetProperty("metrics").GetProperty("blocksConsidered").GetInt32());
        Assert.Equal(3, response.GetProperty("metrics").GetProperty("totalBlocks").GetInt32());
    }

    [Fact]
    public async Task SearchDropsDuplicateSpans()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var response = await fixture.Client(tenant).GetJsonAsync("/spans?service=cart");

        Assert.Equal([Hex(TraceId(1)) + "/" + Hex(SpanId(3))], Keys(response));
    }

    [Theory]
    [InlineData("limit=0", "limit must be between 1 and 1000 (Query:MaxLimit), got 0")]
    [InlineData("limit=5000", "limit must be between 1 and 1000 (Query:MaxLimit), got 5000")]
    [InlineData("limit=ten", "limit must be an integer, got 'ten'")]
    [InlineData("start=2026-01-01T00:00:00Z&end=2026-03-01T00:00:00Z", "the time range from start to end is 59.00:00:00, wider than the maximum of 7.00:00:00 (Query:MaxSearchRange): narrow start and end")]
    [InlineData("start=2026-03-01T00:00:00Z&end=2026-01-01T00:00:00Z", "start must not be after end")]
    [InlineData("start=yesterday", "start must be an RFC 3339 time (2026-11-25T09:00:00Z) or Unix nanoseconds, got 'yesterday'")]
    [InlineData("minDuration=5 parsecs", "minDuration has an unknown unit ' parsecs' in '5 parsecs': use ns, us, ms, s, m or h")]
    [InlineData("minDuration=2s&maxDuration=1s", "minDuration must not be greater than maxDuration")]
    [InlineData("status=broken", "status must be one of unset, ok, error (or 0, 1, 2), got 'broken'")]
    [InlineData("tag=novalue", "tag must be key:value, for example tag=http.route:/api/cart, got 'novalue'")]
    public async Task BadSearchParametersAre400sThatSayWhy(string query, string message)
    {
        var response = await fixture.Client(null).GetJsonAsync($"/spans?{query}", HttpStatusCode.BadRequest);

        Assert.Equal(message, response.GetProperty("error").GetString());
    }
}
