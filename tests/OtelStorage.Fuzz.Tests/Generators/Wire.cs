namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>Protobuf wire types, including the deprecated groups and the two that do not exist (6 and 7).</summary>
public enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    Len = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
    Invalid6 = 6,
    Invalid7 = 7,
}

/// <summary>
/// A protobuf message as a tree of fields, decoded with the OTLP schema (<see cref="OtlpSchema"/>), so mutations can
/// change one field's tag, type, length or content and the enclosing lengths are written again around it.
/// </summary>
public sealed class WireNode
{
    public int Field { get; set; }

    public WireType Type { get; set; }

    /// <summary>The OTLP message this field belongs to, for example <c>Span</c>.</summary>
    public string Parent { get; init; } = string.Empty;

    /// <summary>Varint and fixed fields: their encoded bytes. Len fields that are not messages: their payload.</summary>
    public byte[] Raw { get; set; } = [];

    /// <summary>Len fields that hold a message: its fields (the OTLP message is <see cref="Message"/>).</summary>
    public List<WireNode>? Children { get; set; }

    public string? Message { get; init; }

    /// <summary>When set, the length written for a Len field instead of the true one.</summary>
    public ulong? LengthOverride { get; set; }

    /// <summary>When set, the tag bytes written instead of the encoded field number and type.</summary>
    public byte[]? TagOverride { get; set; }

    public static List<WireNode> Parse(ReadOnlySpan<byte> bytes, string message)
    {
        var fields = new List<WireNode>();
        var i = 0;
        while (i < bytes.Length)
        {
            var tag = ReadVarint(bytes, ref i);
            var field = (int)(tag >> 3);
            var type = (WireType)(tag & 7);
            var node = new WireNode { Field = field, Type = type, Parent = message, Message = type == WireType.Len ? OtlpSchema.MessageOf(message, field) : null };
            switch (type)
            {
                case WireType.Varint:
                    var start = i;
                    ReadVarint(bytes, ref i);
                    node.Raw = bytes[start..i].ToArray();
                    break;
                case WireType.Fixed64:
                    node.Raw = bytes.Slice(i, 8).ToArray();
                    i += 8;
                    break;
                case WireType.Fixed32:
                    node.Raw = bytes.Slice(i, 4).ToArray();
                    i += 4;
                    break;
                case WireType.Len:
                    var length = (int)ReadVarint(bytes, ref i);
                    var payload = bytes.Slice(i, length);
                    i += length;
                    if (node.Message is { } child)
                    {
                        node.Children = Parse(payload, child);
                    }
                    else
                    {
                        node.Raw = payload.ToArray();
                    }

                    break;
                default:
                    throw new InvalidOperationException($"unexpected wire type {type} in a valid {message}");
            }

            fields.Add(node);
        }

        return fields;
    }

    public static byte[] Encode(IEnumerable<WireNode> fields)
    {
        var output = new MemoryStream();
        foreach (var f in fields)
        {
            f.WriteTo(output);
        }

        return output.ToArray();
    }

    /// <summary>Every node of the tree, depth first, with its depth (top-level fields are at 0).</summary>
    public static IEnumerable<(WireNode Node, int Depth, List<WireNode> Siblings)> Walk(List<WireNode> fields, int depth = 0)
    {
        foreach (var f in fields)
        {
            yield return (f, depth, fields);
            if (f.Children is { } children)
            {
                foreach (var inner in Walk(children, depth + 1))
                {
                    yield return inner;
                }
            }
        }
    }

    public void WriteTo(Stream output)
    {
        if (TagOverride is { } tag)
        {
            output.Write(tag);
        }
        else
        {
            WriteVarint(output, ((ulong)(uint)Field << 3) | (ulong)Type);
        }

        switch (Type)
        {
            case WireType.Len:
                var payload = Children is null ? Raw : Encode(Children);
                WriteVarint(output, LengthOverride ?? (ulong)payload.Length);
                output.Write(payload);
                break;
            case WireType.StartGroup or WireType.EndGroup:
                break;
            default:
                output.Write(Children is null ? Raw : Encode(Children));
                break;
        }
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = bytes[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidOperationException("varint too long");
    }

    public static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        output.WriteByte((byte)value);
    }

    public static byte[] Varint(ulong value)
    {
        var output = new MemoryStream(10);
        WriteVarint(output, value);
        return output.ToArray();
    }

