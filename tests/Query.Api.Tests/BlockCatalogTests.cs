using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Testing;
using Xunit;
using static Query.Api.Tests.TestSpans;

namespace Query.Api.Tests;

public sealed class BlockCatalogTests(QueryApiFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ANewBlockIsVisibleWithinTwoSecondsOfItsMetaJson()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);
        await client.GetJsonAsync($"/traces/{Hex(TraceId(1))}"); // The tenant's list is now cached and polled.
        await client.GetJsonAsync($"/traces/{Hex(TraceId(40))}", HttpStatusCode.NotFound);

        await fixture.WriteBlockAsync(tenant, [Request("late", Span(40, 40, null, "late op", 0, 5))]);
        var committed = Stopwatch.StartNew();
        var status = await Eventually.ValueAsync(
            async ct =>
            {
                using var response = await client.GetAsync($"/traces/{Hex(TraceId(40))}", ct);
                return response.StatusCode;
            },
            answer => answer != HttpStatusCode.NotFound,
            TimeSpan.FromSeconds(5),
            Ct,
            what: "the new block's trace",
            interval: TimeSpan.FromMilliseconds(10)); // the time to visibility is what this test measures

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(committed.Elapsed <= TimeSpan.FromSeconds(2), $"visible after {committed.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task AColdTenantLoadsFromItsTenantIndexAndReadsOnlyTheBlocksCommittedSince()
    {
        var tenant = QueryApiFixture.NewTenant();
        var indexed = await fixture.WriteBlockAsync(tenant, [Request("cart", Span(1, 1, null, "reserve", 0, 5))]);
        var deleted = await fixture.WriteBlockAsync(tenant, [Request("cart", Span(2, 1, null, "reserve", 10, 5))]);

        // The index's copy of a block is marked, so the test can tell which copy the catalog holds.
        indexed.SpanCount = 4242;
        await fixture.Writer.WriteTenantIndexAsync(tenant, [indexed, deleted], DateTimeOffset.UtcNow, Ct);
        await fixture.Writer.DeleteAsync(tenant, deleted.BlockId, Ct);
        var later = await fixture.WriteBlockAsync(tenant, [Request("cart", Span(3, 1, null, "reserve", 20, 5))]);

        var set = await fixture.Factory.Services.GetRequiredService<BlockCatalog>().GetAsync(tenant, Ct);

        Assert.Equal([later.BlockId, indexed.BlockId], set.NewestFirst.Select(m => m.BlockId));
        Assert.Equal(4242, set.All[indexed.BlockId].SpanCount);
        Assert.Equal(1, set.All[later.BlockId].SpanCount);
    }

    [Fact]
    public async Task AnUnreadableTenantIndexOnlyCostsReads()
    {
        var tenant = QueryApiFixture.NewTenant();
        var block = await fixture.WriteBlockAsync(tenant, [Request("cart", Span(1, 1, null, "reserve", 0, 5))]);
        using var store = new OtelStorage.Storage.ObjectStore.S3ObjectStore(Microsoft.Extensions.Options.Options.Create(fixture.ObjectStoreOptions));
        await store.WriteAsync(fixture.Writer.Keys.TenantIndex(tenant), "not gzip"u8.ToArray(), Ct);

        var set = await fixture.Factory.Services.GetRequiredService<BlockCatalog>().GetAsync(tenant, Ct);

        Assert.Equal([block.BlockId], set.NewestFirst.Select(m => m.BlockId));
    }

    [Fact]
    public async Task BlocksReplacedByACompactedBlockAreHidden()
    {
        var tenant = QueryApiFixture.NewTenant();
        var (a, b) = await Shop.SeedAsync(fixture, tenant);
        var catalog = fixture.Factory.Services.GetRequiredService<BlockCatalog>();
        Assert.Equal(2, (await catalog.GetAsync(tenant, Ct)).NewestFirst.Count);

        var compacted = await fixture.WriteBlockAsync(
            tenant,
            [Request("frontend", Shop.Root1, Shop.Client1, Shop.Root2), Request("cart", Shop.Cart1), Request("payment", Shop.Payment3)],
            meta =>
            {
                meta.Replaces = [a.BlockId, b.BlockId];
                meta.CompactionLevel = 1;
            });
        await catalog.PollAsync(Ct);

        var set = await catalog.GetAsync(tenant, Ct);
        Assert.Equal([compacted.BlockId], set.NewestFirst.Select(m => m.BlockId).ToList());
        Assert.Equal(2, set.ReplacedCount);
        var spans = await fixture.Client(tenant).GetJsonAsync("/spans?limit=100");
        Assert.Equal(5, spans.GetProperty("spans").GetArrayLength());
        Assert.Equal(1, spans.GetProperty("metrics").GetProperty("totalBlocks").GetInt32());
    }

    [Fact]
    public async Task ServicesOperationsAndDependenciesComeFromMetadataAlone()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);
        var client = fixture.Client(tenant);

        var services = await client.GetJsonAsync("/services");
        var operations = await client.GetJsonAsync("/services/frontend/operations");
        var dependencies = await client.GetJsonAsync("/dependencies");

        Assert.Equal(["cart", "frontend", "payment"], services.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList());
        var cart = services.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "cart");
        Assert.True(cart.GetProperty("errorCount").GetInt64() >= 1);
        Assert.Equal("frontend", operations.GetProperty("service").GetString());
        Assert.Equal(
            ["GET /:2", "GET /api/cart:2", "POST /cart/add:3"],
            operations.GetProperty("operations").EnumerateArray().Select(o => o.GetProperty("name").GetString() + ":" + o.GetProperty("kind").GetInt32()).ToList());
        var edge = Assert.Single(dependencies.GetProperty("dependencies").EnumerateArray());
        Assert.Equal(("frontend", "cart"), (edge.GetProperty("parent").GetString(), edge.GetProperty("child").GetString()));
        // Block B repeats the failed cart span: metadata counts it per block until compaction removes the duplicate.
        Assert.InRange(edge.GetProperty("errorCount").GetInt64(), 1, 2);
    }

    [Fact]
    public async Task MetadataWindowsFilterBlocksByTimeBounds()
    {
        var tenant = QueryApiFixture.NewTenant();
        await Shop.SeedAsync(fixture, tenant);

        var before = await fixture.Client(tenant).GetJsonAsync("/services?start=2000-01-01T00:00:00Z&end=2000-01-02T00:00:00Z");
        var bad = await fixture.Client(tenant).GetJsonAsync("/dependencies?start=later", HttpStatusCode.BadRequest);

        Assert.Empty(before.GetProperty("services").EnumerateArray());
        Assert.Equal("start must be an RFC 3339 time (2026-11-25T09:00:00Z) or Unix nanoseconds, got 'later'", bad.GetProperty("error").GetString());
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheNativeApi()
    {
        var json = await fixture.Client(null).GetJsonAsync("/openapi/v1.json");

        var paths = json.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/traces/{traceId}", paths);
        Assert.Contains("/spans", paths);
        Assert.Contains("/services", paths);
        Assert.Contains("/services/{service}/operations", paths);
        Assert.Contains("/dependencies", paths);
        Assert.Equal("GetTrace", json.GetProperty("paths").GetProperty("/traces/{traceId}").GetProperty("get").GetProperty("operationId").GetString());
    }
}
