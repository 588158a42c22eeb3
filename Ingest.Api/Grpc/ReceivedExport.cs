using System.Buffers;
using Grpc.Core;
using OtelStorage.Otlp.Buffers;

namespace Ingest.Api.Grpc;

/// <summary>
/// An OTLP/gRPC request as received: its (decompressed) protobuf bytes in pooled memory, not yet decoded, so that
/// <see cref="Ingest.IngestPipeline.IngestProtobufAsync"/> can check it on the wire and publish it as it is.
/// </summary>
public sealed class ReceivedExport : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    private ReceivedExport(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    public ReadOnlyMemory<byte> Encoded => (_buffer ?? throw new ObjectDisposedException(nameof(ReceivedExport))).AsMemory(0, _length);

    public static Marshaller<ReceivedExport> Marshaller { get; } = new(
        (_, _) => throw new NotSupportedException("Requests are only received."),
        Deserialize);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            BodyBuffers.Return(buffer);
        }
    }

    private static ReceivedExport Deserialize(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        var length = (int)payload.Length;
        var buffer = BodyBuffers.Rent(Math.Max(length, 1));
        payload.CopyTo(buffer);
        return new ReceivedExport(buffer, length);
    }
}
