using OtelStorage.Otlp.Buffers;
using Xunit;

namespace OtelStorage.Otlp.Tests;

public sealed class BodyBuffersTests
{
    [Fact]
    public void BuffersUpToOneMebibyteAreReusedAndLargerOnesAreLeftToTheGc()
    {
        var small = BodyBuffers.Rent(200_000);
        BodyBuffers.Return(small);
        var smallAgain = BodyBuffers.Rent(200_000);
        BodyBuffers.Return(smallAgain);

        var large = BodyBuffers.Rent(BodyBuffers.MaxPooledBytes + 1);
        BodyBuffers.Return(large);
        var largeAgain = BodyBuffers.Rent(BodyBuffers.MaxPooledBytes + 1);

        Assert.Same(small, smallAgain);
        // Exactly the size asked for (ArrayPool would round 64 MiB + 1 up to 128 MiB), and a new array each time.
        Assert.Equal(BodyBuffers.MaxPooledBytes + 1, large.Length);
        Assert.NotSame(large, largeAgain);
    }
}
