using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Compaction.Retention;
using OtelStorage.Messaging;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using RabbitMQ.Client;
using Xunit;

namespace OtelStorage.Compaction.Tests;

/// <summary>One broker and one s3rver for the whole assembly; each test uses its own key prefix and queue.</summary>
public sealed class Infrastructure : IAsyncLifetime
{
    public RabbitMqServer Broker { get; } = new();

    public S3rverServer S3 { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        await Task.WhenAll(Broker.InitializeAsync().AsTask(), S3.InitializeAsync().AsTask());
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        await S3.DisposeAsync();
    }

    public IObjectStore CreateObjectStore() => new S3ObjectStore(Options.Create(new ObjectStoreOptions
    {
        Endpoint = S3.Endpoint,
        Bucket = S3.Bucket,
        AccessKey = S3rverServer.AccessKey,
        SecretKey = S3rverServer.SecretKey,
    }));

    public async Task<uint> ReadyMessagesAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(Broker.ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var ok = await channel.QueueDeclarePassiveAsync(queue);
        return ok.MessageCount;
    }
}

[CollectionDefinition(Name)]
public sealed class InfrastructureCollection : ICollectionFixture<Infrastructure>
{
    public const string Name = "infrastructure";
}

/// <summary>Writes blocks with the real writer and reads the store the way Query.Api does.</summary>
internal static class Blocks
{
    public static async Task<BlockMeta> WriteAsync(BlockStore store, string tenant, IEnumerable<ExportTraceServiceRequest> requests, DateTimeOffset at)
    {
        var builder = BlockEncodings.Current.CreateBuilder(tenant, new BlockBuildOptions());
        foreach (var r in requests)
        {
            builder.Add(r);
        }

        var block = await builder.BuildAsync(BlockId.New(at), at, CancellationToken.None);
        await store.WriteAsync(block, CancellationToken.None);
        return block.Meta;
    }

    public static IEnumerable<string> Fingerprints(ExportTraceServiceRequest request) =>
        request.ResourceSpans.SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s =>
            Fingerprint(rs.Resource?.ToByteArray(), rs.SchemaUrl, ss.Scope?.ToByteArray(), ss.SchemaUrl, s))));

    public static string Fingerprint(StoredSpan s) =>
        Fingerprint(s.Resource?.ToByteArray(), s.ResourceSchemaUrl, s.Scope?.ToByteArray(), s.ScopeSchemaUrl, s.Span);

    private static string Fingerprint(byte[]? resource, string resourceSchema, byte[]? scope, string scopeSchema, OpenTelemetry.Proto.Trace.V1.Span span) =>
        string.Join('|',
            resource is null ? "-" : Convert.ToBase64String(resource),
            resourceSchema,
            scope is null ? "-" : Convert.ToBase64String(scope),
            scopeSchema,
            Convert.ToBase64String(span.ToByteArray()));

    /// <summary>The committed blocks readers use (those not replaced).</summary>
    public static async Task<List<BlockMeta>> VisibleAsync(BlockStore store, string tenant) =>
        BlockVisibility.Visible(await store.ListBlocksAsync(tenant, null, CancellationToken.None).ToListAsync());

    /// <summary>Every span of every visible block, duplicates kept.</summary>
    public static async Task<List<string>> VisibleSpansAsync(BlockStore store, string tenant)
    {
        var spans = new List<string>();
        foreach (var meta in await VisibleAsync(store, tenant))
        {
            await foreach (var s in store.ReadAllAsync(meta, CancellationToken.None))
            {
                spans.Add(Fingerprint(s));
            }
        }

        return spans;
    }
}

/// <summary>A compactor replica wired as AddCompaction() wires it, over a given store and queue.</summary>
internal sealed class Replica : IAsyncDisposable
{
    private readonly ConcurrentBag<IConnection> _connections = [];
    private volatile bool _refuseConnections;

    public Replica(BlockStore store, string brokerUri, CompactionOptions options, RetentionOptions? retention, string queue)
    {
        Meters = new TestMeterFactory();
        Telemetry = new CompactionTelemetry(Meters);
        var factory = new ConnectionFactory { Uri = new Uri(brokerUri), AutomaticRecoveryEnabled = false, TopologyRecoveryEnabled = false };
        Runner = new CompactionJobRunner(store, Options.Create(options), Options.Create(retention ?? new RetentionOptions { Enabled = false }), Telemetry, TimeProvider.System, NullLogger<CompactionJobRunner>.Instance);
        Worker = new CompactionWorker(
            async ct =>
            {
                if (_refuseConnections)
                {
                    throw new IOException("this replica is dead");
                }

                var connection = await factory.CreateConnectionAsync(ct);
                _connections.Add(connection);
                return connection;
            },
            Runner,
            Health,
            Options.Create(options),
            Options.Create(new CompactionQueueOptions { Queue = queue }),
            TimeProvider.System,
            NullLogger<CompactionWorker>.Instance);
    }

    public TestMeterFactory Meters { get; }

    public CompactionTelemetry Telemetry { get; }

    public CompactionJobRunner Runner { get; }

