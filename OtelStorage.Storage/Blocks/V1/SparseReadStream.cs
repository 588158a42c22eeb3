namespace OtelStorage.Storage.Blocks.V1;

/// <summary>
/// A read-only view of a data object of known length of which only some byte ranges were fetched: the head
/// magic, the footer (from the index) and the row groups a lookup needs. A read outside them is a bug and throws.
/// </summary>
internal sealed class SparseReadStream(long length, IReadOnlyList<(long Offset, ReadOnlyMemory<byte> Bytes)> segments) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get; set; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var remaining = (int)Math.Min(buffer.Length, length - Position);
        if (remaining <= 0)
        {
            return 0;
        }

        foreach (var (start, bytes) in segments)
        {
            if (Position >= start && Position + remaining <= start + bytes.Length)
            {
                bytes.Span.Slice((int)(Position - start), remaining).CopyTo(buffer);
                Position += remaining;
                return remaining;
            }
        }

        throw new InvalidOperationException($"read of {remaining} bytes at {Position} is outside the fetched ranges of the data object");
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => Position + offset,
        _ => length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
