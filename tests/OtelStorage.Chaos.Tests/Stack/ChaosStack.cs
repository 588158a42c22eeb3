using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using Xunit;

namespace OtelStorage.Chaos.Tests.Stack;

/// <summary>
/// The whole system as plain processes on loopback: RabbitMQ and s3rver, one Ingest.Api, two Batcher.Worker
/// replicas, one Compactor.Worker and one Query.Api, each configured by environment variables and each killable, pausable and restartable
/// over the same data. Disposal kills every process it started, whatever state the scenario left them in.
/// </summary>
public abstract class ChaosStack : IAsyncLifetime
{
    /// <summary>Batch timeout: short, so acknowledged spans become durable (and queryable) within about a second.</summary>
    public const int BatchTimeoutMs = 500;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private readonly List<(string Name, ServiceProcess Process)> _services = [];

    protected ChaosStack(long maxQueueBytes, int? prefetch)
    {
        MaxQueueBytes = maxQueueBytes;
        Prefetch = prefetch;
    }

    public long MaxQueueBytes { get; }

    public int? Prefetch { get; }

    public RabbitMqServer Broker { get; } = new();

    public S3rverServer Store { get; } = new();

    public ServiceProcess Ingest { get; private set; } = null!;

    public ServiceProcess BatcherA { get; private set; } = null!;

    public ServiceProcess BatcherB { get; private set; } = null!;

    public ServiceProcess Compactor { get; private set; } = null!;

    public ServiceProcess Query { get; private set; } = null!;

    public int GrpcPort { get; } = FreePort.Next();

    public int HttpPort { get; } = FreePort.Next();

    public int QueryPort { get; } = FreePort.Next();

    public Uri GrpcEndpoint => new($"http://127.0.0.1:{GrpcPort}");

    public Uri HttpTracesUri => new($"http://127.0.0.1:{HttpPort}/v1/traces");

    public Uri QueryUri => new($"http://127.0.0.1:{QueryPort}/");

    /// <summary>The span queue's name (the default of SpanQueueOptions).</summary>
    public const string Queue = "otelstorage.spans";

