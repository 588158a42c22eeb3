using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace OtelStorage.Storage.ObjectStore;

/// <summary>
/// <see cref="IObjectStore"/> over AWSSDK.S3. Works with AWS S3, MinIO and s3rver. The SDK's own retry
/// (standard mode: exponential backoff with jitter, 5 retries) handles transient errors such as throttling, 5xx
/// and dropped connections; callers that must not give up (the batcher) retry whole operations on top.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;

    public S3ObjectStore(IOptions<ObjectStoreOptions> options)
    {
        var o = options.Value;
        _bucket = o.Bucket;
        var config = new AmazonS3Config
        {
            ForcePathStyle = o.ForcePathStyle,
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = 5,
            Timeout = TimeSpan.FromSeconds(30),
        };
        if (!string.IsNullOrEmpty(o.Endpoint))
        {
            config.ServiceURL = o.Endpoint;
            config.AuthenticationRegion = o.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(o.Region);
        }

        _client = string.IsNullOrEmpty(o.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(o.AccessKey, o.SecretKey), config);
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetObjectAsync(_bucket, key, cancellationToken);
            return await ReadAllAsync(response, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = _bucket, Key = key, ByteRange = new ByteRange(offset, offset + length - 1) };
        using var response = await _client.GetObjectAsync(request, cancellationToken);
        return await ReadAllAsync(response, cancellationToken);
    }

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        // s3rver stores aws-chunked framing as the body unless chunk encoding is off (PLATFORM.md).
        using var stream = MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
        var request = new PutObjectRequest { BucketName = _bucket, Key = key, InputStream = stream, UseChunkEncoding = false, AutoCloseStream = false };
        await _client.PutObjectAsync(request, cancellationToken);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, StartAfter = startAfter };
        ListObjectsV2Response response;
        do
        {
            response = await _client.ListObjectsV2Async(request, cancellationToken);
            foreach (var o in response.S3Objects ?? [])
            {
                yield return new ObjectInfo(o.Key, o.Size ?? 0, o.LastModified ?? DateTime.MinValue);
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await _client.DeleteObjectAsync(_bucket, key, cancellationToken);

    public async Task CheckAsync(CancellationToken cancellationToken) =>
        await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = 1 }, cancellationToken);

    public void Dispose() => _client.Dispose();

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse response, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream(response.ContentLength > 0 ? (int)response.ContentLength : 0);
        await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }
}
