using System.IO.Compression;
using Grpc.Core;
using Ingest.Api.Grpc;
using Xunit;

namespace Ingest.Api.Tests;

public sealed class GuardedGzipCompressionProviderTests
{
    private const int Limit = 1024 * 1024;

    [Fact]
    public void AGzipBombStopsInflatingAtTheLimitWithResourceExhausted()
    {
        // 256 MiB of zeros: about 250 KiB on the wire.
        var bomb = Gzip(256 * Limit);
        using var stream = new GuardedGzipCompressionProvider(Limit).CreateDecompressionStream(new MemoryStream(bomb));
        var buffer = new byte[64 * 1024];
        long inflated = 0;

        var error = Assert.Throws<RpcException>(() =>
        {
            for (int read; (read = stream.Read(buffer)) > 0;)
            {
                inflated += read;
            }
        });

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains($"larger than {Limit} bytes once decompressed", error.Status.Detail, StringComparison.Ordinal);
        Assert.InRange(inflated, Limit - buffer.Length, Limit);
    }

    [Fact]
    public async Task AMessageOfExactlyTheLimitInflatesWholeAndCorruptGzipIsInternal()
    {
        var provider = new GuardedGzipCompressionProvider(Limit);
        using var output = new MemoryStream();
        await using (var stream = provider.CreateDecompressionStream(new MemoryStream(Gzip(Limit))))
        {
            await stream.CopyToAsync(output, TestContext.Current.CancellationToken);
        }

        Assert.Equal(Limit, output.Length);

        var corrupt = Gzip(1000);
        corrupt[12] ^= 0xFF;
        using var broken = provider.CreateDecompressionStream(new MemoryStream(corrupt));
        var error = await Assert.ThrowsAsync<RpcException>(() => broken.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    private static byte[] Gzip(int zeros)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            var chunk = new byte[64 * 1024];
            for (var left = zeros; left > 0; left -= chunk.Length)
            {
                gzip.Write(chunk, 0, Math.Min(chunk.Length, left));
            }
        }

        return output.ToArray();
    }
}
