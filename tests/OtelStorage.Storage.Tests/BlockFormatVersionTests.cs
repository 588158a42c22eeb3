using System.Text.Json;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Workload;
using Parquet;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class BlockFormatVersionTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public BlockFormatVersionTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("v2")]
    [InlineData("V1")]
    [InlineData("v1.1")]
    [InlineData("")]
    public void AnUnknownFormatVersionIsRefusedWithAnErrorNamingItAndTheSupportedOnes(string version)
    {
        var error = Assert.Throws<NotSupportedException>(() => BlockEncodings.FromVersion(version));

        Assert.Contains($"block format '{version}' is not supported", error.Message, StringComparison.Ordinal);
        Assert.Contains("(supported: v1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetaJsonRecordsTheFormatVersionTheBlockWasWrittenIn()
    {
        var ct = TestContext.Current.CancellationToken;
        var objects = new FileSystemObjectStore(_folder);

        var meta = await TestData.WriteBlockAsync(_store, "t1", new RealisticSpanGenerator(seed: 4).Requests(500, 250));
        var json = await objects.ReadAsync(_store.Keys.Meta("t1", meta.BlockId), ct);
        var data = await objects.ReadAsync(_store.Keys.Data("t1", meta.BlockId), ct);

        Assert.NotNull(json);
        Assert.NotNull(data);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("v1", document.RootElement.GetProperty("formatVersion").GetString());
        Assert.Equal(BlockEncodings.Current.Version, meta.FormatVersion);
        Assert.Same(BlockEncodings.Current, BlockEncodings.FromVersion(meta.FormatVersion));
        await using var parquet = await ParquetReader.CreateAsync(new MemoryStream(data), cancellationToken: ct);
        Assert.Equal("v1", parquet.CustomMetadata["otelstorage.format"]);
    }

    [Fact]
    public async Task ABlockWhoseMetaJsonNamesAnUnknownVersionIsRefusedRatherThanReadAsV1()
    {
        var ct = TestContext.Current.CancellationToken;
        var objects = new FileSystemObjectStore(_folder);
        var written = await TestData.WriteBlockAsync(_store, "t1", new RealisticSpanGenerator(seed: 6).Requests(500, 250));
        written.FormatVersion = "v7";
        await objects.WriteAsync(_store.Keys.Meta("t1", written.BlockId), written.ToJson(), ct);

        var meta = await _store.ReadMetaAsync("t1", written.BlockId, ct);

        Assert.NotNull(meta);
        Assert.Equal("v7", meta.FormatVersion);
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => _store.ReadIndexAsync(meta, ct));
        Assert.Contains("'v7'", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotSupportedException>(async () => await _store.ReadAllAsync(meta, ct).ToListAsync(ct));
    }
}
