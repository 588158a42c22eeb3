using System.Buffers.Binary;
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

/// <summary>Column conditions of a search: what they keep, what they must not drop, and what they spare reading.</summary>
public sealed class ColumnPushdownTests : IDisposable
{
    private const ulong Epoch = 1_764_057_600_000_000_000;
    private readonly string _folder;
    private readonly CountingObjectStore _objects;
    private readonly BlockStore _store;

    public ColumnPushdownTests()
    {
        _folder = Path.Combine(Path.GetTempPath(), "otelstorage-pushdown-" + Guid.NewGuid().ToString("N")[..8]);
        _objects = new CountingObjectStore(new FileSystemObjectStore(_folder));
        _store = new BlockStore(_objects, new BlockKeys("blocks"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task SetsPatternsAndRangesKeepExactlyTheSpansWhoseColumnsPass()
    {
        var ct = TestContext.Current.CancellationToken;
        var meta = await TestData.WriteBlockAsync(_store, "t", [Request(
            ("a", Span(1, "GET /cart", 100, ("http.route", "/cart"), ("http.response.status_code", 200L))),
            ("b", Span(2, "GET /shop", 200, ("http.route", "/shop"), ("http.response.status_code", 503L))),
            ("c", Span(3, "query", 300, ("db.system.name", "redis"))))]);
        var index = await _store.ReadIndexAsync(meta, ct);

        async Task<string[]> Names(params ColumnPredicate[] predicates) =>
            [.. (await _store.SearchAsync(meta, index, new SpanQuery { Predicates = predicates }, ct)).Select(s => s.Span.Name).Order()];

        Assert.Equal(["GET /cart", "GET /shop"], await Names(ColumnPredicate.AnyOf(SpanColumn.Service, ["a", "b"])));
        Assert.Equal(["GET /shop"], await Names(ColumnPredicate.Between(SpanColumn.HttpStatusCode, 500, long.MaxValue)));
        Assert.Equal(["GET /cart", "GET /shop"], await Names(ColumnPredicate.Matching(SpanColumn.Name, n => n.StartsWith("GET ", StringComparison.Ordinal))));
        Assert.Equal(["query"], await Names(ColumnPredicate.AnyOf(SpanColumn.DbSystem, ["redis"]), ColumnPredicate.Between(SpanColumn.Duration, 250, 300)));
        Assert.Empty(await Names(ColumnPredicate.AnyOf(SpanColumn.HttpRoute, ["/nope"])));
    }

    [Fact]
    public async Task AConditionOnAnAttributeColumnDoesNotDropASpanWhoseFirstKeyTheColumnCannotHold()
    {
        // The stable key holds a double, so the column holds the older key's 200: the row group is inexact there.
        var ct = TestContext.Current.CancellationToken;
        var meta = await TestData.WriteBlockAsync(_store, "t", [Request(
            ("a", Span(1, "odd", 100, ("http.response.status_code", 503.5), ("http.status_code", 200L))),
            ("a", Span(2, "plain", 100, ("http.response.status_code", 200L))))]);
        var index = Assert.IsType<V1BlockIndex>(await _store.ReadIndexAsync(meta, ct));

        var found = await _store.SearchAsync(meta, index, new SpanQuery { Predicates = [ColumnPredicate.Between(SpanColumn.HttpStatusCode, 500, long.MaxValue)] }, ct);

        Assert.Equal(InexactColumns.HttpStatusCode, index.RowGroups.Single().Inexact);
        Assert.Equal(["odd", "plain"], found.Select(s => s.Span.Name).Order());
    }

    [Fact]
    public async Task ASearchThatMatchesNoRowReadsTheDecidingColumnsAloneAndARowGroupRuledOutByStatisticsNotAtAll()
    {
        // Twenty row groups of twenty spans; durations grow with the trace ID, so each group has its own duration range.
        // Each span carries 8 KiB that does not compress, so a group's span_rest parts the groups' deciding columns.
        var ct = TestContext.Current.CancellationToken;
        var random = new Random(5);
        var spans = Enumerable.Range(1, 400).Select(i => ("svc", Span(i, "op", 1000L * i, ("http.route", "/r" + (i % 3)), ("payload", Convert.ToBase64String(RandomBytes(random, 6 * 1024))))));
        var meta = await TestData.WriteBlockAsync(_store, "t", [Request([.. spans])], new BlockBuildOptions { RowGroupSpans = 20 });
        var index = Assert.IsType<V1BlockIndex>(await _store.ReadIndexAsync(meta, ct));
        Assert.Equal(20, index.RowGroups.Count);

        var (reads, bytes) = (_objects.RangeReads, _objects.BytesRead);
        var outside = await _store.SearchAsync(meta, index, new SpanQuery { Predicates = [ColumnPredicate.Between(SpanColumn.Duration, 1_000_000_000, long.MaxValue)] }, ct);
        var outsideReads = _objects.RangeReads - reads;
        (reads, bytes) = (_objects.RangeReads, _objects.BytesRead);
        // A test, not a value list: meta.json's summaries would rule out a listed "/r1x" before the block is opened.
        var none = await _store.SearchAsync(meta, index, new SpanQuery { Predicates = [ColumnPredicate.Matching(SpanColumn.HttpRoute, v => v == "/r1x")] }, ct);
        var (noneReads, noneBytes) = (_objects.RangeReads - reads, _objects.BytesRead - bytes);
        (reads, bytes) = (_objects.RangeReads, _objects.BytesRead);
        var one = await _store.SearchAsync(meta, index, new SpanQuery { Predicates = [ColumnPredicate.Between(SpanColumn.Duration, 21_000, 21_000)] }, ct);
        var oneReads = _objects.RangeReads - reads;

        // Every duration is under a second, so the statistics rule out every group; the test for "/r1x" cannot use
        // them, so each group's start and route columns are read, in one GET per group.
        Assert.Empty(outside);
        Assert.Equal(0, outsideReads);
        Assert.Empty(none);
        Assert.Equal(0, _objects.Reads - 1);
        Assert.Equal(20, noneReads);
        Assert.True(noneBytes < meta.DataSizeBytes / 4, $"a search matching no row read {noneBytes} of {meta.DataSizeBytes} bytes");
        Assert.Equal("op", Assert.Single(one).Span.Name);
        Assert.True(oneReads <= 3, $"one row group's columns should take at most 3 GETs, took {oneReads}");
    }

    [Fact]
    public void AnIndexWrittenBeforeInexactColumnsWereKeptReadsWithEveryColumnInexact()
    {
        var index = new V1BlockIndex
        {
            Bloom = BloomFilter.Create(1, 0.01),
            RowGroups = [new RowGroupRange(4, 10, 1, 1, 2, 3, 4, InexactColumns.None)],
            DataLength = 100,
            FooterBytes = new byte[] { 1, 2, 3 },
        };
        var current = index.Serialize();
        // The older layout: magic OSI1 and 72 bytes per row group.
        var groupAt = 4 + 4 + BinaryPrimitives.ReadInt32LittleEndian(current.AsSpan(4)) + 4;
        byte[] older = [.. "OSI1"u8, .. current[4..(groupAt + 72)], .. current[(groupAt + 73)..]];

        var read = V1BlockIndex.Deserialize(older);

        Assert.Equal(InexactColumns.None, V1BlockIndex.Deserialize(current).RowGroups.Single().Inexact);
        Assert.Equal(InexactColumns.All, read.RowGroups.Single().Inexact);
        Assert.Equal((4L, 10, 3UL, 4UL), (read.RowGroups[0].Offset, read.RowGroups[0].Length, read.RowGroups[0].MinStartTimeUnixNano, read.RowGroups[0].MaxStartTimeUnixNano));
        Assert.Equal(new byte[] { 1, 2, 3 }, read.FooterBytes.ToArray());
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static ExportTraceServiceRequest Request(params (string Service, Span Span)[] spans)
    {
        var request = new ExportTraceServiceRequest();
        foreach (var group in spans.GroupBy(s => s.Service))
        {
            request.ResourceSpans.Add(new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = group.Key } } } },
                ScopeSpans = { new ScopeSpans { Spans = { group.Select(s => s.Span) } } },
            });
        }

        return request;
    }

    private static Span Span(int id, string name, long duration, params (string Key, object Value)[] attributes)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom([.. new byte[12], .. BitConverter.GetBytes(id).Reverse()]),
            SpanId = ByteString.CopyFrom([.. new byte[4], .. BitConverter.GetBytes(id).Reverse()]),
            Name = name,
            StartTimeUnixNano = Epoch + (ulong)id,
            EndTimeUnixNano = Epoch + (ulong)id + (ulong)duration,
        };
        foreach (var (key, value) in attributes)
        {
            span.Attributes.Add(new KeyValue
            {
                Key = key,
                Value = value switch
                {
                    string s => new AnyValue { StringValue = s },
                    long l => new AnyValue { IntValue = l },
                    double d => new AnyValue { DoubleValue = d },
                    _ => throw new ArgumentException($"no AnyValue for {value.GetType()}", nameof(attributes)),
                },
            });
        }

        return span;
    }
}
