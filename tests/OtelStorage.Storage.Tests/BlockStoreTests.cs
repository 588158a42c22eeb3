using OtelStorage.Storage.Blocks;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class BlockStoreTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public BlockStoreTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("..")]
    [InlineData("../other")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("tenant.with.dots")]
    [InlineData("x%2F")]
    public void InvalidTenantsCannotBuildKeys(string tenant)
    {
        var error = Assert.Throws<ArgumentException>(() => _store.Keys.Meta(tenant, BlockId.New(DateTimeOffset.UtcNow)));
        Assert.Contains("[A-Za-z0-9_-]{1,64}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeysHaveTheDocumentedShape()
    {
        var id = BlockId.New(DateTimeOffset.UtcNow);

        Assert.Equal($"blocks/acme/{id}/meta.json", _store.Keys.Meta("acme", id));
        Assert.Equal($"blocks/acme/{id}/data.parquet", _store.Keys.Data("acme", id));
        Assert.Equal($"blocks/acme/{id}/index.bin", _store.Keys.Index("acme", id));
        Assert.Equal($"acme/{id}/meta.json", new BlockKeys("").Meta("acme", id));
    }

    [Fact]
    public void BlockIdsSortByTimeAndCarryIt()
    {
        var t0 = new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 100).Select(i => BlockId.New(t0.AddMilliseconds(i * 7))).ToList();

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal).ToList());
        Assert.Equal(100, ids.Distinct().Count());
        Assert.Equal(t0.AddMilliseconds(7), BlockId.GetTime(ids[1]));
        Assert.True(string.CompareOrdinal(BlockId.MinFor(t0.AddMilliseconds(7)), ids[1]) <= 0);
        Assert.True(string.CompareOrdinal(BlockId.MinFor(t0.AddMilliseconds(8)), ids[1]) > 0);
    }

    [Fact]
    public async Task ListingReturnsOnlyCommittedBlocksOfTheTenantAndOrphansAreFound()
    {
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        var first = await TestData.WriteBlockAsync(_store, "acme", new RealisticSpanGenerator(seed: 1).Requests(100, 100), at: t0);
        var second = await TestData.WriteBlockAsync(_store, "acme", new RealisticSpanGenerator(seed: 2).Requests(100, 100), at: t0.AddMinutes(1));
        await TestData.WriteBlockAsync(_store, "other", new RealisticSpanGenerator(seed: 3).Requests(100, 100), at: t0);
        // An interrupted write: data and index, no meta.json.
        var builder = BlockEncodings.Current.CreateBuilder("acme", new BlockBuildOptions());
        builder.Add(new RealisticSpanGenerator(seed: 4).NextRequest(10));
        var orphan = await builder.BuildAsync(BlockId.New(t0.AddMinutes(2)), t0, TestContext.Current.CancellationToken);
        var objects = new Storage.ObjectStore.FileSystemObjectStore(Path.Combine(_folder));
        await objects.WriteAsync(_store.Keys.Data("acme", orphan.Meta.BlockId), orphan.Data, TestContext.Current.CancellationToken);

        var all = await _store.ListBlocksAsync("acme", null, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var recent = await _store.ListBlockIdsAsync("acme", t0.AddSeconds(30), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var orphans = await _store.ListOrphansAsync("acme", DateTimeOffset.UtcNow, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var tenants = await _store.ListTenantsAsync(TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal([first.BlockId, second.BlockId], all.Select(m => m.BlockId));
        Assert.Equal([second.BlockId], recent);
        Assert.Equal([orphan.Meta.BlockId], orphans);
        Assert.Equal(["acme", "other"], tenants);

        await _store.DeleteAsync("acme", orphan.Meta.BlockId, TestContext.Current.CancellationToken);
        Assert.Empty(await _store.ListOrphansAsync("acme", DateTimeOffset.UtcNow, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task MetaJsonRoundTripsWithTheReplacesField()
    {
        var meta = await TestData.WriteBlockAsync(_store, "acme", new RealisticSpanGenerator(seed: 1).Requests(500, 100));
        meta.Replaces = ["01JDX0000000000000000000AA", "01JDX0000000000000000000AB"];
        meta.CompactionLevel = 1;

        var back = BlockMeta.FromJson(meta.ToJson());

        Assert.Equal(meta.Replaces, back.Replaces);
        Assert.Equal(1, back.CompactionLevel);
        Assert.Equal(meta.Dependencies.Count, back.Dependencies.Count);
        Assert.Equal(meta.ServiceStatistics.Select(s => s.Duration.P99Nanos), back.ServiceStatistics.Select(s => s.Duration.P99Nanos));
    }
}