    /// <summary>A Len field holding <paramref name="payload"/>, encoded.</summary>
    public static byte[] LenField(int field, ReadOnlySpan<byte> payload)
    {
        var output = new MemoryStream(payload.Length + 6);
        WriteVarint(output, ((ulong)field << 3) | 2);
        WriteVarint(output, (ulong)payload.Length);
        output.Write(payload);
        return output.ToArray();
    }
}

/// <summary>Which OTLP fields hold messages (opentelemetry-proto v1.11.0, ../shared/OTLP.md), and the type of every field.</summary>
public static class OtlpSchema
{
    public const string Request = "ExportTraceServiceRequest";

    private static readonly Dictionary<(string, int), string> Messages = new()
    {
        [(Request, 1)] = "ResourceSpans",
        [("ResourceSpans", 1)] = "Resource",
        [("ResourceSpans", 2)] = "ScopeSpans",
        [("Resource", 1)] = "KeyValue",
        [("Resource", 3)] = "EntityRef",
        [("ScopeSpans", 1)] = "InstrumentationScope",
        [("ScopeSpans", 2)] = "Span",
        [("InstrumentationScope", 3)] = "KeyValue",
        [("Span", 9)] = "KeyValue",
        [("Span", 11)] = "Event",
        [("Span", 13)] = "Link",
        [("Span", 15)] = "Status",
        [("Event", 3)] = "KeyValue",
        [("Link", 4)] = "KeyValue",
        [("KeyValue", 2)] = "AnyValue",
        [("AnyValue", 5)] = "ArrayValue",
        [("AnyValue", 6)] = "KeyValueList",
        [("ArrayValue", 1)] = "AnyValue",
        [("KeyValueList", 1)] = "KeyValue",
    };

    /// <summary>Field numbers and wire types of each message, for mutations that swap one field for another.</summary>
    public static readonly Dictionary<string, (int Field, WireType Type)[]> Fields = new()
    {
        [Request] = [(1, WireType.Len)],
        ["ResourceSpans"] = [(1, WireType.Len), (2, WireType.Len), (3, WireType.Len)],
        ["Resource"] = [(1, WireType.Len), (2, WireType.Varint), (3, WireType.Len)],
        ["EntityRef"] = [(1, WireType.Len), (2, WireType.Len), (3, WireType.Len), (4, WireType.Len)],
        ["ScopeSpans"] = [(1, WireType.Len), (2, WireType.Len), (3, WireType.Len)],
        ["InstrumentationScope"] = [(1, WireType.Len), (2, WireType.Len), (3, WireType.Len), (4, WireType.Varint)],
        ["Span"] =
        [
            (1, WireType.Len), (2, WireType.Len), (3, WireType.Len), (4, WireType.Len), (5, WireType.Len), (6, WireType.Varint), (7, WireType.Fixed64),
            (8, WireType.Fixed64), (9, WireType.Len), (10, WireType.Varint), (11, WireType.Len), (12, WireType.Varint), (13, WireType.Len),
            (14, WireType.Varint), (15, WireType.Len), (16, WireType.Fixed32),
        ],
        ["Event"] = [(1, WireType.Fixed64), (2, WireType.Len), (3, WireType.Len), (4, WireType.Varint)],
        ["Link"] = [(1, WireType.Len), (2, WireType.Len), (3, WireType.Len), (4, WireType.Len), (5, WireType.Varint), (6, WireType.Fixed32)],
        ["Status"] = [(2, WireType.Len), (3, WireType.Varint)],
        ["KeyValue"] = [(1, WireType.Len), (2, WireType.Len), (3, WireType.Varint)],
        ["AnyValue"] = [(1, WireType.Len), (2, WireType.Varint), (3, WireType.Varint), (4, WireType.Fixed64), (5, WireType.Len), (6, WireType.Len), (7, WireType.Len), (8, WireType.Varint)],
        ["ArrayValue"] = [(1, WireType.Len)],
        ["KeyValueList"] = [(1, WireType.Len)],
    };

    /// <summary>String fields (UTF-8 by the protobuf spec), by message.</summary>
    public static readonly Dictionary<string, int[]> StringFields = new()
    {
        ["ResourceSpans"] = [3],
        ["EntityRef"] = [1, 2, 3, 4],
        ["ScopeSpans"] = [3],
        ["InstrumentationScope"] = [1, 2],
        ["Span"] = [3, 5],
        ["Event"] = [2],
        ["Link"] = [3],
        ["Status"] = [2],
        ["KeyValue"] = [1],
        ["AnyValue"] = [1],
    };

    public static string? MessageOf(string parent, int field) => Messages.GetValueOrDefault((parent, field));
}
