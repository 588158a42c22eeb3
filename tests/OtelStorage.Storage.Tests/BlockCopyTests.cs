using OtelStorage.Storage.Blocks;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.Storage.Tests;

/// <summary>IBlockBuilder.AddBlockAsync, which compaction uses: stored rows copied without decoding their spans.</summary>
public sealed class BlockCopyTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public BlockCopyTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CopyingStoredBlocksBuildsTheSameDataAndMetadataAsTheirRequests()
    {
        var generator = new RealisticSpanGenerator(seed: 11);
        List<OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest> first = [.. generator.Requests(3_000, 500)], second = [.. generator.Requests(2_000, 250)];
        first.Add(TestData.EveryField());
        var sources = new[] { await TestData.WriteBlockAsync(_store, "t1", first.Select(r => r.Clone())), await TestData.WriteBlockAsync(_store, "t1", second.Select(r => r.Clone())) };
        var at = DateTimeOffset.UtcNow;
        var blockId = BlockId.New(at);

        var fromRequests = BlockEncodings.Current.CreateBuilder("t1", new BlockBuildOptions());
        foreach (var r in first.Concat(second))
        {
            fromRequests.Add(r);
        }

        var copied = BlockEncodings.Current.CreateBuilder("t1", new BlockBuildOptions());
        var asked = 0;
        foreach (var source in sources)
        {
            await copied.AddBlockAsync(_store.ReaderFor(source), source, (_, _) => ++asked > 0, Ct);
        }

        var expected = await fromRequests.BuildAsync(blockId, at, Ct);
        var actual = await copied.BuildAsync(blockId, at, Ct);
        Assert.Equal(sources.Sum(s => s.SpanCount), asked);
        Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
        Assert.Equal(expected.Index.ToArray(), actual.Index.ToArray());
        // Requests count their resources and scopes too; copied rows count each span's own protobuf size.
        long spanBytes = 0;
        foreach (var source in sources)
        {
            await foreach (var span in _store.ReadAllAsync(source, Ct))
            {
                spanBytes += span.Span.CalculateSize();
            }
        }

        Assert.Equal(spanBytes, actual.Meta.SpanBytes);
        actual.Meta.SpanBytes = expected.Meta.SpanBytes;
        Assert.Equal(System.Text.Encoding.UTF8.GetString(expected.Meta.ToJson()), System.Text.Encoding.UTF8.GetString(actual.Meta.ToJson()));
    }

    [Fact]
    public async Task SpansTheFilterRefusesAreLeftOut()
    {
        var requests = new RealisticSpanGenerator(seed: 12).Requests(1_000, 200).ToList();
        var source = await TestData.WriteBlockAsync(_store, "t1", requests.Select(r => r.Clone()));
        var stored = await _store.ReadAllAsync(source, Ct).ToListAsync(Ct);
        var keepEvery = stored.Where((_, i) => i % 3 == 0).Select(s => s.Key).ToHashSet();

        var builder = BlockEncodings.Current.CreateBuilder("t1", new BlockBuildOptions());
        await builder.AddBlockAsync(_store.ReaderFor(source), source, (trace, span) => keepEvery.Contains((trace, span)), Ct);
        var at = DateTimeOffset.UtcNow;
        var block = await builder.BuildAsync(BlockId.New(at), at, Ct);
        await _store.WriteAsync(block, Ct);

        var kept = await _store.ReadAllAsync(block.Meta, Ct).ToListAsync(Ct);
        Assert.Equal(keepEvery.Count, block.Meta.SpanCount);
        Assert.Equal(
            TestData.Fingerprints(stored.Where(s => keepEvery.Contains(s.Key))).Order(StringComparer.Ordinal),
            TestData.Fingerprints(kept).Order(StringComparer.Ordinal));
    }
}
