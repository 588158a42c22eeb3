using System.IO.Compression;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.Metadata;
using OtelStorage.Testing;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.Compaction.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class CompactionTests(Infrastructure infrastructure)
{
    private const string Tenant = "acme";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CompactionOptions FastOptions() => new()
    {
        Interval = TimeSpan.FromMilliseconds(200),
        MinBlockAge = TimeSpan.Zero,
        SourceDeleteGrace = TimeSpan.Zero,
        TargetSpans = 100_000,
        Compression = CompressionLevel.Optimal,
        RetryDelay = TimeSpan.FromMilliseconds(100),
    };

    private BlockStore NewStore(out RecordingObjectStore recording)
    {
        recording = new RecordingObjectStore(infrastructure.CreateObjectStore());
        return new BlockStore(recording, new BlockKeys("t" + Guid.NewGuid().ToString("N")[..10]));
    }

    private static string NewQueue() => "otelstorage.compaction.test-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// 100 blocks of about 100 spans in four one-hour windows, plus 16 blocks that repeat earlier requests of the same
    /// window (redeliveries). Returns the distinct spans, and the IDs of the blocks that are only repeats.
    /// </summary>
    private static async Task<(HashSet<string> Distinct, HashSet<string> RepeatBlocks)> WriteHundredBlocksAsync(BlockStore store)
    {
        var now = DateTimeOffset.UtcNow;
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-6);
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        var repeats = new HashSet<string>(StringComparer.Ordinal);
        var writes = new List<Task<(BlockMeta Meta, bool Repeat)>>();
        var id = 0;
        for (var w = 0; w < 4; w++)
        {
            var generator = new RealisticSpanGenerator(seed: 100 + w, start: hour.AddHours(w).AddMinutes(5));
            var requests = Enumerable.Range(0, 25).Select(_ => generator.NextRequest(100)).ToList();
            foreach (var r in requests)
            {
                distinct.UnionWith(Blocks.Fingerprints(r));
                writes.Add(Write(r, false));
            }

            foreach (var r in requests.Where((_, i) => i % 8 == 0))
            {
                writes.Add(Write(r, true));
            }
        }

        foreach (var (meta, repeat) in await Task.WhenAll(writes))
        {
            if (repeat)
            {
                repeats.Add(meta.BlockId);
            }
        }

        return (distinct, repeats);

        async Task<(BlockMeta, bool)> Write(OpenTelemetry.Proto.Collector.Trace.V1.ExportTraceServiceRequest request, bool repeat) =>
            (await Blocks.WriteAsync(store, Tenant, [request.Clone()], DateTimeOffset.UtcNow.AddSeconds(-60).AddMilliseconds(Interlocked.Increment(ref id))), repeat);
    }

    [Fact]
    public async Task HundredSmallBlocksBecomeAFewLargeOnesWithTheSameDistinctSpansAndNoDuplicates()
    {
        var store = NewStore(out var recording);
        var (distinct, repeats) = await WriteHundredBlocksAsync(store);
        var sources = (await store.ListBlocksAsync(Tenant, null, Ct).ToListAsync(Ct)).ToDictionary(m => m.BlockId, StringComparer.Ordinal);
        Assert.Equal(116, sources.Count);
        Assert.True((await Blocks.VisibleSpansAsync(store, Tenant)).Count > distinct.Count, "the repeats add duplicate spans before compaction");

        var queue = NewQueue();
        await using (var replica = new Replica(store, infrastructure.Broker.ConnectionString, FastOptions(), null, queue))
        {
            await replica.StartAsync();
            await Eventually.TrueAsync(
                async ct => (await store.ListBlocksAsync(Tenant, null, ct).ToListAsync(ct)) is var all && all.Count == 4 && all.All(m => m.CompactionLevel == 1),
                Timeout,
                Ct,
                "four compacted blocks and every source deleted");
        }

        var blocks = await store.ListBlocksAsync(Tenant, null, Ct).ToListAsync(Ct);
        var spans = await Blocks.VisibleSpansAsync(store, Tenant);
        Assert.Equal(distinct.Count, spans.Count);
        Assert.Equal(distinct.Order(StringComparer.Ordinal), spans.Order(StringComparer.Ordinal));
        Assert.Equal(116, blocks.Sum(b => b.Replaces.Count));

        // Statistics: the merge of the distinct sources' statistics (repeats left out), exactly.
        foreach (var block in blocks)
        {
            var originals = block.Replaces.Where(id => !repeats.Contains(id)).Select(id => sources[id]).ToList();
            Assert.Equal(originals.Sum(m => m.SpanCount), block.SpanCount);
            Assert.Equal(originals.Sum(m => m.TraceCount), block.TraceCount);
            AssertStatisticsAreTheMergeOf(originals, block);
        }
    }

    private static void AssertStatisticsAreTheMergeOf(IReadOnlyList<BlockMeta> sources, BlockMeta merged)
    {
        Assert.Equal(sources.SelectMany(s => s.Services).Distinct().Order(StringComparer.Ordinal), merged.Services);
        Assert.Equal(sources.Min(s => s.MinStartTimeUnixNano), merged.MinStartTimeUnixNano);
        Assert.Equal(sources.Max(s => s.MaxEndTimeUnixNano), merged.MaxEndTimeUnixNano);

        var operations = Merge(sources.SelectMany(s => s.OperationStatistics), o => $"{o.Service}|{o.Operation}|{o.Kind}", o => (o.RequestCount, o.ErrorCount, o.Duration));
        Assert.Equal(operations, Merge(merged.OperationStatistics, o => $"{o.Service}|{o.Operation}|{o.Kind}", o => (o.RequestCount, o.ErrorCount, o.Duration)));
        var services = Merge(sources.SelectMany(s => s.ServiceStatistics), s => s.Service, s => (s.RequestCount, s.ErrorCount, s.Duration));
        Assert.Equal(services, Merge(merged.ServiceStatistics, s => s.Service, s => (s.RequestCount, s.ErrorCount, s.Duration)));
        var edges = Merge(sources.SelectMany(s => s.Dependencies), e => $"{e.Parent}->{e.Child}", e => (e.CallCount, e.ErrorCount, e.Duration));
        Assert.Equal(edges, Merge(merged.Dependencies, e => $"{e.Parent}->{e.Child}", e => (e.CallCount, e.ErrorCount, e.Duration)));

        static SortedDictionary<string, string> Merge<T>(IEnumerable<T> items, Func<T, string> key, Func<T, (long Count, long Errors, DurationSummary Duration)> get)
        {
            var totals = new Dictionary<string, (long Count, long Errors, DurationSummary Duration)>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                var (count, errors, duration) = get(item);
                var t = totals.GetValueOrDefault(key(item), (0, 0, new DurationSummary()));
                t.Duration.Merge(duration);
                totals[key(item)] = (t.Count + count, t.Errors + errors, t.Duration);
            }

            return new SortedDictionary<string, string>(
                totals.ToDictionary(
                    t => t.Key,
                    t => $"{t.Value.Count} {t.Value.Errors} {t.Value.Duration.Count} {t.Value.Duration.SumNanos} {t.Value.Duration.MinNanos} {t.Value.Duration.MaxNanos} "
                        + $"{t.Value.Duration.P50Nanos} {t.Value.Duration.P90Nanos} {t.Value.Duration.P99Nanos} {string.Join(',', t.Value.Duration.Buckets)}"),
                StringComparer.Ordinal);
        }
    }

    [Fact]
    public async Task QueriesGiveTheSameAnswersBeforeDuringAndAfterCompaction()
    {
        var store = NewStore(out _);
        var (distinct, repeats) = await WriteHundredBlocksAsync(store);
        var all = await store.ListBlocksAsync(Tenant, null, Ct).ToListAsync(Ct);
        var traceIds = new List<byte[]>();
        await foreach (var s in store.ReadAllAsync(all[0], Ct))
        {
            traceIds.Add(s.Span.TraceId.ToByteArray());
        }

        traceIds.AddRange((await store.ReadAllAsync(all[^1], Ct).ToListAsync(Ct)).Select(s => s.Span.TraceId.ToByteArray()));
        var queries = new[]
        {
            new SpanQuery { Limit = 50 },
            new SpanQuery { Service = "checkout", Limit = 20 },
            new SpanQuery { StatusCode = 2, Limit = 1000 },
            new SpanQuery { MinDurationNanos = 50_000_000, Attributes = [new("http.request.method", "POST")], Limit = 30 },
        };

        async Task<string> AnswersAsync(IReadOnlyList<BlockMeta>? catalog = null)
        {
            var visible = catalog ?? await Blocks.VisibleAsync(store, Tenant);
            var answers = new List<string>();
            var indexes = new Dictionary<string, BlockIndex>(StringComparer.Ordinal);
            foreach (var m in visible)
            {
                indexes[m.BlockId] = await store.ReadIndexAsync(m, Ct);
            }

            foreach (var id in traceIds.DistinctBy(Convert.ToHexString))
            {
                var spans = new List<StoredSpan>();
                foreach (var m in visible)
                {
                    spans.AddRange(await store.FindTraceAsync(m, indexes[m.BlockId], id, Ct));
                }

                // Readers de-duplicate by (trace ID, span ID), as DESIGN.md requires.
                answers.Add(string.Join(';', spans.DistinctBy(s => s.Key).Select(Blocks.Fingerprint).Order(StringComparer.Ordinal)));
            }

            foreach (var q in queries)
            {
                var spans = new List<StoredSpan>();
                foreach (var m in visible)
                {
                    spans.AddRange(await store.SearchAsync(m, indexes[m.BlockId], q, Ct));
                }

                spans.Sort(StoredSpan.NewestFirst);
                answers.Add(string.Join(';', spans.DistinctBy(s => s.Key).Take(q.Limit).Select(Blocks.Fingerprint)));
            }

            return string.Join('\n', answers);
        }

        var before = await AnswersAsync();
        var catalogBefore = await Blocks.VisibleAsync(store, Tenant);

        var compactor = new BlockCompactor(store, new BlockBuildOptions { Compression = CompressionLevel.SmallestSize }, TimeProvider.System);
        var plan = CompactionPlanner.Plan(Tenant, all, new CompactionPolicy { MinBlockAge = TimeSpan.Zero }, DateTimeOffset.UtcNow);
        Assert.Equal(4, plan.Groups.Count);
        var results = new List<CompactionResult>();
        foreach (var group in plan.Groups)
        {
            results.Add(await compactor.CompactAsync(Tenant, group.Sources, Ct));
            // During: some windows compacted, their sources still stored (grace period), others not yet.
            Assert.Equal(before, await AnswersAsync());
        }

        Assert.All(results, r => Assert.Equal(CompactionSkipReason.None, r.Skipped));
        var repeatSpans = all.Where(m => repeats.Contains(m.BlockId)).Sum(m => m.SpanCount);
        Assert.Equal(repeatSpans, results.Sum(r => r.DuplicatesRemoved));
        // A query that listed blocks before the commit still reads its sources: they wait out the grace period.
        Assert.Equal(before, await AnswersAsync(catalogBefore));
        var visibleSpans = await Blocks.VisibleSpansAsync(store, Tenant);
        Assert.Equal(distinct.Count, visibleSpans.Count);

        var sweeper = new CompactionSweeper(store, TimeProvider.System);
        var kept = await sweeper.SweepAsync(Tenant, await store.ListBlocksAsync(Tenant, null, Ct).ToListAsync(Ct), TimeSpan.FromHours(1), TimeSpan.FromHours(1), Ct);
        Assert.Equal(0, kept.ReplacedDeleted);
        var swept = await sweeper.SweepAsync(Tenant, await store.ListBlocksAsync(Tenant, null, Ct).ToListAsync(Ct), TimeSpan.Zero, TimeSpan.FromHours(1), Ct);
        Assert.Equal(116, swept.ReplacedDeleted);
        Assert.Equal(4, (await store.ListBlocksAsync(Tenant, null, Ct).ToListAsync(Ct)).Count);
        Assert.Equal(before, await AnswersAsync());
    }

    [Fact]
    public async Task BlocksOfLargeSpansCompactIntoOneHoldingEverySpanExactlyAsStored()
    {
        // 3 blocks of 20 spans with 512 KiB attributes each: 30 MiB of spans, which the compactor hands to the
        // builder in chunks of about 4 MiB, so chunks end inside blocks and inside their resources.
        var store = NewStore(out _);
        var generator = new RealisticSpanGenerator(seed: 7, start: DateTimeOffset.UtcNow.AddMinutes(-30));
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        var sources = new List<string>();
        for (var b = 0; b < 3; b++)
        {
            var request = generator.NextRequest(20);
            var n = 0;
            foreach (var span in request.ResourceSpans.SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans))
            {
                span.Attributes.Add(new OpenTelemetry.Proto.Common.V1.KeyValue
                {
                    Key = "payload",
                    Value = new OpenTelemetry.Proto.Common.V1.AnyValue { StringValue = new string((char)('a' + (n++ % 26)), 512 * 1024) },
                });
            }

            distinct.UnionWith(Blocks.Fingerprints(request));
            sources.Add((await Blocks.WriteAsync(store, Tenant, [request], DateTimeOffset.UtcNow.AddSeconds(-60 + b))).BlockId);
        }

        var result = await new BlockCompactor(store, new BlockBuildOptions(), TimeProvider.System).CompactAsync(Tenant, sources, Ct);

        var merged = Assert.IsType<BlockMeta>(result.Block);
        Assert.Equal(distinct.Count, merged.SpanCount);
        var spans = new List<string>();
        await foreach (var s in store.ReadAllAsync(merged, Ct))
        {
            spans.Add(Blocks.Fingerprint(s));
        }

        Assert.Equal(distinct.Order(StringComparer.Ordinal), spans.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ABlockWhoseMetaJsonWasCutOffMidwayIsSweptAsAnOrphanOnceOlderThanTheGrace()
    {
        var objects = infrastructure.CreateObjectStore();
        var store = new BlockStore(objects, new BlockKeys("t" + Guid.NewGuid().ToString("N")[..10]));
        var old = DateTimeOffset.UtcNow.AddHours(-2);
        var generator = new RealisticSpanGenerator(seed: 7, start: old);
        var tornOld = await Blocks.WriteAsync(store, Tenant, [generator.NextRequest(20)], old);
        var tornYoung = await Blocks.WriteAsync(store, Tenant, [generator.NextRequest(20)], DateTimeOffset.UtcNow);
        var intactOld = await Blocks.WriteAsync(store, Tenant, [generator.NextRequest(20)], old);

        // What s3rver keeps of an upload cut off midway: the first bytes of meta.json.
        foreach (var torn in new[] { tornOld, tornYoung })
        {
            await objects.WriteAsync(store.Keys.Meta(Tenant, torn.BlockId), torn.ToJson().AsMemory(0, 40), Ct);
        }

        var sweeper = new CompactionSweeper(store, TimeProvider.System);
        var swept = await sweeper.SweepAsync(Tenant, await store.ReadAllMetasAsync(Tenant, 4, Ct), TimeSpan.FromHours(1), TimeSpan.FromHours(1), Ct);

        Assert.Equal(1, swept.OrphansDeleted);
        Assert.Equal(new[] { tornYoung.BlockId, intactOld.BlockId }.Order(StringComparer.Ordinal), (await store.ListBlockIdsAsync(Tenant, null, Ct).ToListAsync(Ct)).Order(StringComparer.Ordinal));
        Assert.Null(await objects.ReadAsync(store.Keys.Data(Tenant, tornOld.BlockId), Ct));
    }

    [Fact]
    public async Task CrashBetweenCommitAndSourceDeletionLeavesTheStoreConsistentAndTheJobFinishesAfterRestart()
    {
        var store = NewStore(out var recording);
        var (distinct, _) = await WriteHundredBlocksAsync(store);
        var queue = NewQueue();
        recording.CrashAfterCommit = _ => true;

        var first = new Replica(store, infrastructure.Broker.ConnectionString, FastOptions(), null, queue);
        await first.StartAsync();
        await Eventually.TrueAsync(() => recording.Crashed, Timeout, Ct, "the first compactor to crash after a commit");
        await first.KillAsync();
        recording.CrashAfterCommit = null;
        // Two jobs run at once, so a second commit already in flight may land too, as it could in a real crash.
        var crashedCommits = recording.CompactedCommits.ToList();
        Assert.InRange(crashedCommits.Count, 1, FastOptions().Concurrency);
        var restarted = new RecordingObjectStore(infrastructure.CreateObjectStore());
        var storeAfterRestart = new BlockStore(restarted, store.Keys);

        // Consistent: the committed block hides its sources, so every distinct span is seen, and no span twice.
        var spans = await Blocks.VisibleSpansAsync(storeAfterRestart, Tenant);
        Assert.Equal(distinct.Order(StringComparer.Ordinal), spans.Distinct().Order(StringComparer.Ordinal));
        var visibleIds = (await Blocks.VisibleAsync(storeAfterRestart, Tenant)).Select(m => m.BlockId).ToList();
        Assert.All(crashedCommits.SelectMany(c => c.Replaces), id => Assert.DoesNotContain(id, visibleIds));
        await first.DisposeAsync();

        await using (var second = new Replica(storeAfterRestart, infrastructure.Broker.ConnectionString, FastOptions(), null, queue))
        {
            await second.StartAsync();
            await Eventually.TrueAsync(
                async ct => (await storeAfterRestart.ListBlocksAsync(Tenant, null, ct).ToListAsync(ct)) is var all && all.Count == 4 && all.All(m => m.CompactionLevel == 1),
                Timeout,
                Ct,
                "the restarted compactor to finish every job and delete every source");
        }

        // The interrupted jobs were not done twice: their blocks are among the four, and no source went into two blocks.
        var blocks = await storeAfterRestart.ListBlocksAsync(Tenant, null, Ct).ToListAsync(Ct);
        Assert.All(crashedCommits, c => Assert.Contains(c.BlockId, blocks.Select(b => b.BlockId)));
        Assert.Equal(116, blocks.Sum(b => b.Replaces.Count));
        Assert.Equal(blocks.Sum(b => b.Replaces.Count), blocks.SelectMany(b => b.Replaces).Distinct().Count());
        Assert.Equal(distinct.Order(StringComparer.Ordinal), (await Blocks.VisibleSpansAsync(storeAfterRestart, Tenant)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TwoCompactorsAtOnceDoNoDoubleWorkAndLoseNoSpan()
    {
        var store = NewStore(out var recording);
        var (distinct, _) = await WriteHundredBlocksAsync(store);
        var queue = NewQueue();

        await using (var a = new Replica(store, infrastructure.Broker.ConnectionString, FastOptions(), null, queue))
        await using (var b = new Replica(store, infrastructure.Broker.ConnectionString, FastOptions(), null, queue))
        {
            await Task.WhenAll(a.StartAsync(), b.StartAsync());
            await Eventually.TrueAsync(
                async ct => (await store.ListBlocksAsync(Tenant, null, ct).ToListAsync(ct)) is var all && all.Count == 4 && all.All(m => m.CompactionLevel == 1),
                Timeout,
                Ct,
                "four compacted blocks to remain");
        }

        // Exactly one compacted block per window was ever committed, and no source was merged twice.
        Assert.Equal(4, recording.CompactedCommits.Count);
        var replaced = recording.CompactedCommits.SelectMany(c => c.Replaces).ToList();
        Assert.Equal(116, replaced.Count);
        Assert.Equal(replaced.Count, replaced.Distinct().Count());
        Assert.Equal(distinct.Order(StringComparer.Ordinal), (await Blocks.VisibleSpansAsync(store, Tenant)).Order(StringComparer.Ordinal));
    }
}
