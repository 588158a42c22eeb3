using System.Text.Unicode;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Otlp.Wire;

namespace OtelStorage.Otlp.Validation;

/// <summary>
/// Validates a protobuf <c>ExportTraceServiceRequest</c> on the wire, without decoding it: the fast path for the
/// common request, in which every span is valid and the bytes can be published as they arrived. It says yes only
/// when decoding with Google.Protobuf would succeed and <see cref="SpanValidator.RemoveInvalidSpans(ExportTraceServiceRequest, SpanLimits)"/>
/// would remove nothing. Anything else is left to the decoding path, which explains what is wrong: a malformed
/// body, an invalid span, and also forms that exporters do not send and that would need the decoder's semantics to
/// judge (a singular field twice, which protobuf merges; a known field with another wire type; groups; values
/// nested deeper than <see cref="MaxValueDepth"/>; a tag over 32 bits). Strings must be valid UTF-8.
/// Field numbers follow opentelemetry-proto v1 (protos/).
/// </summary>
public static class WireSpanValidator
{
    /// <summary>AnyValue nesting (arrays and key-value lists) judged here; deeper values go to the decoder, whose recursion limit is 100 messages.</summary>
    public const int MaxValueDepth = 16;

    /// <summary>True when <paramref name="request"/> decodes and every span in it is valid under <paramref name="limits"/>; <paramref name="spanCount"/> is then its number of spans.</summary>
    public static bool TryValidate(ReadOnlySpan<byte> request, SpanLimits limits, out int spanCount)
    {
        spanCount = 0;
        try
        {
            var wire = new ProtoWire(request);
            while (NextTag(ref wire, out var field, out var type))
            {
                if (field != 1)
                {
                    wire.Skip(type);
                }
                else if (type != ProtoWire.Len || !ResourceSpans(wire.ReadLengthDelimited(), limits.MaxAttributeValueBytes, ref spanCount))
                {
                    return false;
                }
            }

            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>
    /// What is wrong with an encoded request, or null when it decodes and every span in it is valid: the check for a
    /// consumer of requests that a producer should already have validated. The wire check answers most requests;
    /// what it leaves to the decoder is decoded.
    /// </summary>
    public static string? ProblemOf(ReadOnlySpan<byte> request, SpanLimits limits)
    {
        if (TryValidate(request, limits, out _))
        {
            return null;
        }

        ExportTraceServiceRequest decoded;
        try
        {
            decoded = ExportTraceServiceRequest.Parser.ParseFrom(request);
        }
        catch (InvalidProtocolBufferException e)
        {
            return "not a valid OTLP protobuf ExportTraceServiceRequest: " + e.Message;
        }

        var result = SpanValidator.RemoveInvalidSpans(decoded, limits);
        return result.RejectedSpans == 0 ? null : $"{result.RejectedSpans} invalid span(s), the first at {result.FirstError}";
    }

    private static bool ResourceSpans(ReadOnlySpan<byte> message, int maxValueBytes, ref int spans)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 => Once(ref seen, field) && type == ProtoWire.Len && Resource(wire.ReadLengthDelimited(), maxValueBytes),
                2 => type == ProtoWire.Len && ScopeSpans(wire.ReadLengthDelimited(), maxValueBytes, ref spans),
                3 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Resource(ReadOnlySpan<byte> message, int maxValueBytes)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 => type == ProtoWire.Len && KeyValue(wire.ReadLengthDelimited(), maxValueBytes, 0),
                2 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Varint),
                3 => type == ProtoWire.Len && EntityRef(wire.ReadLengthDelimited()),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool EntityRef(ReadOnlySpan<byte> message)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 or 2 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                3 or 4 => type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool ScopeSpans(ReadOnlySpan<byte> message, int maxValueBytes, ref int spans)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 => Once(ref seen, field) && type == ProtoWire.Len && Scope(wire.ReadLengthDelimited(), maxValueBytes),
                2 => type == ProtoWire.Len && Span(wire.ReadLengthDelimited(), maxValueBytes),
                3 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }

