using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Testing;
using OtelStorage.Workload;
using Xunit;

namespace Batcher.Worker.Tests;

[Collection(BrokerAndStoreCollection.Name)]
public sealed class BatcherTests(RabbitMqServer rabbit, S3rverServer s3)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PublishedRequestsAreStoredExactlyOncePerTenantAndLosslessly()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var worker = await harness.StartWorkerAsync(BatcherHarness.FastOptions(batchSize: 3_000));
        var generator = new RealisticSpanGenerator(seed: 101);
        var acme = generator.Requests(12_000, 400).ToList();
        var globex = generator.Requests(3_000, 300).ToList();
        var expectedAcme = Fingerprints(acme);
        var expectedGlobex = Fingerprints(globex);

        foreach (var (a, i) in acme.Select((r, i) => (r, i)))
        {
            await harness.PublishAsync(a, "acme");
            if (i < globex.Count)
            {
                await harness.PublishAsync(globex[i], "globex");
            }
        }

        var acmeBlocks = await harness.WaitForSpansAsync("acme", expectedAcme.Count, Timeout);
        await harness.WaitForSpansAsync("globex", expectedGlobex.Count, Timeout);
        await Eventually.TrueAsync(async _ => await harness.ReadyMessagesAsync(harness.Queue.Queue) == 0, Timeout, TestContext.Current.CancellationToken, "the queue to drain");

        Assert.Equal(expectedAcme, Fingerprints(await harness.StoredSpansAsync("acme")));
        Assert.Equal(expectedGlobex, Fingerprints(await harness.StoredSpansAsync("globex")));
        Assert.True(acmeBlocks.Count >= 4, $"batch_size 3000 should cut at least 4 blocks of 12000 spans, got {acmeBlocks.Count}");
        Assert.All(acmeBlocks, m => Assert.Equal("acme", m.Tenant));
        Assert.Equal(expectedAcme.Count + expectedGlobex.Count, worker.Counter("otelstorage.batcher.spans.consumed"));
        Assert.Equal(acme.Count + globex.Count, worker.Counter("otelstorage.batcher.messages.consumed"));
        await Eventually.TrueAsync(() => worker.Counter("otelstorage.batcher.blocks.written") >= acmeBlocks.Count + 1, Timeout, TestContext.Current.CancellationToken, "block counters");
        Assert.True(worker.Counter("otelstorage.batcher.block.bytes") > 0);
    }

    [Fact]
    public async Task ASmallBatchIsWrittenWithinTheBatchTimeout()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        await harness.StartWorkerAsync(BatcherHarness.FastOptions(timeoutMs: 500));
        var request = new RealisticSpanGenerator(seed: 5).NextRequest(10);
        var spans = request.ResourceSpans.Sum(rs => rs.ScopeSpans.Sum(ss => ss.Spans.Count));
        await harness.PublishAsync(new ExportTraceServiceRequest()); // an empty request is valid and writes nothing

        var started = DateTime.UtcNow;
        await harness.PublishAsync(request);
        await harness.WaitForSpansAsync("acme", spans, Timeout);
        var elapsed = DateTime.UtcNow - started;

        // The batch is far below every size limit, so only the timeout can cut it. The freshness bound is the timeout
        // plus 2 s; 5 s leaves room for a slow PUT on a loaded 2-core CI machine.
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"a 500 ms batch timeout took {elapsed.TotalMilliseconds:F0} ms to commit");
        Assert.Single(await harness.Blocks.ListBlocksAsync("acme", null, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ABatchIsCutWhenItsMessagesReachBatchMaxBytesWithAtMostOneMessageOver()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        const long limit = 256 * 1024;
        var options = BatcherHarness.FastOptions(batchSize: 10_000_000, timeoutMs: 600_000);
        options.BatchMaxBytes = limit;
        var worker = await harness.StartWorkerAsync(options);
        var generator = new RealisticSpanGenerator(seed: 61);
        var sizes = new Random(61);
        var requests = new List<ExportTraceServiceRequest>();
        while (requests.Sum(r => (long)r.CalculateSize()) < limit * 9 / 2)
        {
            requests.Add(generator.NextRequest(sizes.Next(20, 200)));
        }

        // Each request holds whole traces, so a trace ID names the message its spans came in.
        var messageOf = requests.SelectMany((r, i) => r.ResourceSpans.SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans).Select(s => (s.TraceId, i)))
            .DistinctBy(x => x.TraceId).ToDictionary(x => x.TraceId, x => x.i);
        var totalBytes = requests.Sum(r => (long)r.CalculateSize());
        var totalSpans = Fingerprints(requests).Count;
        foreach (var r in requests)
        {
            await harness.PublishAsync(r);
        }

        // Every message is batched, and every block cut so far is committed: what is left open is under the limit.
        var blocks = new Dictionary<string, int[]>();
        await Eventually.TrueAsync(
            async ct =>
            {
                foreach (var meta in await harness.Blocks.ListBlocksAsync("acme", null, ct).ToListAsync(ct))
                {
                    if (!blocks.ContainsKey(meta.BlockId))
                    {
                        var spans = await harness.Blocks.ReadAllAsync(meta, ct).ToListAsync(ct);
                        blocks[meta.BlockId] = [.. spans.Select(s => messageOf[s.Span.TraceId]).Distinct().Order()];
                    }
                }

                return worker.Counter("otelstorage.batcher.spans.consumed") == totalSpans
                    && blocks.Values.Sum(b => b.Sum(i => (long)requests[i].CalculateSize())) > totalBytes - limit;
            },
            Timeout,
            TestContext.Current.CancellationToken,
            "every block cut by the byte limit to be committed");

        // 4.5 limits' worth of messages, each block holding at least the limit and less than one message more: 3 or 4
        // blocks, and the rest still open.
        Assert.InRange(blocks.Count, 3, 4);
        foreach (var (blockId, messages) in blocks)
        {
            var bytes = messages.Sum(i => (long)requests[i].CalculateSize());
            var largest = messages.Max(i => requests[i].CalculateSize());
            Assert.True(bytes >= limit, $"block {blockId} holds {bytes} bytes of messages: cut before the {limit}-byte limit");
            Assert.True(bytes < limit + largest, $"block {blockId} holds {bytes} bytes of messages: more than one message past the {limit}-byte limit");
        }

        // Messages are never split between blocks, and none is in two.
        var stored = await harness.StoredSpansAsync("acme");
        var batched = blocks.Values.SelectMany(m => m).ToList();
        Assert.Equal(batched.Count, batched.Distinct().Count());
        Assert.Equal(batched.Sum(i => requests[i].ResourceSpans.Sum(rs => rs.ScopeSpans.Sum(ss => ss.Spans.Count))), stored.Count);
        Assert.Equal(0, worker.Counter("otelstorage.batcher.messages.dead_lettered"));
    }

    [Fact]
    public async Task PoisonMessagesReachTheDeadLetterQueueWithTheirReasonAndAreCounted()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var worker = await harness.StartWorkerAsync(BatcherHarness.FastOptions());
        var good = new RealisticSpanGenerator(seed: 9).NextRequest(50);
        var spans = good.ResourceSpans.Sum(rs => rs.ScopeSpans.Sum(ss => ss.Spans.Count));
        var validSpan = good.ResourceSpans[0].ScopeSpans[0].Spans[0];
        var zeroTraceId = validSpan.Clone();
        zeroTraceId.TraceId = ByteString.CopyFrom(new byte[16]);
        byte[] truncatedKey = [0x0A, 5]; // a KeyValue whose 5-byte key is missing

        await harness.PublishRawAsync([0x0A, 0xFF, 0xFF, 0x01], "acme");
        await harness.PublishAsync(good, "../escape");
        // Malformed inside the resource, and inside a span's event: the block builder copies both as bytes.
        await harness.PublishRawAsync(Field(1, Field(1, Field(1, truncatedKey))), "acme");
        await harness.PublishRawAsync(Field(1, Field(2, Field(2, [.. validSpan.ToByteArray(), .. Field(11, truncatedKey)]))), "acme");
        await harness.PublishAsync(new ExportTraceServiceRequest { ResourceSpans = { new OpenTelemetry.Proto.Trace.V1.ResourceSpans { ScopeSpans = { new OpenTelemetry.Proto.Trace.V1.ScopeSpans { Spans = { zeroTraceId } } } } } }, "acme");
        await harness.PublishAsync(good, "acme");

        await harness.WaitForSpansAsync("acme", spans, Timeout);
        await Eventually.TrueAsync(async _ => await harness.ReadyMessagesAsync(harness.Queue.DeadLetterQueue) == 5, Timeout, TestContext.Current.CancellationToken, "five dead letters");
        var reasons = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var message = await harness.GetDeadLetterAsync();
            Assert.NotNull(message);
            reasons.Add(Encoding.UTF8.GetString((byte[])message.BasicProperties.Headers![OtelStorage.Messaging.SpanMessage.Headers.DeadLetterReason]!));
            Assert.Equal(harness.Queue.Queue, Encoding.UTF8.GetString((byte[])message.BasicProperties.Headers!["x-original-queue"]!));
        }

        Assert.Equal(3, reasons.Count(r => r.StartsWith("body is not a valid OTLP protobuf ExportTraceServiceRequest", StringComparison.Ordinal)));
        Assert.Contains(reasons, r => r.Contains("tenant header '../escape'", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("1 invalid span(s), the first at resourceSpans[0].scopeSpans[0].spans[0]: traceId must not be all zeros", StringComparison.Ordinal));
        Assert.Equal(5, worker.Counter("otelstorage.batcher.messages.dead_lettered"));
        Assert.Equal(spans, (await harness.StoredSpansAsync("acme")).Count);
        Assert.Empty(await harness.Blocks.ListTenantsAsync(TestContext.Current.CancellationToken).Where(t => t != "acme").ToListAsync(TestContext.Current.CancellationToken));

        static byte[] Field(int number, byte[] payload)
        {
            using var buffer = new MemoryStream();
            var output = new CodedOutputStream(buffer);
            output.WriteTag(number, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(payload));
            output.Flush();
            return buffer.ToArray();
        }
    }

    [Fact]
    public async Task ThePrefetchWindowHoldsPrefetchBytesOfMessagesOfTheAverageSize()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var options = BatcherHarness.FastOptions();
        options.PrefetchBytes = 8 * 1024 * 1024;
        options.Prefetch = 300;
        var worker = await harness.StartWorkerAsync(options);
        using var management = new HttpClient
        {
            BaseAddress = rabbit.ManagementUri,
            DefaultRequestHeaders = { Authorization = new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("guest:guest"))) },
        };

        // Before any message: sized for Ingest.Api's largest messages, 8 MiB / 256 KiB.
        await Eventually.TrueAsync(async _ => await PrefetchAsync() is [32], Timeout, TestContext.Current.CancellationToken, "one consumer with a window of 32");

        // Messages of about 50 KB: 8 MiB / 50 KB is about 168.
        var requests = new RealisticSpanGenerator(seed: 31).Requests(80_000, 160).ToList();
        var average = requests.Average(r => r.CalculateSize());
        foreach (var r in requests)
        {
            await harness.PublishAsync(r);
        }

        await harness.WaitForSpansAsync("acme", Fingerprints(requests).Count, Timeout);
        var expected = options.PrefetchFor(average);
        Assert.InRange(expected, 120, 230);
        await Eventually.TrueAsync(async _ => await PrefetchAsync() is [var window] && Math.Abs(window - expected) * 4 <= expected, Timeout, TestContext.Current.CancellationToken, $"one consumer with a window near {expected}");

        // Small messages: the window reaches its cap in messages.
        var tiny = new RealisticSpanGenerator(seed: 32).Requests(3_000, 2).ToList();
        foreach (var r in tiny)
        {
            await harness.PublishAsync(r);
        }

        await harness.WaitForSpansAsync("acme", Fingerprints(requests).Count + Fingerprints(tiny).Count, Timeout);
        Assert.Equal(300, options.PrefetchFor(tiny.Average(r => r.CalculateSize())));
        await Eventually.TrueAsync(async _ => await PrefetchAsync() is [300], Timeout, TestContext.Current.CancellationToken, "one consumer with the capped window of 300");
        Assert.Equal(0u, await harness.ReadyMessagesAsync(harness.Queue.Queue));

        async Task<int[]> PrefetchAsync()
        {
            using var json = System.Text.Json.JsonDocument.Parse(await management.GetStringAsync(new Uri("api/consumers/%2F", UriKind.Relative), TestContext.Current.CancellationToken));
            return [.. json.RootElement.EnumerateArray()
                .Where(c => c.GetProperty("queue").GetProperty("name").GetString() == harness.Queue.Queue)
                .Select(c => c.GetProperty("prefetch_count").GetInt32())];
        }
    }

    [Fact]
    public async Task GracefulShutdownFlushesTheOpenBatch()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var options = BatcherHarness.FastOptions(timeoutMs: 600_000);
        var worker = await harness.StartWorkerAsync(options);
        var requests = new RealisticSpanGenerator(seed: 12).Requests(2_000, 250).ToList();
        foreach (var r in requests)
        {
            await harness.PublishAsync(r);
        }

        var spans = Fingerprints(requests).Count;
        await Eventually.TrueAsync(() => worker.Counter("otelstorage.batcher.spans.consumed") == spans, Timeout, TestContext.Current.CancellationToken, "the worker to batch every span");
        Assert.Empty(await harness.Blocks.ListBlockIdsAsync("acme", null, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));

        await worker.StopAsync();

        Assert.Equal(spans, (await harness.StoredSpansAsync("acme")).Count);
        Assert.Equal(0u, await harness.ReadyMessagesAsync(harness.Queue.Queue));
    }

    [Fact]
    public async Task ObjectStoreOutageLosesNothingAndAcknowledgesNothingBeforeItsWrite()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var generator = new RealisticSpanGenerator(seed: 77);
        var before = generator.Requests(1_000, 250).ToList();
        var during = generator.Requests(1_500, 250).ToList();
        var whileDown = generator.Requests(800, 200).ToList();
        var worker = await harness.StartWorkerAsync(BatcherHarness.FastOptions());
        try
        {
            foreach (var r in before)
            {
                await harness.PublishAsync(r);
            }

            await harness.WaitForSpansAsync("acme", Fingerprints(before).Count, Timeout);

            // Phase 1: s3rver dies with a batch in flight and comes back; the same worker retries until the write succeeds.
            s3.Kill();
            foreach (var r in during)
            {
                await harness.PublishAsync(r);
            }

            await Eventually.TrueAsync(() => worker.Counter("otelstorage.batcher.objectstore.errors") >= 2, Timeout, TestContext.Current.CancellationToken, "failed writes");
            Assert.Equal(0u, await harness.ReadyMessagesAsync(harness.Queue.Queue));
            await s3.StartAsync(TestContext.Current.CancellationToken);
            await harness.WaitForSpansAsync("acme", Fingerprints(before).Count + Fingerprints(during).Count, Timeout);

            // Phase 2: s3rver dies again and the worker crashes while retrying: every message of the unwritten batch is still unacked.
            s3.Kill();
            foreach (var r in whileDown)
            {
                await harness.PublishAsync(r);
            }

            var errors = worker.Counter("otelstorage.batcher.objectstore.errors");
            await Eventually.TrueAsync(() => worker.Counter("otelstorage.batcher.objectstore.errors") > errors, Timeout, TestContext.Current.CancellationToken, "failed writes");
            var stopping = worker.StopAsync();
            await worker.AbortConnectionAsync();
            await stopping;
            await Eventually.TrueAsync(async _ => await harness.ReadyMessagesAsync(harness.Queue.Queue) == (uint)whileDown.Count, Timeout, TestContext.Current.CancellationToken, "every unwritten message back in the queue");

            await s3.StartAsync(TestContext.Current.CancellationToken);
            await harness.StartWorkerAsync(BatcherHarness.FastOptions());
            var all = before.Concat(during).Concat(whileDown).ToList();
            await harness.WaitForSpansAsync("acme", Fingerprints(all).Count, Timeout);

            // At least once: a block written just before its channel broke is written again from the redelivered
            // messages, and readers drop the copy. Nothing may be missing.
            Assert.Equal(Fingerprints(all), Fingerprints(await harness.StoredSpansAsync("acme")).Distinct());
        }
        finally
        {
            if (s3.Process.HasExited)
            {
                await s3.StartAsync(CancellationToken.None);
            }
        }
    }

    [Fact]
    public async Task ACrashBetweenDataAndMetaWriteRedeliversTheMessagesAndLeavesAnIgnoredOrphan()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var faulty = new FaultyObjectStore(harness.ObjectStore) { HangOnMeta = true };
        var crashing = await harness.StartWorkerAsync(BatcherHarness.FastOptions(), faulty);
        var requests = new RealisticSpanGenerator(seed: 55).Requests(1_200, 300).ToList();
        foreach (var r in requests)
        {
            await harness.PublishAsync(r);
        }

        await faulty.DataWritten.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        var stopping = crashing.StopAsync();
        await crashing.AbortConnectionAsync();
        await stopping;
        Assert.Empty(await harness.Blocks.ListBlockIdsAsync("acme", null, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));

        await harness.StartWorkerAsync(BatcherHarness.FastOptions());
        await harness.WaitForSpansAsync("acme", Fingerprints(requests).Count, Timeout);
        var orphans = await harness.Blocks.ListOrphansAsync("acme", DateTimeOffset.UtcNow.AddMinutes(1), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Fingerprints(requests), Fingerprints(await harness.StoredSpansAsync("acme")));
        Assert.Single(orphans);
        await harness.Blocks.DeleteAsync("acme", orphans[0], TestContext.Current.CancellationToken);
        Assert.Empty(await harness.Blocks.ListOrphansAsync("acme", DateTimeOffset.UtcNow.AddMinutes(1), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TwoReplicasWriteBlocksThatNeverOverlap()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var options = BatcherHarness.FastOptions(batchSize: 1_000);
        options.Prefetch = 8;
        var first = await harness.StartWorkerAsync(options);
        var second = await harness.StartWorkerAsync(options);
        var requests = new RealisticSpanGenerator(seed: 202).Requests(10_000, 200).ToList();
        foreach (var r in requests)
        {
            await harness.PublishAsync(r);
        }

        var expected = Fingerprints(requests);
        var metas = await harness.WaitForSpansAsync("acme", expected.Count, Timeout);
        var perBlock = new List<HashSet<(UInt128, ulong)>>();
        foreach (var meta in metas)
        {
            perBlock.Add([.. (await harness.Blocks.ReadAllAsync(meta, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken)).Select(s => s.Key)]);
        }

        Assert.Equal(metas.Count, metas.Select(m => m.BlockId).Distinct().Count());
        Assert.Equal(expected.Count, perBlock.Sum(b => b.Count));
        Assert.Equal(expected.Count, perBlock.SelectMany(b => b).Distinct().Count());
        Assert.True(first.Counter("otelstorage.batcher.blocks.written") > 0, "the first replica wrote no block");
        Assert.True(second.Counter("otelstorage.batcher.blocks.written") > 0, "the second replica wrote no block");
    }

    private static List<string> Fingerprints(IEnumerable<ExportTraceServiceRequest> requests) =>
    [
        .. requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s =>
            string.Join('|', rs.Resource.ToByteString().ToBase64(), rs.SchemaUrl, ss.Scope.ToByteString().ToBase64(), ss.SchemaUrl, s.ToByteString().ToBase64()))))
            .Order(StringComparer.Ordinal),
    ];

    private static List<string> Fingerprints(IEnumerable<StoredSpan> spans) =>
    [
        .. spans.Select(s => string.Join('|', s.Resource!.ToByteString().ToBase64(), s.ResourceSchemaUrl, s.Scope!.ToByteString().ToBase64(), s.ScopeSchemaUrl, s.Span.ToByteString().ToBase64()))
            .Order(StringComparer.Ordinal),
    ];
}
