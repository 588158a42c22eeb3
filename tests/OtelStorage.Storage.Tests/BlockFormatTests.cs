using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.V1;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Workload;
using Parquet;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class BlockFormatTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public BlockFormatTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task EveryFieldAndEveryAnyValueKindSurviveTheRoundTripAsEqualProtobufBytes()
    {
        var expected = TestData.Fingerprints([TestData.EveryField()]);

        var meta = await TestData.WriteBlockAsync(_store, "t1", [TestData.EveryField()]);
        var read = await _store.ReadAllAsync(meta, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(expected, TestData.Fingerprints(read));
    }

    [Fact]
    public async Task AssembledTracesDataEqualsTheRequestForASingleResourceAndScope()
    {
        var generator = new RealisticSpanGenerator(seed: 7);
        var request = new ExportTraceServiceRequest { ResourceSpans = { generator.NextRequest(50).ResourceSpans[0] } };
        var original = request.Clone();
        // Written order is (trace, start); sort the original the same way to compare whole messages.
        var spans = original.ResourceSpans[0].ScopeSpans.SelectMany(ss => ss.Spans).ToList();

        var meta = await TestData.WriteBlockAsync(_store, "t1", [request]);
        var read = await _store.ReadAllAsync(meta, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var assembled = OtlpAssembler.ToTracesData(read);

        Assert.Single(assembled.ResourceSpans);
        Assert.Equal(original.ResourceSpans[0].Resource.ToByteArray(), assembled.ResourceSpans[0].Resource.ToByteArray());
        Assert.Equal(original.ResourceSpans[0].SchemaUrl, assembled.ResourceSpans[0].SchemaUrl);
        Assert.Equal(spans.Count, assembled.ResourceSpans[0].ScopeSpans.Sum(ss => ss.Spans.Count));
    }

    [Fact]
    public async Task RealisticRequestsComeBackExactlyWithMetaCounts()
    {
        var requests = new RealisticSpanGenerator(seed: 3).Requests(25_000, 500).ToList();
        var expected = TestData.Fingerprints(requests);

        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 4_000 });
        var read = await _store.ReadAllAsync(meta, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(expected, TestData.Fingerprints(read));
        Assert.Equal(expected.Count, meta.SpanCount);
        Assert.Equal(7, meta.RowGroupCount);
        Assert.Equal(read.Select(s => s.Span.TraceId).Distinct().Count(), meta.TraceCount);
        Assert.Equal(read.Min(s => s.StartTimeUnixNano), meta.MinStartTimeUnixNano);
        Assert.Equal(read.Max(s => s.StartTimeUnixNano), meta.MaxStartTimeUnixNano);
        Assert.Contains("frontend", meta.Services);
        Assert.Contains("GET /api/cart", meta.Operations["frontend"]);
    }

    [Fact]
    public async Task DataParquetRowsAreInTraceIdThenStartTimeThenSpanIdOrderAcrossRowGroups()
    {
        var ct = TestContext.Current.CancellationToken;
        var random = new Random(17);
        var requests = new RealisticSpanGenerator(seed: 17).Requests(6_000, 400).ToList();
        // Parallel calls started in the same nanosecond tie on (trace, start), so only the span ID orders them; the
        // siblings travel in a request of their own, as an SDK's next export would carry them.
        var siblings = requests.SelectMany(r => r.ResourceSpans).Take(8).Select(rs => rs.Clone()).ToList();
        foreach (var span in siblings.SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans))
        {
            span.SpanId = ByteString.CopyFrom(TestData.Id(8, random.Next()));
        }

        requests.Add(new ExportTraceServiceRequest { ResourceSpans = { siblings } });
        foreach (var scope in requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans))
        {
            var shuffled = scope.Spans.ToArray();
            random.Shuffle(shuffled);
            scope.Spans.Clear();
            scope.Spans.Add(shuffled);
        }

        var shuffledRequests = requests.ToArray();
        random.Shuffle(shuffledRequests);
        var expected = requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans)
            .Select(s => RowKey(s.TraceId.Span, (long)s.StartTimeUnixNano, s.SpanId.Span)).Order().ToList();

        var meta = await TestData.WriteBlockAsync(_store, "t1", shuffledRequests, new BlockBuildOptions { RowGroupSpans = 500 });
        var data = await new FileSystemObjectStore(_folder).ReadAsync(_store.Keys.Data("t1", meta.BlockId), ct);
        Assert.NotNull(data);
        var rows = new List<(UInt128 Trace, ulong Start, ulong Span)>();
        var groupStarts = new List<int>();
        await using (var reader = await ParquetReader.CreateAsync(new MemoryStream(data), cancellationToken: ct))
        {
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var n = checked((int)group.RowCount);
                var traceIds = new byte[]?[n];
                var starts = new long[n];
                var spanIds = new byte[]?[n];
                await group.ReadAsync(reader.Schema.FindDataField("trace_id"), traceIds.AsMemory(), null, ct);
                await group.ReadAsync<long>(reader.Schema.FindDataField("start_time_unix_nano"), starts.AsMemory(), null, ct);
                await group.ReadAsync(reader.Schema.FindDataField("span_id"), spanIds.AsMemory(), null, ct);
                groupStarts.Add(rows.Count);
                rows.AddRange(Enumerable.Range(0, n).Select(i => RowKey(traceIds[i], starts[i], spanIds[i])));
            }
        }

        // The data exercises every key: row-group boundaries inside a trace, and ties on (trace, start).
        Assert.Equal((expected.Count + 499) / 500, groupStarts.Count);
        Assert.Contains(groupStarts.Skip(1), start => rows[start - 1].Trace == rows[start].Trace);
        Assert.True(rows.Zip(rows.Skip(1)).Count(p => p.First.Trace == p.Second.Trace && p.First.Start == p.Second.Start) >= 50, "too few (trace, start) ties to test the span-ID order");
        var outOfOrder = Enumerable.Range(1, rows.Count - 1).Where(i => rows[i - 1].CompareTo(rows[i]) >= 0).ToList();
        Assert.True(outOfOrder.Count == 0, $"{outOfOrder.Count} rows are not after their predecessor, the first is row {outOfOrder.FirstOrDefault()} in row group {groupStarts.FindLastIndex(start => start <= outOfOrder.FirstOrDefault())}");
        Assert.Equal(expected, rows);

        static (UInt128 Trace, ulong Start, ulong Span) RowKey(ReadOnlySpan<byte> traceId, long start, ReadOnlySpan<byte> spanId) =>
            (BinaryPrimitives.ReadUInt128BigEndian(traceId), unchecked((ulong)start), BinaryPrimitives.ReadUInt64BigEndian(spanId));
    }

    [Fact]
    public async Task TraceLookupReturnsTheWholeTraceWithOneRangedReadOfTheDataObject()
    {
        var requests = new RealisticSpanGenerator(seed: 5).Requests(30_000, 1000).ToList();
        var all = requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).ToList();
        var wanted = all[12_345].TraceId;
        var expectedSpans = all.Where(s => s.TraceId == wanted).Select(s => s.SpanId).OrderBy(id => id.ToBase64()).ToList();
        var counting = new CountingObjectStore(new FileSystemObjectStore(_folder));
        var store = new BlockStore(counting, new BlockKeys("blocks"));
        var meta = await TestData.WriteBlockAsync(store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 2_000 });
        var index = await store.ReadIndexAsync(meta, TestContext.Current.CancellationToken);
        counting.Reads = counting.RangeReads = 0;

        var found = await store.FindTraceAsync(meta, index, wanted.Memory, TestContext.Current.CancellationToken);

        Assert.Equal(expectedSpans, found.Select(s => s.Span.SpanId).OrderBy(id => id.ToBase64()).ToList());
        Assert.All(found, s => Assert.Equal(wanted, s.Span.TraceId));
        Assert.Equal(0, counting.Reads);
        Assert.InRange(counting.RangeReads, 1, 2);
        Assert.True(counting.BytesRead < meta.DataSizeBytes / 5, $"read {counting.BytesRead} of {meta.DataSizeBytes} bytes");
    }

    [Fact]
    public async Task ManyTracesLookedUpTogetherReadEachRowGroupOnceAndComeBackWhole()
    {
        var requests = new RealisticSpanGenerator(seed: 12).Requests(30_000, 1000).ToList();
        var expected = requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans)
            .GroupBy(s => Convert.ToHexString(s.TraceId.Span))
            .ToDictionary(t => t.Key, t => t.Select(s => s.SpanId.ToBase64()).Order(StringComparer.Ordinal).ToList());
        var counting = new CountingObjectStore(new FileSystemObjectStore(_folder));
        var store = new BlockStore(counting, new BlockKeys("blocks"));
        var meta = await TestData.WriteBlockAsync(store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 2_000 });
        var index = Assert.IsType<V1BlockIndex>(await store.ReadIndexAsync(meta, TestContext.Current.CancellationToken));
        // 200 traces next to each other in trace-ID order, and one absent ID among them.
        var asked = expected.Keys.Order(StringComparer.Ordinal).Skip(1_000).Take(200).ToList();
        var groups = index.RowGroups.Count(g => asked.Any(id => g.MayContainTrace(V1Rows.TraceKey(Convert.FromHexString(id)))));
        counting.Reads = counting.RangeReads = 0;

        var found = await store.FindTracesAsync(meta, index, [.. asked.Select(id => (ReadOnlyMemory<byte>)Convert.FromHexString(id)), TestData.Id(16, 12345)], TestContext.Current.CancellationToken);

        var byTrace = found.GroupBy(s => Convert.ToHexString(s.Span.TraceId.Span)).ToDictionary(t => t.Key, t => t.Select(s => s.Span.SpanId.ToBase64()).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(asked, byTrace.Keys.Order(StringComparer.Ordinal));
        Assert.All(asked, id => Assert.Equal(expected[id], byTrace[id]));
        Assert.InRange(groups, 1, 3);
        Assert.Equal(groups, counting.RangeReads);
        Assert.Equal(0, counting.Reads);
    }

    [Fact]
    public async Task EveryTraceIsFoundWholeWhenItsSpansCrossSeveralRowGroups()
    {
        // Row groups of three spans: most traces cross two or more groups, so every lookup reads several groups
        // through the footer subset, and every boundary inside a trace is exercised.
        var requests = new RealisticSpanGenerator(seed: 11).Requests(3_000, 500).ToList();
        var expected = requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans)
            .GroupBy(s => s.TraceId)
            .ToDictionary(t => t.Key, t => t.Select(s => s.SpanId.ToBase64()).Order(StringComparer.Ordinal).ToList());
        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 3 });
        var index = await _store.ReadIndexAsync(meta, TestContext.Current.CancellationToken);
        Assert.Contains(expected.Values, spans => spans.Count > 6);

        foreach (var (traceId, spanIds) in expected)
        {
            var found = await _store.FindTraceAsync(meta, index, traceId.Memory, TestContext.Current.CancellationToken);
            Assert.Equal(spanIds, found.Select(s => s.Span.SpanId.ToBase64()).Order(StringComparer.Ordinal).ToList());
        }
    }

    [Fact]
    public async Task SpansWithLargeAttributesGetRowGroupsBoundedByBytesAndAreStillFoundById()
    {
        var requests = new RealisticSpanGenerator(seed: 6).Requests(3_000, 500).ToList();
        var spans = requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).ToList();
        foreach (var span in spans.Where((_, i) => i % 10 == 0))
        {
            span.Attributes.Add(new KeyValue { Key = "http.request.body", Value = new AnyValue { StringValue = new string('b', 100_000) } });
        }

        var large = spans.Where((_, i) => i % 10 == 0).ToList();
        var expected = TestData.Fingerprints(requests);
        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 2_000, RowGroupBytes = 1024 * 1024 });
        var index = Assert.IsType<V1BlockIndex>(await _store.ReadIndexAsync(meta, TestContext.Current.CancellationToken));

        // 300 spans of 100 kB are 30 MB: about 30 row groups of 1 MiB, where the span count alone would give 2.
        Assert.InRange(meta.RowGroupCount, 25, 40);
        Assert.All(index.RowGroups, g => Assert.InRange(g.Rows, 1, 2_000));
        Assert.Equal(expected, TestData.Fingerprints(await _store.ReadAllAsync(meta, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken)));
        foreach (var traceId in large.Select(s => s.TraceId).Distinct().Take(20))
        {
            var found = await _store.FindTraceAsync(meta, index, traceId.Memory, TestContext.Current.CancellationToken);
            Assert.Equal(spans.Count(s => s.TraceId == traceId), found.Count);
        }
    }

    [Fact]
    public async Task TraceLookupOfAnAbsentIdReturnsNothing()
    {
        var meta = await TestData.WriteBlockAsync(_store, "t1", new RealisticSpanGenerator(seed: 9).Requests(2_000, 500));
        var index = await _store.ReadIndexAsync(meta, TestContext.Current.CancellationToken);

        var found = await _store.FindTraceAsync(meta, index, TestData.Id(16, 12345), TestContext.Current.CancellationToken);

        Assert.Empty(found);
    }

    [Fact]
    public void BloomFilterHasNoFalseNegativesAndAFalsePositiveRateOfAtMostOnePercent()
    {
        const int n = 100_000;
        var bloom = BloomFilter.Create(n, new BlockBuildOptions().BloomFalsePositiveRate);
        var random = new Random(11);
        var added = Enumerable.Range(0, n).Select(_ => { var id = new byte[16]; random.NextBytes(id); return id; }).ToList();
        added.ForEach(id => bloom.Add(id));
        var roundTripped = BloomFilter.ReadFrom(Serialize(bloom));

        var falseNegatives = added.Count(id => !roundTripped.MayContain(id));
        var probes = 200_000;
        var falsePositives = 0;
        for (var i = 0; i < probes; i++)
        {
            var id = new byte[16];
            random.NextBytes(id);
            falsePositives += roundTripped.MayContain(id) ? 1 : 0;
        }

        var rate = (double)falsePositives / probes;
        TestContext.Current.TestOutputHelper?.WriteLine($"bloom: {bloom.BitCount / (double)n:F1} bits per trace, {bloom.HashCount} hashes, measured false-positive rate {rate:P3}");
        Assert.Equal(0, falseNegatives);
        Assert.True(rate <= 0.01, $"false-positive rate {rate:P3} exceeds 1%");
    }

    [Fact]
    public void BloomFilterSpreadsSequentialIds()
    {
        var bloom = BloomFilter.Create(10_000, 0.005);
        for (var i = 0; i < 10_000; i++)
        {
            bloom.Add(SequentialId(i));
        }

        var falsePositives = Enumerable.Range(10_000, 50_000).Count(i => bloom.MayContain(SequentialId(i)));

        Assert.True(falsePositives < 500, $"{falsePositives} false positives of 50000");

        static byte[] SequentialId(int i)
        {
            var id = new byte[16];
            BitConverter.TryWriteBytes(id.AsSpan(12), i);
            return id;
        }
    }

    [Fact]
    public async Task SearchFiltersOnPromotedColumnsAndReturnsNewestFirst()
    {
        var requests = new RealisticSpanGenerator(seed: 13).Requests(20_000, 1000).ToList();
        var all = requests.SelectMany(r => r.ResourceSpans.SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s => (Service: rs.Resource.Attributes[0].Value.StringValue, Span: s.Clone()))))).ToList();
        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 3_000 });
        var index = await _store.ReadIndexAsync(meta, TestContext.Current.CancellationToken);
        var middle = all.Select(s => s.Span.StartTimeUnixNano).Order().ElementAt(all.Count / 2);
        var query = new SpanQuery
        {
            Service = "cart",
            Kind = (int)Span.Types.SpanKind.Server,
            EndUnixNano = middle,
            MinDurationNanos = 1_000_000,
            Attributes = [new("http.request.method", "GET")],
            Limit = 25,
        };
        var expected = all
            .Where(s => s.Service == "cart" && s.Span.Kind == Span.Types.SpanKind.Server && s.Span.StartTimeUnixNano <= middle
                && (long)(s.Span.EndTimeUnixNano - s.Span.StartTimeUnixNano) >= 1_000_000
                && s.Span.Attributes.Any(a => a.Key == "http.request.method" && a.Value.StringValue == "GET"))
            .OrderByDescending(s => s.Span.StartTimeUnixNano).ThenBy(s => s.Span.TraceId.ToByteArray(), ByteOrder.Instance).ThenBy(s => s.Span.SpanId.ToByteArray(), ByteOrder.Instance)
            .Take(25).Select(s => s.Span.SpanId).ToList();

        var found = await _store.SearchAsync(meta, index, query, TestContext.Current.CancellationToken);

        Assert.Equal(25, expected.Count);
        Assert.Equal(expected, found.Select(s => s.Span.SpanId).ToList());
    }

    [Fact]
    public async Task SearchFilterRunsAfterThePromotedColumnsAndOnlyMatchingSpansCountTowardTheLimit()
    {
        var requests = new RealisticSpanGenerator(seed: 17).Requests(10_000, 500).ToList();
        var all = requests.SelectMany(r => r.ResourceSpans.SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s => (Service: rs.Resource.Attributes[0].Value.StringValue, Span: s.Clone()))))).ToList();
        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 2_000 });
        var index = await _store.ReadIndexAsync(meta, TestContext.Current.CancellationToken);
        // Odd last byte of the span ID: a condition no column holds, true for about half of the spans.
        static bool Odd(ReadOnlySpan<byte> spanId) => (spanId[^1] & 1) == 1;
        var seen = new List<string>();
        var query = new SpanQuery
        {
            Service = "cart",
            Limit = 30,
            Filter = s =>
            {
                lock (seen)
                {
                    seen.Add(s.ServiceName);
                }

                return Odd(s.Span.SpanId.Span);
            },
        };
        var expected = all
            .Where(s => s.Service == "cart" && Odd(s.Span.SpanId.Span))
            .OrderByDescending(s => s.Span.StartTimeUnixNano).ThenBy(s => s.Span.TraceId.ToByteArray(), ByteOrder.Instance).ThenBy(s => s.Span.SpanId.ToByteArray(), ByteOrder.Instance)
            .Take(30).Select(s => s.Span.SpanId).ToList();

        var found = await _store.SearchAsync(meta, index, query, TestContext.Current.CancellationToken);

        Assert.Equal(30, expected.Count);
        Assert.Equal(expected, found.Select(s => s.Span.SpanId).ToList());
        Assert.NotEmpty(seen);
        Assert.All(seen, service => Assert.Equal("cart", service));
    }

    [Fact]
    public async Task SearchMatchesNonPromotedSpanAndResourceAttributes()
    {
        var meta = await TestData.WriteBlockAsync(_store, "t1", [TestData.EveryField()]);
        var index = await _store.ReadIndexAsync(meta, TestContext.Current.CancellationToken);

        var bySpanAttribute = await _store.SearchAsync(meta, index, new SpanQuery { Attributes = [new("i", long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("b", "true")] }, TestContext.Current.CancellationToken);
        var byResourceAttribute = await _store.SearchAsync(meta, index, new SpanQuery { Attributes = [new("service.name", "every-service")] }, TestContext.Current.CancellationToken);
        var none = await _store.SearchAsync(meta, index, new SpanQuery { Attributes = [new("s", "other")] }, TestContext.Current.CancellationToken);

        // "every field" carries them itself; "odd", its copy with an unknown field and the unnamed span through their
        // resource; "no resource" has neither.
        Assert.Equal(["odd", "odd", "every field", ""], bySpanAttribute.Select(s => s.Span.Name));
        Assert.Equal(4, byResourceAttribute.Count);
        Assert.Empty(none);
    }

    [Fact]
    public async Task SearchSkipsBlocksOutsideTheTimeRangeOrWithoutTheServiceWithoutReading()
    {
        var counting = new CountingObjectStore(new FileSystemObjectStore(_folder));
        var store = new BlockStore(counting, new BlockKeys("blocks"));
        var meta = await TestData.WriteBlockAsync(store, "t1", new RealisticSpanGenerator(seed: 1).Requests(1_000, 500));
        var index = await store.ReadIndexAsync(meta, TestContext.Current.CancellationToken);
        counting.Reads = 0;

        var late = await store.SearchAsync(meta, index, new SpanQuery { StartUnixNano = meta.MaxStartTimeUnixNano + 1 }, TestContext.Current.CancellationToken);
        var unknown = await store.SearchAsync(meta, index, new SpanQuery { Service = "nope" }, TestContext.Current.CancellationToken);

        Assert.Empty(late);
        Assert.Empty(unknown);
        Assert.Equal(0, counting.Reads);
    }

    private static byte[] Serialize(BloomFilter bloom)
    {
        var bytes = new byte[bloom.SerializedSize];
        bloom.WriteTo(bytes);
        return bytes;
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
