using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.LoadGen.Verification;

/// <summary>
/// A span's content as one number: its resource, scope and span as protobuf bytes, hashed together. Storage is
/// lossless (docs/block-format.md), so a span read back is intact when its fingerprint equals the one taken when it
/// was sent. <see cref="HashCode"/> is seeded per process: fingerprints compare only within the process that took
/// them, which is all a verification needs, and it is the cheapest hash in the BCL on the load generator's send path.
/// </summary>
public static class SpanContent
{
    /// <summary>The part of a fingerprint that every span of one resource and scope shares.</summary>
    public static int Group(ReadOnlySpan<byte> resource, ReadOnlySpan<byte> scope)
    {
        var hash = new HashCode();
        // The length keeps the two parts apart: the same bytes split differently are a different resource and scope.
        hash.Add(resource.Length);
        hash.AddBytes(resource);
        hash.AddBytes(scope);
        return hash.ToHashCode();
    }

    /// <summary>The fingerprint of a span of the group <paramref name="group"/> (<see cref="Group"/>) with these bytes.</summary>
    public static int Of(int group, ReadOnlySpan<byte> span)
    {
        var hash = new HashCode();
        hash.Add(group);
        hash.AddBytes(span);
        return hash.ToHashCode();
    }

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
}
