using OtelStorage.Storage.Blocks;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class BlockKeysTests
{
    [Theory]
    [InlineData("acme\n")]
    [InlineData("acme\r\n")]
    [InlineData("")]
    [InlineData("a/b")]
    public void ATenantOutsideThePatternGetsNoKey(string tenant) =>
        Assert.Throws<ArgumentException>(() => new BlockKeys("blocks").Tenant(tenant));

    [Fact]
    public void AKeyUnderTheRootSplitsIntoTenantBlockAndName()
    {
        var keys = new BlockKeys("blocks");
        var blockId = BlockId.New(DateTimeOffset.UnixEpoch.AddDays(20_000));

        Assert.True(keys.TryParse(keys.Meta("acme", blockId), out var tenant, out var parsedId, out var name));
        Assert.Equal(("acme", blockId, BlockKeys.MetaName), (tenant, parsedId, name));
        Assert.False(keys.TryParse("blocks/acme\n/" + blockId + "/meta.json", out _, out _, out _));
        Assert.False(keys.TryParse("other/acme/" + blockId + "/meta.json", out _, out _, out _));
    }
}
