using System.Buffers.Binary;
using System.Numerics;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.LoadGen.Verification;

/// <summary>
/// A span's content as one number: a CRC-32C (hardware instructions through <see cref="BitOperations.Crc32C(uint, ulong)"/>)
/// of its resource, scope and span as protobuf bytes. Storage is lossless (docs/block-format.md), so a span read back
/// is intact when its fingerprint equals the one taken when it was sent. A checksum made to detect changed bytes,
/// and cheap enough for the load generator's send path.
/// </summary>
public static class SpanContent
{
    /// <summary>The part of a fingerprint that every span of one resource and scope shares.</summary>
    public static int Group(ReadOnlySpan<byte> resource, ReadOnlySpan<byte> scope)
    {
        // The length keeps the two parts apart: the same bytes split differently are a different resource and scope.
        var crc = BitOperations.Crc32C(uint.MaxValue, (uint)resource.Length);
        return (int)Crc32C(Crc32C(crc, resource), scope);
    }

    /// <summary>The fingerprint of a span of the group <paramref name="group"/> (<see cref="Group"/>) with these bytes.</summary>
    public static int Of(int group, ReadOnlySpan<byte> span) => (int)Crc32C((uint)group, span);

    /// <summary>Every span under <paramref name="resourceSpans"/>, with its trace ID and fingerprint.</summary>
    public static IEnumerable<(ByteString TraceId, SpanFingerprint Span)> Of(IEnumerable<ResourceSpans> resourceSpans)
    {
        foreach (var resource in resourceSpans)
        {
            var resourceBytes = resource.Resource?.ToByteArray() ?? [];
            foreach (var scope in resource.ScopeSpans)
            {
                var group = Group(resourceBytes, scope.Scope?.ToByteArray() ?? []);
                foreach (var span in scope.Spans)
                {
                    yield return (span.TraceId, new SpanFingerprint(BinaryPrimitives.ReadUInt64BigEndian(span.SpanId.Span), Of(group, span.ToByteArray())));
                }
            }
        }
    }

    private static uint Crc32C(uint crc, ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            bytes = bytes[sizeof(ulong)..];
        }

        foreach (var b in bytes)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }
}
