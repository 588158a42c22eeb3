using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Ingest.Api.Grpc;

/// <summary>
/// An OTLP/gRPC request as received: the decoded message and the (decompressed) bytes it came from, in pooled
/// memory, so that a valid request can be published without being encoded again. Decoding errors are kept and
/// reported by the handler as INVALID_ARGUMENT, with what was wrong.
/// </summary>
public sealed class ReceivedExport : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    private ReceivedExport(ExportTraceServiceRequest? request, byte[]? buffer, int length, string? error)
    {
        Request = request;
        _buffer = buffer;
        _length = length;
        Error = error;
    }

    public ExportTraceServiceRequest? Request { get; }

    public string? Error { get; }

    public ReadOnlyMemory<byte> Encoded => _buffer is null ? default : _buffer.AsMemory(0, _length);

    public static Marshaller<ReceivedExport> Marshaller { get; } = new(
        (_, _) => throw new NotSupportedException("Requests are only received."),
        Deserialize);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReceivedExport Deserialize(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        var length = (int)payload.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        payload.CopyTo(buffer);
        try
        {
            return new ReceivedExport(ExportTraceServiceRequest.Parser.ParseFrom(buffer.AsSpan(0, length)), buffer, length, null);
        }
        catch (InvalidProtocolBufferException e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return new ReceivedExport(null, null, 0, "The message is not a valid OTLP ExportTraceServiceRequest: " + e.Message);
        }
    }
}
