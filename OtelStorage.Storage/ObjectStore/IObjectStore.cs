namespace OtelStorage.Storage.ObjectStore;

/// <summary>
/// A flat key-value store of immutable objects: S3, MinIO, s3rver or a local folder.
/// Keys use '/' as the separator. Implementations retry transient errors themselves.
/// </summary>
public interface IObjectStore
{
    /// <summary>Reads a whole object, or returns null when it does not exist.</summary>
    Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Reads <paramref name="length"/> bytes from <paramref name="offset"/> (fewer only at the end of the object).</summary>
    Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken);

    /// <summary>Writes (or overwrites) an object. Once the task completes the object is durable.</summary>
    Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// Lists objects whose key starts with <paramref name="prefix"/>, in ordinal key order, beginning after
    /// <paramref name="startAfter"/> when it is set.
    /// </summary>
    IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, CancellationToken cancellationToken);

    /// <summary>Deletes an object. Deleting a missing object is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Checks that the store (the bucket) is reachable, for health checks.</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}

/// <summary>One listed object.</summary>
public sealed record ObjectInfo(string Key, long Size, DateTimeOffset LastModified);
