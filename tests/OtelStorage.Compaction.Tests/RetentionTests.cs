using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OtelStorage.Compaction.Retention;
using OtelStorage.Messaging;
using OtelStorage.Storage.Blocks;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.Compaction.Tests;

[Collection(InfrastructureCollection.Name)]
public sealed class RetentionTests(Infrastructure infrastructure)
{
    [Fact]
    public async Task RetentionDeletesExactlyTheExpiredBlocksWithPerTenantPeriods()
    {
        var store = new BlockStore(infrastructure.CreateObjectStore(), new BlockKeys("r" + Guid.NewGuid().ToString("N")[..10]));
        var now = DateTimeOffset.UtcNow;
        var ages = new[] { TimeSpan.FromDays(40), TimeSpan.FromDays(10), TimeSpan.FromDays(6), TimeSpan.FromDays(2), TimeSpan.FromHours(1) };
        var written = new List<(string Tenant, BlockMeta Meta, TimeSpan Age)>();
        foreach (var tenant in new[] { "default-tenant", "short", "long" })
        {
            foreach (var age in ages)
            {
                // Spans end about a minute after the block's start time; the block is cut when they arrive.
                var generator = new RealisticSpanGenerator(seed: written.Count, start: now - age);
                var meta = await Blocks.WriteAsync(store, tenant, [generator.NextRequest(50)], now - age + TimeSpan.FromMinutes(1));
                written.Add((tenant, meta, age));
            }
        }

        var retention = new RetentionOptions
        {
            Period = TimeSpan.FromDays(7),
            Tenants = new(StringComparer.Ordinal) { ["short"] = TimeSpan.FromDays(1), ["long"] = TimeSpan.FromDays(30) },
        };
        using var telemetry = new CompactionTelemetry(new TestMeterFactory());
        var compaction = new CompactionOptions { MinBlockAge = TimeSpan.FromDays(365) };
        var runner = new CompactionJobRunner(store, Options.Create(compaction), Options.Create(retention), telemetry, TimeProvider.System, NullLogger<CompactionJobRunner>.Instance);

        await runner.RunAsync(new CompactionJob { Kind = CompactionJobKind.Plan }, (_, _) => Task.CompletedTask, TestContext.Current.CancellationToken);

        var expected = written.Where(w => w.Age > retention.ToPolicy().PeriodFor(w.Tenant)).Select(w => w.Meta.BlockId).ToHashSet();
        Assert.Equal(2 + 4 + 1, expected.Count);
        foreach (var (tenant, meta, age) in written)
        {
            var present = await store.ReadMetaAsync(tenant, meta.BlockId, TestContext.Current.CancellationToken) is not null;
            Assert.True(present != expected.Contains(meta.BlockId), $"{tenant} block aged {age} should be {(expected.Contains(meta.BlockId) ? "deleted" : "kept")}");
            Assert.Equal(present, await store.ReadIndexAsync(meta, TestContext.Current.CancellationToken).ContinueWith(t => t.IsCompletedSuccessfully));
        }

        // The plan leaves each tenant an index of exactly its remaining blocks, for readers starting cold.
        foreach (var tenant in written.Select(w => w.Tenant).Distinct())
        {
            var index = await store.ReadTenantIndexAsync(tenant, TestContext.Current.CancellationToken);
            var kept = written.Where(w => w.Tenant == tenant && !expected.Contains(w.Meta.BlockId)).Select(w => w.Meta.BlockId);
            Assert.Equal(kept.Order(StringComparer.Ordinal), index!.Blocks.Select(b => b.BlockId).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task SpansWithAClockFarOffAreKeptForThePeriodFromTheirWriteAndCompactionKeepsTheirClock()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var store = new BlockStore(infrastructure.CreateObjectStore(), new BlockKeys("r" + Guid.NewGuid().ToString("N")[..10]));
        const string tenant = "clocks";
        var now = DateTimeOffset.UtcNow;

        // Spans stamped at the Unix epoch (a client whose clock is unset) and in 2100, written at the given time.
        async Task<BlockMeta> WriteStampedAsync(DateTimeOffset stamp, DateTimeOffset written, int seed) =>
            await Blocks.WriteAsync(store, tenant, [new RealisticSpanGenerator(seed, start: stamp).NextRequest(20)], written);
        var epochNow = await WriteStampedAsync(DateTimeOffset.UnixEpoch, now, 1);
        var epochTwoDaysAgo = await WriteStampedAsync(DateTimeOffset.UnixEpoch, now - TimeSpan.FromDays(2), 2);
        var epochTenDaysAgo = await WriteStampedAsync(DateTimeOffset.UnixEpoch, now - TimeSpan.FromDays(10), 3);
        var futureTenDaysAgo = await WriteStampedAsync(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero), now - TimeSpan.FromDays(10), 4);

        // Compacting the two recent epoch blocks must carry the later clock (written now), not restart or lose it.
        var compacted = await new BlockCompactor(store, new BlockBuildOptions(), TimeProvider.System).CompactAsync(tenant, [epochNow.BlockId, epochTwoDaysAgo.BlockId], cancellationToken);
        Assert.Equal(epochNow.RetainFrom, compacted.Block!.RetainFrom);

        var policy = new RetentionOptions { Period = TimeSpan.FromDays(7) }.ToPolicy();
        var live = new List<BlockMeta>();
        await foreach (var meta in store.ListBlocksAsync(tenant, DateTimeOffset.UnixEpoch, cancellationToken))
        {
            live.Add(meta);
        }

        var expired = await new RetentionEnforcer(store, TimeProvider.System).ApplyAsync(tenant, live, policy, cancellationToken);

        Assert.Equal(new[] { epochTenDaysAgo.BlockId, futureTenDaysAgo.BlockId }.Order(StringComparer.Ordinal), expired);
        Assert.NotNull(await store.ReadMetaAsync(tenant, compacted.Block.BlockId, cancellationToken));
        Assert.Equal(now - RetentionStart.IngestionSlack, epochNow.RetainFrom!.Value, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void InvalidOptionsNameTheKey()
    {
        var errors = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var retention = new RetentionOptions { Tenants = new(StringComparer.Ordinal) { ["bad/tenant"] = TimeSpan.FromDays(1) } };
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(retention, new(retention), errors, validateAllProperties: true) && !retention.Validate(new(retention)).Any());
        Assert.Contains(retention.Validate(new(retention)), e => e.ErrorMessage!.Contains("Retention:Tenants:bad/tenant", StringComparison.Ordinal));

        var compaction = new CompactionOptions { Interval = TimeSpan.Zero };
        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(compaction, new(compaction), errors, validateAllProperties: true));
        Assert.Contains(errors, e => e.ErrorMessage!.Contains("Compaction:Interval", StringComparison.Ordinal));
    }
}
