using OtelStorage.Storage.ObjectStore;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class FileSystemObjectStoreTests : IDisposable
{
    private readonly string _parent = Path.Combine(Path.GetTempPath(), "otelstorage-fsstore-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _root;
    private readonly FileSystemObjectStore _store;

    public FileSystemObjectStoreTests()
    {
        _root = Path.Combine(_parent, "root");
        _store = new FileSystemObjectStore(_root);
    }

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Fact]
    public async Task ARangedReadRunningPastTheEndReturnsTheBytesUpToTheEndAsS3Does()
    {
        var ct = TestContext.Current.CancellationToken;
        var content = TestData.Id(1_000, 3);
        await _store.WriteAsync("blocks/t1/data.parquet", content, ct);

        // S3 (and s3rver) answer a range that runs past the end with 206 and the bytes that exist (IObjectStore:
        // "fewer only at the end of the object").
        Assert.Equal(content[990..], await _store.ReadRangeAsync("blocks/t1/data.parquet", 990, 64, ct));
        Assert.Equal(content[999..], await _store.ReadRangeAsync("blocks/t1/data.parquet", 999, int.MaxValue, ct));
        Assert.Equal(content[100..200], await _store.ReadRangeAsync("blocks/t1/data.parquet", 100, 100, ct));
        Assert.Equal(content, await _store.ReadRangeAsync("blocks/t1/data.parquet", 0, 1_000, ct));
    }

    [Fact]
    public async Task DeletingAMissingKeyIsNotAnError()
    {
        var ct = TestContext.Current.CancellationToken;
        await _store.WriteAsync("blocks/t1/b1/meta.json", new byte[] { 1 }, ct);

        await _store.DeleteAsync("blocks/t1/b1/index.bin", ct);
        await _store.DeleteAsync("blocks/t1/never-written/meta.json", ct);
        await _store.DeleteAsync("elsewhere/entirely", ct);
        await _store.DeleteAsync("blocks/t1/b1/meta.json", ct);
        await _store.DeleteAsync("blocks/t1/b1/meta.json", ct);

        Assert.Null(await _store.ReadAsync("blocks/t1/b1/meta.json", ct));
        Assert.Empty(await _store.ListAsync(string.Empty, null, ct).ToListAsync(ct));
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("blocks/../../outside.bin")]
    [InlineData("{absolute}")]
    [InlineData("../root-sibling/outside.bin")]
    [InlineData("")]
    [InlineData(".")]
    public async Task AKeyThatResolvesOutsideTheRootIsRefusedByEveryOperation(string template)
    {
        var ct = TestContext.Current.CancellationToken;
        var outside = Path.Combine(_parent, "outside.bin");
        var sibling = Path.Combine(_parent, "root-sibling", "outside.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(sibling)!);
        await File.WriteAllBytesAsync(outside, [7, 7, 7], ct);
        await File.WriteAllBytesAsync(sibling, [7, 7, 7], ct);
        var key = template.Replace("{absolute}", outside, StringComparison.Ordinal);

        var read = await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadAsync(key, ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadRangeAsync(key, 0, 3, ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.WriteAsync(key, new byte[] { 1 }, ct));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.DeleteAsync(key, ct));

        Assert.Contains($"'{key}'", read.Message, StringComparison.Ordinal);
        Assert.Equal([7, 7, 7], await File.ReadAllBytesAsync(outside, ct));
        Assert.Equal([7, 7, 7], await File.ReadAllBytesAsync(sibling, ct));
        Assert.Equal([outside, sibling], Directory.EnumerateFiles(_parent, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListingFiltersByPrefixInOrdinalKeyOrderAndStartsAfterTheGivenKey()
    {
        var ct = TestContext.Current.CancellationToken;
        // A directory walk would give t/a/1 before t/a-b, and a culture-aware sort would put t/B after t/a.
        string[] keys = ["t/b/1", "t/ab", "u/1", "t/a/2", "t/B", "t/a-b", "t/a/1", "s"];
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
        {
            await _store.WriteAsync(key, new byte[i], ct);
        }

        Assert.Equal(["t/B", "t/a-b", "t/a/1", "t/a/2", "t/ab", "t/b/1"], await KeysAsync("t/", null));
        Assert.Equal(["t/a-b", "t/a/1", "t/a/2", "t/ab"], await KeysAsync("t/a", null));
        Assert.Equal(["t/a/2", "t/ab", "t/b/1"], await KeysAsync("t/", "t/a/1"));
        Assert.Equal(["t/ab", "t/b/1"], await KeysAsync("t/", "t/a0"));
        Assert.Equal(["t/B", "t/a-b", "t/a/1", "t/a/2", "t/ab", "t/b/1"], await KeysAsync("t/", "s"));
        Assert.Empty(await KeysAsync("t/", "t/b/1"));
        Assert.Empty(await KeysAsync("v/", null));
        Assert.Equal(keys.Order(StringComparer.Ordinal), await KeysAsync(string.Empty, null));
        Assert.Equal(Array.IndexOf(keys, "t/ab"), (await _store.ListAsync("t/ab", null, ct).ToListAsync(ct)).Single().Size);

        async Task<List<string>> KeysAsync(string prefix, string? startAfter) =>
            [.. (await _store.ListAsync(prefix, startAfter, ct).ToListAsync(ct)).Select(o => o.Key)];
    }

    [Fact]
    public async Task ListingNeverShowsTheTemporaryFileOfAWriteThatDidNotFinish()
    {
        var ct = TestContext.Current.CancellationToken;
        await _store.WriteAsync("blocks/t1/b1/data.parquet", new byte[] { 1, 2 }, ct);
        await _store.WriteAsync("blocks/t1/b1/data.parquet", new byte[] { 3, 4, 5 }, ct);
        Assert.Empty(Directory.EnumerateFiles(_root, "*.tmp", SearchOption.AllDirectories));

        // What a process killed mid-write leaves: the temporary file, never renamed into place.
        var blockFolder = Path.Combine(_root, "blocks", "t1", "b1");
        await File.WriteAllBytesAsync(Path.Combine(blockFolder, "meta.json." + Guid.NewGuid().ToString("N") + ".tmp"), [9], ct);
        await File.WriteAllBytesAsync(Path.Combine(blockFolder, "data.parquet." + Guid.NewGuid().ToString("N") + ".tmp"), [9], ct);

        var listed = await _store.ListAsync("blocks/", null, ct).ToListAsync(ct);

        Assert.Equal(["blocks/t1/b1/data.parquet"], listed.Select(o => o.Key));
        Assert.Equal(3, listed[0].Size);
        Assert.Null(await _store.ReadAsync("blocks/t1/b1/meta.json", ct));
        Assert.Equal([3, 4, 5], await _store.ReadAsync("blocks/t1/b1/data.parquet", ct));
    }
}
