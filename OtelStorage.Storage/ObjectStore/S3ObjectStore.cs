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

    // ListObjects (v1, marker-based) rather than v2: s3rver 3.7 on current Node fails every truncated v2 listing
    // (its continuation-token cipher is not in OpenSSL 3), and markers work the same on AWS S3 and MinIO.
    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsRequest { BucketName = _bucket, Prefix = prefix, Marker = startAfter, MaxKeys = 1000 };
        ListObjectsResponse response;
        do
        {
            response = await _client.ListObjectsAsync(request, cancellationToken);
            string? last = null;
            foreach (var o in response.S3Objects ?? [])
            {
                last = o.Key;
                yield return new ObjectInfo(o.Key, o.Size ?? 0, o.LastModified ?? DateTime.MinValue);
            }

            request.Marker = response.NextMarker ?? last;
        }
        while (response.IsTruncated == true && request.Marker is not null);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await _client.DeleteObjectAsync(_bucket, key, cancellationToken);

    public async Task CheckAsync(CancellationToken cancellationToken) =>
        await _client.ListObjectsAsync(new ListObjectsRequest { BucketName = _bucket, MaxKeys = 1 }, cancellationToken);

    public void Dispose() => _client.Dispose();

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse response, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream(response.ContentLength > 0 ? (int)response.ContentLength : 0);
        await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }
}
