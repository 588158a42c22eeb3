using System.IO.Compression;
using OtelStorage.Messaging;
using OtelStorage.Storage.Blocks;
using OtelStorage.Testing;
using OtelStorage.Workload;
using RabbitMQ.Client;
using Xunit;

namespace OtelStorage.Compaction.Tests;

/// <summary>Compaction:Concurrency: several jobs at once on the active consumer, never two over the same blocks.</summary>
[Collection(InfrastructureCollection.Name)]
public sealed class ConcurrencyTests(Infrastructure infrastructure)
{
    private const string Tenant = "acme";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Jobs come only from the test: the plan offered at start finds no block old enough, and no other plan follows.
    private static CompactionOptions Options() => new()
    {
        Concurrency = 2,
        Interval = TimeSpan.FromHours(1),
        MinBlockAge = TimeSpan.FromDays(1),
        SourceDeleteGrace = TimeSpan.Zero,
        Compression = CompressionLevel.Optimal,
        RetryDelay = TimeSpan.FromMilliseconds(100),
    };

    private (BlockStore Store, GatedObjectStore Gates, RecordingObjectStore Recording) NewStore()
    {
        var recording = new RecordingObjectStore(infrastructure.CreateObjectStore());
        var gates = new GatedObjectStore(recording);
        return (new BlockStore(gates, new BlockKeys("c" + Guid.NewGuid().ToString("N")[..10])), gates, recording);
    }

    private static async Task<List<string>> WriteBlocksAsync(BlockStore store, int seed, int count)
    {
        var generator = new RealisticSpanGenerator(seed, start: DateTimeOffset.UtcNow.AddHours(-seed));
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var meta = await Blocks.WriteAsync(store, Tenant, [generator.NextRequest(50)], DateTimeOffset.UtcNow.AddSeconds(-60));
            ids.Add(meta.BlockId);
        }

