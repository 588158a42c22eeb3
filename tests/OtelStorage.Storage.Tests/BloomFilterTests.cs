using OtelStorage.Storage.Blocks;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class BloomFilterTests
{
    private static readonly byte[][] StoredIds =
    [
        Convert.FromHexString("4bf92f3577b34da6a3ce929d0e0e4736"),
        Convert.FromHexString("0af7651916cd43dd8448eb211c80319c"),
        Convert.FromHexString("00000000000000000000000000000001"),
    ];

    // The filter of StoredIds as a block's index holds it. Bit positions come from the ID's bytes alone, so these
    // bytes are the same in every process: a change here would make existing blocks' filters answer wrongly.
    private const string StoredFilter = "100000000300000010102a06c48109218224489810080002860c11b020420040";

    [Fact]
    public void AFilterOfFixedIdsSerializesToTheSameBytesInEveryProcess()
    {
        var bloom = BloomFilter.Create(StoredIds.Length, 1e-9);
        foreach (var id in StoredIds)
        {
            bloom.Add(id);
        }

        var bytes = new byte[bloom.SerializedSize];
        bloom.WriteTo(bytes);

        Assert.Equal(StoredFilter, Convert.ToHexStringLower(bytes));
    }

    [Fact]
    public void AStoredFilterAnswersTrueForItsIdsAndFalseForAnother()
    {
        var bloom = BloomFilter.ReadFrom(Convert.FromHexString(StoredFilter));

        Assert.All(StoredIds, id => Assert.True(bloom.MayContain(id)));
        Assert.False(bloom.MayContain(Convert.FromHexString("5b8aa5a2d2c872e8321cf37308d69df2")));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(32)]
    public void AnIdThatIsNot16BytesIsRejectedSayingItsLength(int length)
    {
        var bloom = BloomFilter.Create(10, 0.01);
        var id = new byte[length];

        var added = Assert.Throws<ArgumentException>(() => bloom.Add(id));
        var asked = Assert.Throws<ArgumentException>(() => bloom.MayContain(id));

        Assert.StartsWith($"trace ID must be 16 bytes, got {length}", added.Message, StringComparison.Ordinal);
        Assert.StartsWith($"trace ID must be 16 bytes, got {length}", asked.Message, StringComparison.Ordinal);
        Assert.Equal("traceId", added.ParamName);
    }
}