    public CompactionWorker Worker { get; }

    public CompactionBrokerHealthCheck Health { get; } = new();

    public Task StartAsync() => Worker.StartAsync(CancellationToken.None);

    /// <summary>As a SIGKILL looks to the broker: connections drop without a goodbye and nothing reconnects.</summary>
    public async Task KillAsync()
    {
        _refuseConnections = true;
        foreach (var c in _connections)
        {
            await c.AbortAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _refuseConnections = true;
        await Worker.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Worker.Dispose();
        Telemetry.Dispose();
    }
}

internal sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
{
    private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

    public IReadOnlyList<System.Diagnostics.Metrics.Meter> Meters => _meters;

    public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
    {
        var meter = new System.Diagnostics.Metrics.Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var m in _meters)
        {
            m.Dispose();
        }
    }
}

/// <summary>Records every compacted meta.json written; can fail every call from a chosen moment on (a crash).</summary>
internal sealed class RecordingObjectStore(IObjectStore inner) : IObjectStore
{
    public ConcurrentBag<BlockMeta> CompactedCommits { get; } = [];

    /// <summary>Called after a compacted block's meta.json is written; return true to "crash" from then on.</summary>
    public Func<BlockMeta, bool>? CrashAfterCommit { get; set; }

    public bool Crashed { get; private set; }

    public Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken) => Alive(() => inner.ReadAsync(key, cancellationToken));

    public Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken) => Alive(() => inner.ReadRangeAsync(key, offset, length, cancellationToken));

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        await Alive(async () =>
        {
            await inner.WriteAsync(key, content, cancellationToken);
            return true;
        });
        if (key.EndsWith("/" + BlockKeys.MetaName, StringComparison.Ordinal) && BlockMeta.FromJson(content.Span) is { Replaces.Count: > 0 } meta)
        {
            CompactedCommits.Add(meta);
            if (CrashAfterCommit?.Invoke(meta) == true)
            {
                Crashed = true;
                throw new IOException("simulated crash right after the compacted block committed");
            }
        }
    }

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, CancellationToken cancellationToken) =>
        Crashed ? throw new IOException("crashed") : inner.ListAsync(prefix, startAfter, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => Alive(async () =>
    {
        await inner.DeleteAsync(key, cancellationToken);
        return true;
    });

    public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);

    private Task<T> Alive<T>(Func<Task<T>> call) => Crashed ? throw new IOException("crashed") : call();
}

/// <summary>Holds reads of chosen keys until released, and tells when a read of one was reached.</summary>
internal sealed class GatedObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly ConcurrentDictionary<string, (TaskCompletionSource Reached, TaskCompletionSource Open)> _gates = new(StringComparer.Ordinal);

    public void Hold(string key) =>
        _gates[key] = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Completes when a read of the held key has started (and is waiting).</summary>
    public Task Reached(string key) => _gates[key].Reached.Task;

    public void Release(string key) => _gates[key].Open.TrySetResult();

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        await PassAsync(key, cancellationToken);
        return await inner.ReadAsync(key, cancellationToken);
    }

    public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        await PassAsync(key, cancellationToken);
        return await inner.ReadRangeAsync(key, offset, length, cancellationToken);
    }

    public Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => inner.WriteAsync(key, content, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => inner.ListAsync(prefix, startAfter, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);

    private async Task PassAsync(string key, CancellationToken cancellationToken)
    {
        if (_gates.TryGetValue(key, out var gate))
        {
            gate.Reached.TrySetResult();
            await gate.Open.Task.WaitAsync(cancellationToken);
        }
    }
}

/// <summary>Follows a replica's job counters: jobs finished by kind and outcome, and the most running at once.</summary>
internal sealed class JobMetrics : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _finished = new(StringComparer.Ordinal);
    private readonly Lock _runningLock = new();
    private long _running;

    public JobMetrics(Replica replica)
    {
        var meter = replica.Meters.Meters.Single(m => m.Name == CompactionTelemetry.Name);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name is "otelstorage.compaction.jobs" or "otelstorage.compaction.jobs.running")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "otelstorage.compaction.jobs.running")
            {
                lock (_runningLock)
                {
                    _running += value;
                    MaxRunning = Math.Max(MaxRunning, _running);
                }

                return;
            }

            string? kind = null, outcome = null;
            foreach (var tag in tags)
            {
                kind = tag.Key == "kind" ? tag.Value as string : kind;
                outcome = tag.Key == "outcome" ? tag.Value as string : outcome;
            }

            _finished.AddOrUpdate($"{kind}/{outcome}", value, (_, n) => n + value);
        });
        _listener.Start();
    }

    public long MaxRunning { get; private set; }

    /// <summary>Jobs finished of this kind with this outcome.</summary>
    public long Finished(string kind, string outcome) => _finished.GetValueOrDefault($"{kind}/{outcome}");

    public long Finished(string kind) => _finished.Where(f => f.Key.StartsWith(kind + "/", StringComparison.Ordinal)).Sum(f => f.Value);

    public void Dispose() => _listener.Dispose();
}