        return [.. ids.Order(StringComparer.Ordinal)];
    }

    private async Task PublishAsync(string queue, params IReadOnlyList<string>[] jobs)
    {
        var factory = new ConnectionFactory { Uri = new Uri(infrastructure.Broker.ConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(Ct);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            Ct);
        await CompactionQueueTopology.DeclareAsync(channel, new CompactionQueueOptions { Queue = queue }, Ct);
        var properties = new BasicProperties { Persistent = true, ContentType = CompactionJob.ContentType };
        foreach (var sources in jobs)
        {
            var job = new CompactionJob { Kind = CompactionJobKind.Compact, Tenant = Tenant, Sources = sources, PublishedAt = DateTimeOffset.UtcNow };
            await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, job.ToJson(), Ct);
        }
    }

    [Fact]
    public async Task TwoCompactJobsOverDisjointSourcesAreInProgressAtTheSameTime()
    {
        var (store, gates, recording) = NewStore();
        var first = await WriteBlocksAsync(store, seed: 3, count: 3);
        var second = await WriteBlocksAsync(store, seed: 5, count: 3);
        var queue = "otelstorage.compaction.test-" + Guid.NewGuid().ToString("N")[..8];
        // Each job's first read of span data waits until the test lets it go, so neither job can finish first.
        gates.Hold(store.Keys.Data(Tenant, first[0]));
        gates.Hold(store.Keys.Data(Tenant, second[0]));
        await PublishAsync(queue, first, second);

        await using var replica = new Replica(store, infrastructure.Broker.ConnectionString, Options(), null, queue);
        using var metrics = new JobMetrics(replica);
        await replica.StartAsync();

        await Task.WhenAll(gates.Reached(store.Keys.Data(Tenant, first[0])), gates.Reached(store.Keys.Data(Tenant, second[0]))).WaitAsync(Timeout, Ct);
        Assert.Equal(2, metrics.MaxRunning);

        gates.Release(store.Keys.Data(Tenant, first[0]));
        gates.Release(store.Keys.Data(Tenant, second[0]));
        await Eventually.TrueAsync(() => metrics.Finished("Compact", "done") == 2, Timeout, Ct, "both compact jobs to be done");
        Assert.Equal(
            new[] { string.Join(',', first), string.Join(',', second) }.Order(StringComparer.Ordinal),
            recording.CompactedCommits.Select(c => string.Join(',', c.Replaces)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ADuplicateCompactJobOverSourcesOfAJobInProgressIsSkippedAndOneBlockReplacesThem()
    {
        var (store, gates, recording) = NewStore();
        var sources = await WriteBlocksAsync(store, seed: 4, count: 3);
        var spansBefore = (await Blocks.VisibleSpansAsync(store, Tenant)).Order(StringComparer.Ordinal).ToList();
        var queue = "otelstorage.compaction.test-" + Guid.NewGuid().ToString("N")[..8];
        var held = store.Keys.Data(Tenant, sources[0]);
        gates.Hold(held);
        await PublishAsync(queue, sources);

        await using (var replica = new Replica(store, infrastructure.Broker.ConnectionString, Options(), null, queue))
        {
            using var metrics = new JobMetrics(replica);
            await replica.StartAsync();
            await gates.Reached(held).WaitAsync(Timeout, Ct);

            // Planned again while the first runs: the same blocks, one of them named twice, in another order.
            await PublishAsync(queue, [sources[2], sources[1], sources[0], sources[1]]);
            await Eventually.TrueAsync(() => metrics.Finished("Compact", "skipped_in_progress") == 1, Timeout, Ct, "the duplicate to be skipped");
            Assert.Equal(0, metrics.Finished("Compact", "done"));

            gates.Release(held);
            await Eventually.TrueAsync(() => metrics.Finished("Compact", "done") == 1, Timeout, Ct, "the first job to be done");
            Assert.Equal(2, metrics.Finished("Compact"));
        }

        // The duplicate was acknowledged, not requeued, and exactly one block replaces the sources.
        Assert.Equal(0u, await infrastructure.ReadyMessagesAsync(queue));
        var commit = Assert.Single(recording.CompactedCommits);
        Assert.Equal(sources, commit.Replaces);
        var visible = await Blocks.VisibleAsync(store, Tenant);
        Assert.Equal(commit.BlockId, Assert.Single(visible).BlockId);
        Assert.Equal(spansBefore, (await Blocks.VisibleSpansAsync(store, Tenant)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task APlanWhileACompactJobRunsDoesNotOfferItsSourcesAgain()
    {
        var (store, gates, _) = NewStore();
        var running = await WriteBlocksAsync(store, seed: 7, count: 3);
        var waiting = await WriteBlocksAsync(store, seed: 9, count: 3);
        var queue = "otelstorage.compaction.test-" + Guid.NewGuid().ToString("N")[..8];
        var held = store.Keys.Data(Tenant, running[0]);
        gates.Hold(held);
        await PublishAsync(queue, running);

        // One job at a time, so the plan below is the only plan that can run while the compact job is held.
        var options = Options();
        options.Concurrency = 1;
        options.MinBlockAge = TimeSpan.Zero;
        await using var replica = new Replica(store, infrastructure.Broker.ConnectionString, options, null, queue);
        using var metrics = new JobMetrics(replica);
        await replica.StartAsync();
        await gates.Reached(held).WaitAsync(Timeout, Ct);

        var offered = new List<CompactionJob>();
        await replica.Runner.RunAsync(
            new CompactionJob { Kind = CompactionJobKind.Plan, PublishedAt = DateTimeOffset.UtcNow },
            (jobs, _) =>
            {
                offered.AddRange(jobs);
                return Task.CompletedTask;
            },
            Ct);

        Assert.Equal(1, metrics.Finished("Plan", "done"));
        var job = Assert.Single(offered);
        Assert.Equal(waiting, job.Sources);
        gates.Release(held);
        await Eventually.TrueAsync(() => metrics.Finished("Compact", "done") == 1, Timeout, Ct, "the held job to be done");
    }
}
