using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

/// <summary>Tempo's tag names and values, from the blocks' attribute summaries or, with a q, from matching spans.</summary>
public sealed class TempoTagsApiTests(QueryApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TagsV2ListTheAttributeKeysOfEachScopeFromTheData()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var json = await fixture.Client(tenant).GetJsonAsync("/api/v2/search/tags");

        var scopes = json.GetProperty("scopes").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).ToList());
        Assert.Equal(["amount", "app.user", "http.request.method", "http.response.status_code", "http.route"], scopes["span"]);
        Assert.Contains("service.name", scopes["resource"]);
        Assert.Empty(scopes["event"]);
        Assert.Contains("name", scopes["intrinsic"]);
        Assert.Contains("traceDuration", scopes["intrinsic"]);
        Assert.Equal(2, json.GetProperty("metrics").GetProperty("totalBlocks").GetInt32());
        Assert.False(json.GetProperty("metrics").GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task TagsV2WithAScopeListOnlyThatScope()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var json = await fixture.Client(tenant).GetJsonAsync("/api/v2/search/tags?scope=resource");

        var scope = Assert.Single(json.GetProperty("scopes").EnumerateArray());
        Assert.Equal("resource", scope.GetProperty("name").GetString());
    }

    [Fact]
    public async Task TagsV1ListSpanAndResourceKeys()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var json = await fixture.Client(tenant).GetJsonAsync("/api/search/tags");

        var names = json.GetProperty("tagNames").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Contains("app.user", names);
        Assert.Contains("service.name", names);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task TagValuesV2AreTypedAsTempoTypesThem()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        Assert.Equal(["int:200"], await ValuesAsync(client, "span.http.response.status_code"));
        Assert.Equal(["float:12.5"], await ValuesAsync(client, "span.amount"));
        Assert.Equal(["string:alice", "string:bob"], await ValuesAsync(client, ".app.user"));
        Assert.Equal(["keyword:error", "keyword:ok", "keyword:unset"], await ValuesAsync(client, "status"));
        Assert.Equal(["keyword:client", "keyword:server"], await ValuesAsync(client, "span:kind"));
        Assert.Equal(["string:cart", "string:frontend", "string:payment"], await ValuesAsync(client, "resource.service.name"));
        Assert.Equal(["string:Charge", "string:GET /", "string:GET /api/cart"], await ValuesAsync(client, "rootName"));
        Assert.Empty(await ValuesAsync(client, "resource.app.user"));
        Assert.Empty(await ValuesAsync(client, "duration"));
    }

    [Fact]
    public async Task TagValuesWithAQueryComeFromMatchingSpansOnly()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        Assert.Equal(["string:bob"], await ValuesAsync(client, "span.app.user", "{ resource.service.name = \"payment\" }"));
        Assert.Equal(["string:POST /cart/add"], await ValuesAsync(client, "name", "{ status = error }"));
        Assert.Equal(["string:alice", "string:bob"], await ValuesAsync(client, "span.app.user", "{}"));
        var v1 = await client.GetJsonAsync("/api/search/tag/app.user/values?q=" + Uri.EscapeDataString("{ span.http.route = \"/cart/add\" }"));
        Assert.Equal(["alice"], v1.GetProperty("tagValues").EnumerateArray().Select(v => v.GetString()).ToList());
    }

    [Fact]
    public async Task TagValuesStopAtTheLimitAndSayTheyWereTruncated()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var json = await fixture.Client(tenant).GetJsonAsync("/api/v2/search/tag/resource.service.name/values?limit=2");

        Assert.Equal(["cart", "frontend"], json.GetProperty("tagValues").EnumerateArray().Select(v => v.GetProperty("value").GetString()).ToList());
        Assert.True(json.GetProperty("metrics").GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task TagValuesStopAtTheByteBudget()
    {
        var tenant = QueryApiFixture.NewTenant();
        var spans = Enumerable.Range(0, 20).Select(i => Span(40, 100 + i, null, "op", (ulong)i, 1, attributes: [("blob", i.ToString("D2", CultureInfo.InvariantCulture) + new string('x', 98))]));
        await fixture.WriteBlockAsync(tenant, [Request("blobs", [.. spans])]);
        using var factory = fixture.CreateFactory(new Dictionary<string, string?> { ["Query:MaxBytesPerTagValuesQuery"] = "1024" });
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Scope-OrgID", tenant);

        var json = JsonDocument.Parse(await client.GetStringAsync("/api/v2/search/tag/span.blob/values", Ct)).RootElement;

        Assert.Equal(10, json.GetProperty("tagValues").GetArrayLength());
        Assert.True(json.GetProperty("metrics").GetProperty("truncated").GetBoolean());
    }

    [Fact]
    public async Task TagsAndValuesComeOnlyFromBlocksOfTheTimeRange()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        var seconds = BaseTime / 1_000_000_000;

        var before = await client.GetJsonAsync($"/api/v2/search/tag/.app.user/values?start={seconds - 7200}&end={seconds - 3600}");
        var around = await client.GetJsonAsync($"/api/v2/search/tag/.app.user/values?start={seconds - 60}&end={seconds + 60}");
        var tags = await client.GetJsonAsync($"/api/v2/search/tags?scope=span&start={seconds - 7200}&end={seconds - 3600}");

        Assert.Equal(0, before.GetProperty("tagValues").GetArrayLength());
        Assert.Equal(0, before.GetProperty("metrics").GetProperty("totalBlocks").GetInt32());
        Assert.Equal(2, around.GetProperty("tagValues").GetArrayLength());
        Assert.Equal(0, tags.GetProperty("scopes")[0].GetProperty("tags").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/v2/search/tag/span./values", "tag 'span.'")]
    [InlineData("/api/v2/search/tag/span:nope/values", "tag 'span:nope'")]
    [InlineData("/api/v2/search/tag/%7B/values", "tag '{'")]
    [InlineData("/api/v2/search/tag/name/values?limit=0", "limit")]
    [InlineData("/api/v2/search/tag/name/values?limit=ten", "limit")]
    [InlineData("/api/v2/search/tag/name/values?q=%7B%20name%20%3D%20", "TraceQL")]
    [InlineData("/api/v2/search/tag/name/values?start=200&end=100", "start")]
    [InlineData("/api/v2/search/tags?scope=spans", "scope")]
    [InlineData("/api/v2/search/tags?limit=-1", "limit")]
    [InlineData("/api/search/tags?end=abc", "end")]
    public async Task BadTagRequestsAre400sSayingWhatIsWrong(string url, string mentioned)
    {
        using var response = await fixture.Client(QueryApiFixture.NewTenant()).GetAsync(url, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentioned, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchForAnAbsentAttributeValueReadsNoBlock()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        // Lists the tenant's blocks first, so the bytes the search reports are its own reads, not the meta.json loads.
        await client.GetJsonAsync("/services");

        var json = await client.GetJsonAsync("/api/search?tags=" + Uri.EscapeDataString("app.user=nobody"));

        Assert.Empty(json.GetProperty("traces").EnumerateArray());
        Assert.Equal(0, json.GetProperty("metrics").GetProperty("inspectedBlocks").GetInt32());
        Assert.Equal("0", json.GetProperty("metrics").GetProperty("inspectedBytes").GetString());
        Assert.Equal(2, json.GetProperty("metrics").GetProperty("totalBlocks").GetInt32());
    }

    private static async Task<List<string>> ValuesAsync(HttpClient client, string tag, string? q = null)
    {
        var json = await client.GetJsonAsync($"/api/v2/search/tag/{Uri.EscapeDataString(tag)}/values" + (q is null ? string.Empty : "?q=" + Uri.EscapeDataString(q)));
        return [.. json.GetProperty("tagValues").EnumerateArray().Select(v => v.GetProperty("type").GetString() + ":" + v.GetProperty("value").GetString())];
    }
}
