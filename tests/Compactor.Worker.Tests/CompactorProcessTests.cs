using System.Globalization;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using OtelStorage.Workload;
using Xunit;

namespace Compactor.Worker.Tests;

[CollectionDefinition(Name)]
public sealed class BrokerAndStoreCollection : ICollectionFixture<RabbitMqServer>, ICollectionFixture<S3rverServer>
{
    public const string Name = "broker and store";
}

/// <summary>The worker as it is deployed: its own process, configured by environment variables, over real RabbitMQ and s3rver.</summary>
[Collection(BrokerAndStoreCollection.Name)]
public sealed class CompactorProcessTests(RabbitMqServer rabbit, S3rverServer s3)
{
    private const string Tenant = "acme";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheWorkerMergesAWindowsBlocksIntoOneAndStopsCleanlyOnSigterm()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        var prefix = "c" + Guid.NewGuid().ToString("N")[..10];
        var store = new BlockStore(
            new S3ObjectStore(Options.Create(new ObjectStoreOptions { Endpoint = s3.Endpoint, Bucket = s3.Bucket, AccessKey = S3rverServer.AccessKey, SecretKey = S3rverServer.SecretKey })),
            new BlockKeys(prefix));
        var at = DateTimeOffset.UtcNow.AddHours(-2);
        var generator = new RealisticSpanGenerator(seed: 7, start: at);
        var sources = new List<BlockMeta>();
        for (var i = 0; i < 6; i++)
        {
            var builder = BlockEncodings.Current.CreateBuilder(Tenant, new BlockBuildOptions());
            builder.Add(generator.NextRequest(100));
            var block = await builder.BuildAsync(BlockId.New(at.AddSeconds(i)), at.AddSeconds(i), Ct);
            await store.WriteAsync(block, Ct);
            sources.Add(block.Meta);
        }

        var port = FreePort.Next();
        using var compactor = new ServiceProcess("Compactor.Worker", new Dictionary<string, string>
        {
            ["ConnectionStrings__messaging"] = rabbit.ConnectionString,
            ["ConnectionStrings__objectstore"] = s3.ConnectionString,
            ["Storage__Prefix"] = prefix,
            ["Compaction__Queue"] = "otelstorage.compaction.process-" + Guid.NewGuid().ToString("N")[..8],
            ["Compaction__Interval"] = "00:00:00.2",
            ["Compaction__MinBlockAge"] = "00:00:00",
            ["Compactor__Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty,
        }, $"http://127.0.0.1:{port}/health");
        await compactor.StartAsync(Ct);

        var visible = await Eventually.ValueAsync(
            async ct => BlockVisibility.Visible(await store.ListBlocksAsync(Tenant, null, ct).ToListAsync(ct)),
            blocks => blocks.Count == 1,
            TimeSpan.FromSeconds(90),
            Ct,
            what: "one visible block",
            describe: blocks => $"{blocks.Count} blocks visible\n{compactor.Output}");

        var merged = Assert.Single(visible);
        Assert.Equal(sources.Select(s => s.BlockId).Order(StringComparer.Ordinal), merged.Replaces.Order(StringComparer.Ordinal));
        Assert.Equal(sources.Sum(s => s.SpanCount), merged.SpanCount);
        Assert.Equal(1, merged.CompactionLevel);
        Assert.Equal(0, await compactor.TerminateAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }
}
