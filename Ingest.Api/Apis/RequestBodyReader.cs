using System.IO.Compression;
using OtelStorage.Otlp.Buffers;

namespace Ingest.Api.Apis;

/// <summary>A request body read into pooled memory; return it with <see cref="Dispose"/>.</summary>
public sealed class PooledBody(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBody))).AsSpan(0, length);

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBody))).AsMemory(0, length);

    public int Length => length;

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            BodyBuffers.Return(buffer);
        }
    }
}

/// <summary>The body exceeds the limit after decompression.</summary>
public sealed class RequestTooLargeException(long limit) : Exception($"The request body exceeds {limit} bytes after decompression.");

/// <summary>
/// Reads request bodies with the size limit applied to the decompressed bytes, so a small gzip body that
/// inflates without bound (a decompression bomb) stops at the limit instead of exhausting memory.
/// </summary>
public static class RequestBodyReader
{
    public static async Task<PooledBody> ReadAsync(Stream body, bool gzip, long? contentLength, int limit, CancellationToken cancellationToken)
    {
        Stream source = gzip ? new GZipStream(body, CompressionMode.Decompress, leaveOpen: true) : body;
        var initial = contentLength is > 0 and var known ? (int)Math.Min(limit + 1L, gzip ? known * 4 : known) : 64 * 1024;
        var buffer = BodyBuffers.Rent(Math.Max(initial, 4096));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        throw new RequestTooLargeException(limit);
                    }

                    var larger = BodyBuffers.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    BodyBuffers.Return(buffer);
                    buffer = larger;
                }

                var read = await source.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit + 1) - length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > limit)
                {
                    throw new RequestTooLargeException(limit);
                }
            }

            return new PooledBody(buffer, length);
        }
        catch
        {
            BodyBuffers.Return(buffer);
            throw;
        }
        finally
        {
            if (gzip)
            {
                await source.DisposeAsync();
            }
        }
    }
}