    public async ValueTask InitializeAsync()
    {
        try
        {
            await Task.WhenAll(Broker.InitializeAsync().AsTask(), Store.InitializeAsync().AsTask()).WaitAsync(StartTimeout);
            var batcherAPort = FreePort.Next();
            var batcherBPort = FreePort.Next();
            var compactorPort = FreePort.Next();
            Ingest = Add("Ingest.Api", $"http://127.0.0.1:{HttpPort}/health", new()
            {
                ["Otlp__GrpcPort"] = P(GrpcPort),
                ["Otlp__HttpPort"] = P(HttpPort),
            });
            BatcherA = Add("Batcher.Worker", $"http://127.0.0.1:{batcherAPort}/health", BatcherSettings(batcherAPort, "chaos-a"));
            BatcherB = Add("Batcher.Worker", $"http://127.0.0.1:{batcherBPort}/health", BatcherSettings(batcherBPort, "chaos-b"));
            // Blocks 10 s old are merged, so compaction commits (and is killed) while the load runs, not only after it.
            Compactor = Add("Compactor.Worker", $"http://127.0.0.1:{compactorPort}/health", new()
            {
                ["Compactor__Port"] = P(compactorPort),
                ["Compaction__Interval"] = "00:00:05",
                ["Compaction__MinBlockAge"] = "00:00:10",
            });
            Query = Add("Query.Api", $"http://127.0.0.1:{QueryPort}/health", new() { ["Query__Port"] = P(QueryPort) });
            await Task.WhenAll(_services.Select(s => s.Process.StartAsync(TestContext.Current.CancellationToken))).WaitAsync(StartTimeout);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Committed blocks written by compaction, over every tenant: shows that compaction ran under the faults.</summary>
    public async Task<int> CompactedBlocksAsync(CancellationToken cancellationToken)
    {
        var store = BlockStore();
        var compacted = 0;
        await foreach (var tenant in store.ListTenantsAsync(cancellationToken))
        {
            compacted += await store.ListBlocksAsync(tenant, null, cancellationToken).CountAsync(b => b.CompactionLevel > 0, cancellationToken);
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
        var store = BlockStore();
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

    /// <summary>The last lines each process wrote, for failure messages.</summary>
    public string DescribeOutput(int charsPerProcess = 3_000)
    {
        var text = new StringBuilder();
        void Tail(string name, string output) =>
            text.Append("--- ").Append(name).Append(" ---\n").Append(output.Length > charsPerProcess ? output[^charsPerProcess..] : output).Append('\n');
        foreach (var (name, process) in _services)
        {
            Tail(name, process.Output);
        }

        Tail("rabbitmq", Broker.Output);
        Tail("s3rver", Store.Output);
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // Kill first (SIGKILL works on stopped processes too), so nothing flushes or waits on a peer that is gone.
        foreach (var (_, process) in _services)
        {
            process.Dispose();
        }

        Store.Kill();
        Broker.Kill();
        await SaveOutputAsync();
        await Store.DisposeAsync();
        await Broker.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Keeps each process's last output under TestResults/chaos-logs, for a failure seen only in CI.</summary>
    private async Task SaveOutputAsync()
    {
        try
        {
            var folder = Path.Combine(RepositoryPaths.Root, "TestResults", "chaos-logs");
            Directory.CreateDirectory(folder);
            var prefix = GetType().Name;
            foreach (var (name, process) in _services)
            {
                await File.WriteAllTextAsync(Path.Combine(folder, $"{prefix}-{name.Replace(' ', '-')}.log"), process.Output);
            }

            await File.WriteAllTextAsync(Path.Combine(folder, $"{prefix}-rabbitmq.log"), Broker.Output);
            await File.WriteAllTextAsync(Path.Combine(folder, $"{prefix}-s3rver.log"), Store.Output);
        }
        catch (IOException)
        {
            // Diagnostics only.
        }
    }

    private BlockStore BlockStore() => new(
        new S3ObjectStore(Options.Create(new ObjectStoreOptions { Endpoint = Store.Endpoint, Bucket = Store.Bucket, AccessKey = S3rverServer.AccessKey, SecretKey = S3rverServer.SecretKey })),
        new BlockKeys(new ObjectStoreOptions().Prefix));

    private Dictionary<string, string> BatcherSettings(int port, string replica)
    {
        var settings = new Dictionary<string, string>
        {
            ["Batcher__Port"] = P(port),
            ["processing__replica_id"] = replica,
            ["processing__batch_timeout_ms"] = P(BatchTimeoutMs),
            // Writes to a store that is down are retried at least every 2 s, so recovery is not hidden behind a long backoff.
            ["processing__retry_max_ms"] = "2000",
            ["processing__shutdown_timeout_ms"] = "5000",
        };
        if (Prefetch is { } prefetch)
        {
            settings["processing__prefetch"] = P(prefetch);
        }

        return settings;
    }

    private ServiceProcess Add(string project, string readinessUrl, Dictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>(settings)
        {
            ["ConnectionStrings__messaging"] = Broker.ConnectionString,
            ["ConnectionStrings__objectstore"] = Store.ConnectionString,
            // Ingest.Api and Batcher.Worker both declare the queue, so both must give the same limit.
            ["Messaging__MaxQueueBytes"] = P(MaxQueueBytes),
            // The smallest delay allowed: throttled and refused exports are retried after 1 s.
            ["Messaging__Publisher__RetryAfter"] = "00:00:01",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty,
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
            ["Logging__LogLevel__Microsoft.Extensions.Http"] = "Warning",
            ["Logging__LogLevel__System.Net.Http"] = "Warning",
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        var process = new ServiceProcess(project, environment, readinessUrl);
        _services.Add((project + (settings.TryGetValue("processing__replica_id", out var replica) ? " " + replica : string.Empty), process));
        return process;
    }

    private static string P(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The stack for the fault sequence: the default queue limit (2 GiB) and prefetch.</summary>
public sealed class FaultStack() : ChaosStack(maxQueueBytes: DefaultQueueBytes, prefetch: null)
{
    public const long DefaultQueueBytes = 2L * 1024 * 1024 * 1024;
}

/// <summary>The stack for the broker faults under the load generator's workload: as <see cref="FaultStack"/>, with its own data.</summary>
public sealed class RealisticLoadStack() : ChaosStack(maxQueueBytes: FaultStack.DefaultQueueBytes, prefetch: null);

/// <summary>
/// The stack for backpressure: a 4 MiB queue, and a prefetch of 20 per replica, so that the backlog waits in the
/// queue (where the limit applies) rather than in the batchers' unacknowledged windows.
/// </summary>
public sealed class BackpressureStack() : ChaosStack(maxQueueBytes: BackpressureQueueBytes, prefetch: 20)
{
    public const long BackpressureQueueBytes = 4L * 1024 * 1024;
}
