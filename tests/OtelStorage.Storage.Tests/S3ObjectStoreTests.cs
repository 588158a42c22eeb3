using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class S3ObjectStoreTests(S3rverServer s3) : IClassFixture<S3rverServer>
{
    private S3ObjectStore CreateStore()
    {
        var options = new ObjectStoreOptions();
        options.ApplyConnectionString(s3.ConnectionString);
        return new S3ObjectStore(Options.Create(options));
    }

    [Fact]
    public async Task ObjectsRoundTripByteForByteWithRangesListingAndDeletion()
    {
        using var store = CreateStore();
        var ct = TestContext.Current.CancellationToken;
        var content = TestData.Id(3 * 1024 * 1024 + 17, 1);
        var prefix = "s3test-" + Guid.NewGuid().ToString("N")[..6] + "/";

        await store.WriteAsync(prefix + "b", content, ct);
        await store.WriteAsync(prefix + "a", new byte[] { 1, 2, 3 }, ct);
        await store.WriteAsync(prefix + "c", ReadOnlyMemory<byte>.Empty, ct);

        Assert.Equal(content, await store.ReadAsync(prefix + "b", ct));
        Assert.Equal(content.AsSpan(1_000_000, 65_536).ToArray(), await store.ReadRangeAsync(prefix + "b", 1_000_000, 65_536, ct));
        Assert.Null(await store.ReadAsync(prefix + "missing", ct));
        Assert.Equal([prefix + "a", prefix + "b", prefix + "c"], (await store.ListAsync(prefix, null, ct).ToListAsync(ct)).Select(o => o.Key));
        Assert.Equal([prefix + "c"], (await store.ListAsync(prefix, prefix + "b", ct).ToListAsync(ct)).Select(o => o.Key));

        await store.DeleteAsync(prefix + "a", ct);
        await store.DeleteAsync(prefix + "missing", ct);
        Assert.Equal(2, (await store.ListAsync(prefix, null, ct).ToListAsync(ct)).Count);
        await store.CheckAsync(ct);
    }

    [Fact]
    public async Task ListingPagesPastAThousandObjects()
    {
        using var store = CreateStore();
        var ct = TestContext.Current.CancellationToken;
        var prefix = "many-" + Guid.NewGuid().ToString("N")[..6] + "/";
        await Parallel.ForEachAsync(Enumerable.Range(0, 1_205), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (i, token) =>
            await store.WriteAsync(prefix + i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture), new byte[] { 1 }, token));

        var all = await store.ListAsync(prefix, null, ct).ToListAsync(ct);
        var after = await store.ListAsync(prefix, prefix + "00999", ct).ToListAsync(ct);

        Assert.Equal(1_205, all.Count);
        Assert.Equal(all.Select(o => o.Key).Order(StringComparer.Ordinal), all.Select(o => o.Key));
        Assert.Equal(205, after.Count);
    }

    [Fact]
    public async Task TraceLookupWorksAgainstS3WithRangedReads()
    {
        using var s3Store = CreateStore();
        var blocks = new BlockStore(s3Store, new BlockKeys("blocks"));
        var requests = new RealisticSpanGenerator(seed: 31).Requests(8_000, 1000).ToList();
        var wanted = requests[3].ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId;
        var expected = requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).Count(s => s.TraceId == wanted);
        var meta = await TestData.WriteBlockAsync(blocks, "s3tenant", requests, new BlockBuildOptions { RowGroupSpans = 1_000 });

        var listed = await blocks.ListBlocksAsync("s3tenant", null, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var index = await blocks.ReadIndexAsync(listed.Single(), TestContext.Current.CancellationToken);
        var found = await blocks.FindTraceAsync(listed.Single(), index, wanted.Memory, TestContext.Current.CancellationToken);

        Assert.Equal(meta.BlockId, listed.Single().BlockId);
        Assert.Equal(expected, found.Count);
    }
}
