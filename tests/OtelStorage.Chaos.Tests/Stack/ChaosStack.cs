using System.Buffers.Binary;
using System.Globalization;
using OtelStorage.LoadGen.Verification;
using OtelStorage.Testing;

namespace OtelStorage.Chaos.Tests.Stack;

/// <summary>
/// The system for the chaos scenarios: a <see cref="ServiceStack"/> with two Batcher.Worker replicas, short batches,
/// store retries at least every 2 s and compaction of blocks 10 s old, so that every fault meets batches, uploads and
/// compaction at work. Each process's output is kept under TestResults/chaos-logs.
/// </summary>
/// <param name="name">Names the stack's log files.</param>
/// <param name="maxQueueBytes">The span queue's size limit (<c>Messaging:MaxQueueBytes</c>).</param>
/// <param name="prefetch">Each Batcher's prefetch (<c>processing:prefetch</c>), or its default.</param>
public abstract class ChaosStack(string name, long maxQueueBytes, int? prefetch) : ServiceStack(Options(name, maxQueueBytes, prefetch))
{
    /// <summary>Batch timeout: short, so acknowledged spans become durable (and queryable) within about a second.</summary>
    public const int BatchTimeoutMs = 500;

    /// <summary>The span queue's name (the default of SpanQueueOptions).</summary>
    public const string Queue = "otelstorage.spans";

    private QueryApiTraceSource? _traces;

    /// <summary>Where Ingest.Api takes OTLP/HTTP protobuf exports.</summary>
    public Uri HttpTracesUri => new(IngestHttp, "v1/traces");

    /// <summary>
    /// The load generator's verifier, reading through this stack's Query.Api: incomplete traces are asked again every
    /// 250 ms, and after a first pass slower than the timeout for 10 s more rather than the whole timeout again, so
    /// that spans really lost do not hold a check of many traces for minutes.
    /// </summary>
    public TraceVerifier Verifier(SpanLedger ledger, int concurrency) => new(
        _traces ??= new QueryApiTraceSource(QueryUri, new Dictionary<string, string>()),
        ledger,
        new VerificationOptions { Concurrency = concurrency, PollInterval = TimeSpan.FromMilliseconds(250), GraceAfterFirstPass = TimeSpan.FromSeconds(10) });

    /// <summary>Committed blocks written by compaction, over every tenant: shows that compaction ran under the faults.</summary>
    public async Task<int> CompactedBlocksAsync(CancellationToken cancellationToken)
    {
        var compacted = 0;
        await foreach (var tenant in Blocks.ListTenantsAsync(cancellationToken))
        {
            compacted += await Blocks.ListBlocksAsync(tenant, null, cancellationToken).CountAsync(b => b.CompactionLevel > 0, cancellationToken);
        }

        return compacted;
    }

    /// <summary>
    /// Where each span is stored: every committed block is read in full, and for each block holding a span, whether
    /// the block's own trace lookup (index, then row groups) returns it too. This tells a span never written (or
    /// deleted) from one stored but missed by the read path. Slow: for failure messages only.
    /// </summary>
    public async Task<IReadOnlyDictionary<(string TraceId, ulong SpanId), List<string>>> LocateSpansAsync(
        IReadOnlyCollection<(string TraceId, ulong SpanId)> spans,
        CancellationToken cancellationToken)
    {
        var found = spans.Distinct().ToDictionary(s => s, _ => new List<string>());
        var store = Blocks;
        await foreach (var tenant in store.ListTenantsAsync(cancellationToken))
        {
            await foreach (var meta in store.ListBlocksAsync(tenant, null, cancellationToken))
            {
                var here = new List<(string TraceId, ulong SpanId)>();
                await foreach (var stored in store.ReadAllAsync(meta, cancellationToken))
                {
                    var key = (Convert.ToHexStringLower(stored.Span.TraceId.Span), BinaryPrimitives.ReadUInt64BigEndian(stored.Span.SpanId.Span));
                    if (found.ContainsKey(key))
                    {
                        here.Add(key);
                    }
                }

                if (here.Count == 0)
                {
                    continue;
                }

                var index = await store.ReadIndexAsync(meta, cancellationToken);
                foreach (var trace in here.GroupBy(h => h.TraceId, h => h.SpanId))
                {
                    var lookedUp = (await store.FindTraceAsync(meta, index, Convert.FromHexString(trace.Key), cancellationToken))
                        .Select(s => BinaryPrimitives.ReadUInt64BigEndian(s.Span.SpanId.Span))
                        .ToHashSet();
                    foreach (var spanId in trace)
                    {
                        found[(trace.Key, spanId)].Add(
                            $"block {tenant}/{meta.BlockId} (level {meta.CompactionLevel}, {meta.SpanCount} spans, {meta.RowGroupCount} row groups, created {meta.CreatedAt:HH:mm:ss.fff}), " +
                            (lookedUp.Contains(spanId) ? "returned by its trace lookup" : "NOT returned by its trace lookup"));
                    }
                }
            }
        }

        return found;
    }

