using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.S3.Model;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;

namespace OtelStorage.Chaos.Tests.Stack;

/// <summary>
/// Leaves in s3rver what an upload cut off midway leaves: a batcher SIGKILLed, or one whose consumer session broke,
/// mid-PUT. S3 and MinIO make an object visible only when its upload completes; s3rver writes the object file as the
/// body arrives and keeps what it got, so the key is listed with a truncated body.
/// </summary>
public static class InterruptedUpload
{
    /// <summary>Starts a PUT of a new block's meta.json, sends part of its body, and drops the connection.</summary>
    /// <returns>The block ID whose meta.json is now truncated.</returns>
    public static async Task<string> LeaveTruncatedMetaAsync(S3rverServer store, string tenant, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var blockId = BlockId.New(DateTimeOffset.UtcNow);
        // The services run with the default Storage:Prefix.
        var key = new BlockKeys(new ObjectStoreOptions().Prefix).Meta(tenant, blockId);
        var partial = Encoding.UTF8.GetBytes($"{{\"formatVersion\":1,\"tenant\":\"{tenant}\",\"blockId\":\"{blockId}\",\"minSt");
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, store.Port, cancellationToken);
            var stream = client.GetStream();
            var head = string.Create(CultureInfo.InvariantCulture, $"PUT /{store.Bucket}/{key} HTTP/1.1\r\nHost: 127.0.0.1:{store.Port}\r\nContent-Type: application/json\r\nContent-Length: {partial.Length * 8}\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
            await stream.WriteAsync(partial, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            await WaitUntilListedAsync(store, key, timeout, cancellationToken);
            client.Client.LingerState = new LingerOption(true, 0); // RST, as when the writer's process dies
        }

        return blockId;
    }

    private static async Task WaitUntilListedAsync(S3rverServer store, string key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var s3 = store.CreateClient();
        await Eventually.TrueAsync(
            async ct => (await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = store.Bucket, Prefix = key }, ct)).S3Objects is { Count: > 0 },
            timeout,
            cancellationToken,
            what: $"s3rver to list {key} after the upload's start",
            interval: TimeSpan.FromMilliseconds(50));
    }
}
