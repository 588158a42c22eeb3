using OtelStorage.Storage.Blocks;
using Xunit;

namespace OtelStorage.Compaction.Tests;

public sealed class CompactionPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SourcesOfOneJobHoldAtMostTheTargetSpanBytesHoweverWellTheyCompress()
    {
        // Blocks of 1 MiB on the store holding 40 MiB of spans each (one-letter attribute values compress 40 times):
        // by compressed size 256 of them fit a job; by span bytes, 6.
        var blocks = Enumerable.Range(0, 12).Select(i => Meta(i, sizeBytes: 1 << 20, spanBytes: 40L << 20)).ToList();

        var plan = CompactionPlanner.Plan("t1", blocks, new CompactionPolicy(), Now);

        Assert.Equal([6, 6], plan.Groups.Select(g => g.Sources.Count));
        Assert.All(plan.Groups, g => Assert.True(g.Sources.Sum(id => blocks.Single(b => b.BlockId == id).SpanBytes) <= new CompactionPolicy().TargetSpanBytes));
    }

    [Fact]
    public void BlocksWithoutTheSpanBytesFigureCountTheirCompressedSize()
    {
        var blocks = Enumerable.Range(0, 4).Select(i => Meta(i, sizeBytes: 1 << 20, spanBytes: 0)).ToList();

        var plan = CompactionPlanner.Plan("t1", blocks, new CompactionPolicy(), Now);

        Assert.Equal(4, Assert.Single(plan.Groups).Sources.Count);
    }

    private static BlockMeta Meta(int i, long sizeBytes, long spanBytes) => new()
    {
        FormatVersion = "v1",
        Tenant = "t1",
        BlockId = BlockId.New(Now.AddMinutes(-10).AddSeconds(i)),
        MinStartTimeUnixNano = (ulong)Now.AddMinutes(-20).ToUnixTimeMilliseconds() * 1_000_000,
        SpanCount = 100,
        SizeBytes = sizeBytes,
        SpanBytes = spanBytes,
    };
}
