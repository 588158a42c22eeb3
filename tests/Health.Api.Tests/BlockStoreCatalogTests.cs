using Health.Api.Probes;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using Xunit;

namespace Health.Api.Tests;

public sealed class BlockStoreCatalogTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private readonly string _root = Directory.CreateTempSubdirectory("health-catalog-").FullName;
    private readonly FileSystemObjectStore _objects;
    private readonly BlockStore _store;

    public BlockStoreCatalogTests()
    {
        _objects = new FileSystemObjectStore(_root);
        _store = new BlockStore(_objects, new BlockKeys("blocks"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EachTenantsCommittedBlocksAreCountedWithTheNewestBlockAndSpanTimes()
    {
        await WriteBlockAsync("acme", Now.AddMinutes(-10), maxEnd: Now.AddMinutes(-11));
        await WriteBlockAsync("acme", Now.AddSeconds(-30), maxEnd: Now.AddSeconds(-35));
        var newest = await WriteBlockAsync("acme", Now.AddSeconds(-5), maxEnd: Now.AddSeconds(-6));
        await WriteBlockAsync("globex", Now.AddHours(-2), maxEnd: Now.AddHours(-2));
        // Not committed: data without meta.json is not a block.
        await _objects.WriteAsync(_store.Keys.Data("globex", BlockId.New(Now)), new byte[] { 1 }, Ct);

        var tenants = (await new BlockStoreCatalog(_store).ReadTenantsAsync(Now, Ct)).ToDictionary(t => t.Tenant);

        Assert.Equal(["acme", "globex"], tenants.Keys.Order());
        var acme = tenants["acme"];
        Assert.Equal(3, acme.BlockCount);
        Assert.Equal(2, acme.BlocksLastMinute);
        Assert.Equal(BlockId.GetTime(newest), acme.LatestBlockAt);
        Assert.Equal(Now.AddSeconds(-6), acme.NewestSpanTime);
        Assert.Equal(1, tenants["globex"].BlockCount);
        Assert.Equal(0, tenants["globex"].BlocksLastMinute);
    }

    [Fact]
    public async Task ANewestMetaJsonThatDoesNotParseCountsTheBlockButGivesNoSpanTime()
    {
        var id = BlockId.New(Now.AddSeconds(-1));
        await _objects.WriteAsync(_store.Keys.Meta("acme", id), "{\"formatVersion\":"u8.ToArray(), Ct);

        var acme = Assert.Single(await new BlockStoreCatalog(_store).ReadTenantsAsync(Now, Ct));

        Assert.Equal(1, acme.BlockCount);
        Assert.Null(acme.NewestSpanTime);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<string> WriteBlockAsync(string tenant, DateTimeOffset created, DateTimeOffset maxEnd)
    {
        var id = BlockId.New(created);
        var nanos = (ulong)(maxEnd - DateTimeOffset.UnixEpoch).Ticks * 100;
        var meta = new BlockMeta
        {
            FormatVersion = BlockEncodings.Current.Version,
            Tenant = tenant,
            BlockId = id,
            CreatedAt = created,
            MinStartTimeUnixNano = nanos - 1_000_000,
            MaxStartTimeUnixNano = nanos - 1_000_000,
            MaxEndTimeUnixNano = nanos,
        };
        await _store.WriteAsync(new EncodedBlock(meta, new byte[] { 1 }, new byte[] { 2 }), Ct);
        return id;
    }
}
