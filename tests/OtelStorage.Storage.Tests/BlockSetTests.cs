using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class BlockSetTests
{
    [Fact]
    public void BlocksReplacedByACommittedBlockAreHiddenAndTheRestComeNewestFirst()
    {
        var oldA = Meta("01JA0000000000000000000001", maxStart: 100);
        var oldB = Meta("01JA0000000000000000000002", maxStart: 300);
        var merged = Meta("01JA0000000000000000000003", maxStart: 300, replaces: [oldA.BlockId, oldB.BlockId]);
        var fresh = Meta("01JA0000000000000000000004", maxStart: 500);
        var sameTime = Meta("01JA0000000000000000000005", maxStart: 300);

        var set = new BlockSet(new[] { oldA, oldB, merged, fresh, sameTime }.ToDictionary(m => m.BlockId, StringComparer.Ordinal));

        Assert.Equal([fresh.BlockId, sameTime.BlockId, merged.BlockId], set.NewestFirst.Select(m => m.BlockId));
        Assert.Equal(2, set.ReplacedCount);
        Assert.Equal(5, set.All.Count);
        Assert.Equal(BlockVisibility.Visible(set.All.Values.ToList()).Select(m => m.BlockId).Order(), set.NewestFirst.Select(m => m.BlockId).Order());
    }

    [Fact]
    public void OverlappingKeepsOnlyVisibleBlocksWhoseSpansCanStartInTheRange()
    {
        var early = Meta("01JA0000000000000000000001", maxStart: 100, minStart: 50);
        var late = Meta("01JA0000000000000000000002", maxStart: 500, minStart: 400);
        var set = new BlockSet(new[] { early, late }.ToDictionary(m => m.BlockId, StringComparer.Ordinal));

        Assert.Equal([late.BlockId], set.Overlapping(200, 450).Select(m => m.BlockId));
        Assert.Equal([late.BlockId, early.BlockId], set.Overlapping(0, 1000).Select(m => m.BlockId));
    }

    private static BlockMeta Meta(string id, ulong maxStart, ulong minStart = 1, string[]? replaces = null) => new()
    {
        FormatVersion = BlockEncodings.Current.Version,
        Tenant = "acme",
        BlockId = id,
        MinStartTimeUnixNano = minStart,
        MaxStartTimeUnixNano = maxStart,
        Replaces = [.. replaces ?? []],
    };
}
