using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace Ingest.Api.Grpc;

/// <summary>
/// gzip for gRPC messages, like Grpc.Net's own provider, except that a message that cannot be decompressed fails the
/// call with INTERNAL and what was wrong (https://github.com/grpc/grpc/blob/master/doc/statuscodes.md: "Could not
/// decompress, but compression algorithm supported"). Grpc.Net's provider lets the InvalidDataException escape,
/// which becomes UNKNOWN and a handler error in the log for every corrupt message a client sends.
/// It also stops inflating past <paramref name="maxMessageBytes"/> with RESOURCE_EXHAUSTED: Grpc.AspNetCore checks its
/// receive limit only on the whole decompressed message, so without this a gzip bomb of a few MiB on the wire would be
/// inflated into memory, gigabytes of it, before being refused.
/// </summary>
public sealed class GuardedGzipCompressionProvider(int maxMessageBytes) : ICompressionProvider
{
    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) =>
        new GZipStream(stream, compressionLevel ?? CompressionLevel.Fastest, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream stream) => new GuardedStream(new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true), maxMessageBytes);

    private sealed class GuardedStream(Stream inner, int maxBytes) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return Count(inner.Read(buffer));
            }
            catch (InvalidDataException e)
            {
                throw Corrupt(e);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return Count(await inner.ReadAsync(buffer, cancellationToken));
            }
            catch (InvalidDataException e)
            {
                throw Corrupt(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(int read)
        {
            _read += read;
            return _read <= maxBytes
                ? read
                : throw new RpcException(new Status(StatusCode.ResourceExhausted, $"The message is larger than {maxBytes} bytes once decompressed (Otlp:MaxRequestBytes)."));
        }

        private static RpcException Corrupt(InvalidDataException e) =>
            new(new Status(StatusCode.Internal, "The gzip-compressed message cannot be decompressed: " + e.Message));
    }
}
