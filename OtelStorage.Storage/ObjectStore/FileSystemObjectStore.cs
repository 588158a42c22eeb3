using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;

namespace OtelStorage.Storage.ObjectStore;

/// <summary>
/// <see cref="IObjectStore"/> over a local folder, for single-node use and tests. Keys map to relative paths.
/// Writes go to a temporary file that is renamed into place, so a reader never sees a partial object.
/// </summary>
public sealed class FileSystemObjectStore : IObjectStore
{
    private readonly string _root;

    public FileSystemObjectStore(IOptions<ObjectStoreOptions> options)
        : this(options.Value.Path)
    {
    }

    public FileSystemObjectStore(string root)
    {
        _root = Path.GetFullPath(root);
        Directory.CreateDirectory(_root);
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(PathOf(key), cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
        var buffer = new byte[(int)Math.Max(0, Math.Min(length, file.Length - offset))];
        file.Position = offset;
        await file.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        // Write-through (O_SYNC): the bytes are on disk before the rename publishes them, since the batcher acks
        // messages once this returns.
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous | FileOptions.WriteThrough))
        {
            await file.WriteAsync(content, cancellationToken);
            await file.FlushAsync(cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (!Directory.Exists(_root))
        {
            yield break;
        }

        var keys = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".tmp", StringComparison.Ordinal))
            .Select(f => (Key: Path.GetRelativePath(_root, f).Replace(Path.DirectorySeparatorChar, '/'), Path: f))
            .Where(f => f.Key.StartsWith(prefix, StringComparison.Ordinal) && (startAfter is null || string.CompareOrdinal(f.Key, startAfter) > 0))
            .OrderBy(f => f.Key, StringComparer.Ordinal);
        foreach (var (key, path) in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(path);
            if (info.Exists)
            {
                yield return new ObjectInfo(key, info.Length, info.LastWriteTimeUtc);
            }
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // File.Delete ignores a missing file but not a missing folder; either way the object is not there.
        }

        return Task.CompletedTask;
    }

    public Task CheckAsync(CancellationToken cancellationToken) =>
        Directory.Exists(_root) ? Task.CompletedTask : throw new DirectoryNotFoundException($"object folder {_root} does not exist");

    private string PathOf(string key)
    {
        var path = Path.GetFullPath(Path.Combine(_root, key));
        // Keys come from BlockKeys, but a store must still never write outside its folder.
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"object key '{key}' resolves outside the store folder", nameof(key));
        }

        return path;
    }
}