            spans += field == 2 ? 1 : 0;
        }

        return true;
    }

    private static bool Scope(ReadOnlySpan<byte> message, int maxValueBytes)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 or 2 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                3 => type == ProtoWire.Len && KeyValue(wire.ReadLengthDelimited(), maxValueBytes, 0),
                4 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Varint),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The checks of <see cref="SpanValidator.Validate(OpenTelemetry.Proto.Trace.V1.Span, SpanLimits)"/>, on the wire.</summary>
    private static bool Span(ReadOnlySpan<byte> message, int maxValueBytes)
    {
        ReadOnlySpan<byte> traceId = default, spanId = default, parentSpanId = default;
        ulong start = 0, end = 0;
        var named = false;
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 => Once(ref seen, field) && Bytes(ref wire, type, out traceId),
                2 => Once(ref seen, field) && Bytes(ref wire, type, out spanId),
                3 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                4 => Once(ref seen, field) && Bytes(ref wire, type, out parentSpanId),
                5 => Once(ref seen, field) && Bytes(ref wire, type, out var name) && (named = name.Length > 0) && name.Length <= maxValueBytes && Utf8.IsValid(name),
                6 or 10 or 12 or 14 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Varint),
                7 => Once(ref seen, field) && Fixed64(ref wire, type, out start),
                8 => Once(ref seen, field) && Fixed64(ref wire, type, out end),
                9 => type == ProtoWire.Len && KeyValue(wire.ReadLengthDelimited(), maxValueBytes, 0),
                11 => type == ProtoWire.Len && Event(wire.ReadLengthDelimited(), maxValueBytes),
                13 => type == ProtoWire.Len && Link(wire.ReadLengthDelimited(), maxValueBytes),
                15 => Once(ref seen, field) && type == ProtoWire.Len && Status(wire.ReadLengthDelimited()),
                16 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Fixed32),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return traceId.Length == SpanValidator.TraceIdLength && traceId.ContainsAnyExcept((byte)0)
            && spanId.Length == SpanValidator.SpanIdLength && spanId.ContainsAnyExcept((byte)0)
            && (parentSpanId.Length == 0 || parentSpanId.Length == SpanValidator.SpanIdLength)
            && named
            && end >= start;
    }

    private static bool Event(ReadOnlySpan<byte> message, int maxValueBytes)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Fixed64),
                2 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                3 => type == ProtoWire.Len && KeyValue(wire.ReadLengthDelimited(), maxValueBytes, 0),
                4 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Varint),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Link(ReadOnlySpan<byte> message, int maxValueBytes)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 or 2 => Once(ref seen, field) && Bytes(ref wire, type, out _),
                3 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                4 => type == ProtoWire.Len && KeyValue(wire.ReadLengthDelimited(), maxValueBytes, 0),
                5 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Varint),
                6 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Fixed32),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Status(ReadOnlySpan<byte> message)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                2 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                3 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Varint),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool KeyValue(ReadOnlySpan<byte> message, int maxValueBytes, int depth)
    {
        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field switch
            {
                1 => Once(ref seen, field) && type == ProtoWire.Len && Utf8.IsValid(wire.ReadLengthDelimited()),
                2 => Once(ref seen, field) && type == ProtoWire.Len && AnyValue(wire.ReadLengthDelimited(), maxValueBytes, depth + 1),
                3 => Once(ref seen, field) && Scalar(ref wire, type, ProtoWire.Varint),
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An AnyValue holds at most one of its oneof fields; a string or bytes value over the limit makes its span invalid.</summary>
    private static bool AnyValue(ReadOnlySpan<byte> message, int maxValueBytes, int depth)
    {
        if (depth > MaxValueDepth)
        {
            return false;
        }

        var seen = 0u;
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            // Every known field is a member of the oneof: one bit for all of them.
            var ok = field switch
            {
                1 => Once(ref seen, 1) && Bytes(ref wire, type, out var text) && text.Length <= maxValueBytes && Utf8.IsValid(text),
                2 or 3 or 8 => Once(ref seen, 1) && Scalar(ref wire, type, ProtoWire.Varint),
                4 => Once(ref seen, 1) && Scalar(ref wire, type, ProtoWire.Fixed64),
                5 => Once(ref seen, 1) && type == ProtoWire.Len && Values(wire.ReadLengthDelimited(), maxValueBytes, depth),
                6 => Once(ref seen, 1) && type == ProtoWire.Len && KeyValues(wire.ReadLengthDelimited(), maxValueBytes, depth),
                7 => Once(ref seen, 1) && Bytes(ref wire, type, out var bytes) && bytes.Length <= maxValueBytes,
                _ => Skip(ref wire, type),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>ArrayValue: repeated AnyValue values = 1.</summary>
    private static bool Values(ReadOnlySpan<byte> message, int maxValueBytes, int depth)
    {
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field == 1
                ? type == ProtoWire.Len && AnyValue(wire.ReadLengthDelimited(), maxValueBytes, depth + 1)
                : Skip(ref wire, type);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>KeyValueList: repeated KeyValue values = 1.</summary>
    private static bool KeyValues(ReadOnlySpan<byte> message, int maxValueBytes, int depth)
    {
        var wire = new ProtoWire(message);
        while (NextTag(ref wire, out var field, out var type))
        {
            var ok = field == 1
                ? type == ProtoWire.Len && KeyValue(wire.ReadLengthDelimited(), maxValueBytes, depth)
                : Skip(ref wire, type);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Google.Protobuf reads a tag as 32 bits and would fold a longer one into another field number; such tags,
    /// like field 0, are left to the decoder.
    /// </summary>
    private static bool NextTag(ref ProtoWire wire, out int field, out int type)
    {
        field = type = 0;
        if (wire.End)
        {
            return false;
        }

        var tag = wire.ReadVarint();
        if (tag > uint.MaxValue || tag >> 3 == 0)
        {
            throw new InvalidDataException("protobuf tag out of range");
        }

        field = (int)(tag >> 3);
        type = (int)(tag & 7);
        return true;
    }

    private static bool Once(ref uint seen, int field)
    {
        var bit = 1u << field;
        if ((seen & bit) != 0)
        {
            return false;
        }

        seen |= bit;
        return true;
    }

    private static bool Skip(ref ProtoWire wire, int type)
    {
        wire.Skip(type);
        return true;
    }

    private static bool Scalar(ref ProtoWire wire, int type, int expected)
    {
        if (type != expected)
        {
            return false;
        }

        wire.Skip(type);
        return true;
    }

    private static bool Bytes(scoped ref ProtoWire wire, int type, out ReadOnlySpan<byte> value)
    {
        value = type == ProtoWire.Len ? wire.ReadLengthDelimited() : default;
        return type == ProtoWire.Len;
    }

    private static bool Fixed64(ref ProtoWire wire, int type, out ulong value)
    {
        value = type == ProtoWire.Fixed64 ? wire.ReadFixed64() : 0;
        return type == ProtoWire.Fixed64;
    }
}
