using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.V1;
using OtelStorage.Storage.ObjectStore;
using Xunit;

namespace OtelStorage.Storage.Tests;

/// <summary>
/// A search decodes only the spans it returns: a few stored spans with huge attributes would otherwise make every
/// search over them allocate gigabytes (docs/RELIABILITY-fuzz.md, "Product bugs found and fixed"). The block is served
/// from memory, so the search completes on the calling thread and that thread's allocation count is the search's alone.
/// </summary>
public sealed class SearchCostTests : IDisposable
{
    private const int Spans = 8;
    private const int AttributeBytes = 4 * 1024 * 1024;
    private readonly BlockStore _store;
    private readonly string _folder;

    public SearchCostTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task SearchingForAnAttributeDecodesOnlyTheSpansThatHaveIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var meta = await TestData.WriteBlockAsync(_store, "t1", [LargeSpans()]);
        var memory = new BlockStore(new PreloadedObjectStore(_folder), new BlockKeys("blocks"));
        var index = await memory.ReadIndexAsync(meta, ct);
        await memory.SearchAsync(meta, index, new SpanQuery { Attributes = [new("warm", "up")] }, ct);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var search = memory.SearchAsync(meta, index, new SpanQuery { Attributes = [new("absent", "x")] }, ct);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(search.IsCompleted, "the in-memory search should complete synchronously for the allocation count to hold");
        var none = await search;
        var one = await memory.SearchAsync(meta, index, new SpanQuery { Attributes = [new("n", "3")] }, ct);

        Assert.Empty(none);
        Assert.Equal("3", Assert.Single(one).Span.Attributes[1].Value.StringValue);
        // Reading the row group's columns costs about three times the stored bytes (Spans × AttributeBytes) in
        // Parquet.Net; decoding every span would add about twice as much again (each attribute as a UTF-16 string).
        TestContext.Current.TestOutputHelper?.WriteLine($"allocated {allocated / (1024 * 1024)} MiB");
        Assert.True(allocated < 4L * Spans * AttributeBytes, $"a search matching nothing allocated {allocated / (1024 * 1024)} MiB over {Spans} spans of {AttributeBytes / (1024 * 1024)} MiB");
    }

    [Fact]
    public async Task ASearchDecodesNoMoreSpansThanItsLimitWhenEachSpanIsARowGroup()
    {
        // Each span is larger than BlockBuildOptions.RowGroupBytes, so each is a row group of its own; span i starts
        // i ns after the first, so the newest span is in the last row group.
        var ct = TestContext.Current.CancellationToken;
        var meta = await TestData.WriteBlockAsync(_store, "t1", [LargeSpans()]);
        var memory = new BlockStore(new PreloadedObjectStore(_folder), new BlockKeys("blocks"));
        var index = Assert.IsType<V1BlockIndex>(await memory.ReadIndexAsync(meta, ct));
        Assert.Equal(Spans, index.RowGroups.Count);
        await memory.SearchAsync(meta, index, new SpanQuery { Attributes = [new("warm", "up")] }, ct);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var search = memory.SearchAsync(meta, index, new SpanQuery { Service = "big", Limit = 1 }, ct);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(search.IsCompleted, "the in-memory search should complete synchronously for the allocation count to hold");
        var newest = Assert.Single(await search);
        var two = await memory.SearchAsync(meta, index, new SpanQuery { Service = "big", Limit = 2 }, ct);

        Assert.Equal(Spans.ToString(System.Globalization.CultureInfo.InvariantCulture), newest.Span.Attributes[1].Value.StringValue);
        Assert.Equal(["8", "7"], two.Select(s => s.Span.Attributes[1].Value.StringValue));
        // One row group read and one span decoded; without the search's floor the newest span of every row group
        // would be read and decoded, about Spans times as much.
        TestContext.Current.TestOutputHelper?.WriteLine($"allocated {allocated / (1024 * 1024)} MiB");
        Assert.True(allocated < 2L * Spans * AttributeBytes, $"a search with limit 1 allocated {allocated / (1024 * 1024)} MiB over {Spans} spans of {AttributeBytes / (1024 * 1024)} MiB");
    }

    /// <summary>One resource with <see cref="Spans"/> spans: span i (from 0) has trace and span IDs of byte i + 1, starts i ns after the first, and carries <c>payload</c> (AttributeBytes of one letter) and <c>n</c> = i + 1.</summary>
    private static ExportTraceServiceRequest LargeSpans()
    {
        var request = new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = new Resource { Attributes = { Attr("service.name", "big") } }, ScopeSpans = { new ScopeSpans() } } } };
        for (var i = 0; i < Spans; i++)
        {
            request.ResourceSpans[0].ScopeSpans[0].Spans.Add(new Span
            {
                TraceId = ByteString.CopyFrom(Enumerable.Repeat((byte)(i + 1), 16).ToArray()),
                SpanId = ByteString.CopyFrom(Enumerable.Repeat((byte)(i + 1), 8).ToArray()),
                Name = "op",
                StartTimeUnixNano = 1_764_057_600_000_000_000 + (ulong)i,
                EndTimeUnixNano = 1_764_057_600_000_000_100 + (ulong)i,
                Attributes = { Attr("payload", new string((char)('a' + i), AttributeBytes)), Attr("n", (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)) },
            });
        }

        return request;
    }

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    /// <summary>The file store's objects, read once into memory and then served as completed tasks.</summary>
    private sealed class PreloadedObjectStore(string folder) : IObjectStore
    {
        private readonly FileSystemObjectStore _files = new(folder);
        private readonly Dictionary<string, byte[]?> _objects = [];

        public Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
        {
            if (!_objects.TryGetValue(key, out var bytes))
            {
                bytes = _files.ReadAsync(key, cancellationToken).GetAwaiter().GetResult();
                _objects[key] = bytes;
            }

            return Task.FromResult(bytes);
        }

        public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken) =>
            (await ReadAsync(key, cancellationToken))!.AsSpan((int)offset, length).ToArray();

        public Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => _files.ListAsync(prefix, startAfter, cancellationToken);

        public Task DeleteAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CheckAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
