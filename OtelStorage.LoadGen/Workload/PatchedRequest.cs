using System.Buffers;
using System.Buffers.Binary;

namespace OtelStorage.LoadGen.Workload;

/// <summary>A template's bytes patched for one send, in a buffer rented from the shared pool; disposing returns it.</summary>
public sealed class PatchedRequest : IDisposable
{
    private byte[]? _buffer;

    internal PatchedRequest(RequestTemplate template, byte[] buffer)
    {
        Template = template;
        _buffer = buffer;
    }

    public RequestTemplate Template { get; }

    public int SpanCount => Template.SpanCount;

    /// <summary>The serialized ExportTraceServiceRequest to send.</summary>
    public ReadOnlyMemory<byte> Bytes => Buffer.AsMemory(0, Template.Length);

    /// <summary>Which of the request's traces the span belongs to, from 0 to the template's TraceCount − 1.</summary>
    public int TraceOf(int span) => Template.TraceOf(span);

    public ReadOnlySpan<byte> TraceId(int span) => Buffer.AsSpan(Template.TraceIdOffset(span), 16);

    public ulong SpanId(int span) => BinaryPrimitives.ReadUInt64BigEndian(Buffer.AsSpan(Template.SpanIdOffset(span)));

    /// <summary>The span as sent: its embedded Span message, IDs and timestamps patched.</summary>
    public ReadOnlySpan<byte> SpanBytes(int span) => Buffer.AsSpan(Template.SpanRange(span));

    /// <summary>Which resource and scope pair the span belongs to, from 0 to the template's GroupCount − 1.</summary>
    public int GroupOf(int span) => Template.GroupOf(span);

    /// <summary>The group's Resource message as sent, empty when absent.</summary>
    public ReadOnlySpan<byte> ResourceBytes(int group) => Template.ResourceBytes(group);

    /// <summary>The group's InstrumentationScope message as sent, empty when absent.</summary>
    public ReadOnlySpan<byte> ScopeBytes(int group) => Template.ScopeBytes(group);

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PatchedRequest));
}