    protected override ValueTask BeforeStopAsync()
    {
        _traces?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static ServiceStackOptions Options(string name, long maxQueueBytes, int? prefetch)
    {
        var batcher = new Dictionary<string, string>
        {
            ["processing__batch_timeout_ms"] = Text(BatchTimeoutMs),
            // Writes to a store that is down are retried at least every 2 s, so recovery is not hidden behind a long backoff.
            ["processing__retry_max_ms"] = "2000",
            ["processing__shutdown_timeout_ms"] = "5000",
        };
        if (prefetch is { } window)
        {
            batcher["processing__prefetch"] = Text(window);
        }

        return new ServiceStackOptions
        {
            Batchers = 2,
            Common = new Dictionary<string, string>
            {
                // Ingest.Api and Batcher.Worker both declare the queue, so both must give the same limit.
                ["Messaging__MaxQueueBytes"] = Text(maxQueueBytes),
                // The smallest delay allowed: throttled and refused exports are retried after 1 s.
                ["Messaging__Publisher__RetryAfter"] = "00:00:01",
                ["Logging__LogLevel__Default"] = "Information",
                ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
                ["Logging__LogLevel__Microsoft.Extensions.Http"] = "Warning",
                ["Logging__LogLevel__System.Net.Http"] = "Warning",
                ["Logging__Console__FormatterName"] = "simple",
                ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
                ["Logging__Console__FormatterOptions__SingleLine"] = "true",
            },
            Batcher = batcher,
            // Blocks 10 s old are merged, so compaction commits (and is killed) while the load runs, not only after it.
            Compactor = new Dictionary<string, string>
            {
                ["Compaction__Interval"] = "00:00:05",
                ["Compaction__MinBlockAge"] = "00:00:10",
            },
            OutputFolder = Path.Combine(RepositoryPaths.Root, "TestResults", "chaos-logs"),
            OutputPrefix = name + "-",
        };
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The stack for the fault sequence: the default queue limit (2 GiB) and prefetch.</summary>
public sealed class FaultStack() : ChaosStack(nameof(FaultStack), maxQueueBytes: DefaultQueueBytes, prefetch: null)
{
    public const long DefaultQueueBytes = 2L * 1024 * 1024 * 1024;
}

/// <summary>The stack for the broker faults under the load generator's workload: as <see cref="FaultStack"/>, with its own data.</summary>
public sealed class RealisticLoadStack() : ChaosStack(nameof(RealisticLoadStack), maxQueueBytes: FaultStack.DefaultQueueBytes, prefetch: null);

/// <summary>
/// The stack for backpressure: a 4 MiB queue, and a prefetch of 20 per replica, so that the backlog waits in the
/// queue (where the limit applies) rather than in the batchers' unacknowledged windows.
/// </summary>
public sealed class BackpressureStack() : ChaosStack(nameof(BackpressureStack), maxQueueBytes: BackpressureQueueBytes, prefetch: 20)
{
    public const long BackpressureQueueBytes = 4L * 1024 * 1024;
}
