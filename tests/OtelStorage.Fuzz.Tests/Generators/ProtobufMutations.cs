using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Fuzz.Tests.Engine;

namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>A mutated (or, for some kinds, valid) OTLP protobuf message and what was done to it.</summary>
public sealed record ProtobufInput(string Description, byte[] Message, bool Valid = false);

/// <summary>
/// Hostile ExportTraceServiceRequest messages, the same for OTLP/HTTP and OTLP/gRPC: random bytes, truncations at
/// every kind of wire boundary, bit flips, wrong wire and field types, nesting past the recursion limit, huge
/// values, very many spans, and invalid UTF-8 in string fields.
/// </summary>
public static class ProtobufMutations
{
    /// <summary>Ingest.Api's default limit on a request after decompression (Otlp:MaxRequestBytes).</summary>
    public const int RequestLimit = 64 * 1024 * 1024;

    /// <summary>Ingest.Api's default limit on spans in one request (Otlp:MaxSpansPerRequest): a request over it is refused, not valid.</summary>
    public const int SpanLimit = 100_000;

    /// <summary>The publisher's default message size (Messaging:Publisher:MaxMessageBytes); larger requests are split.</summary>
    public const int MessageLimit = 256 * 1024;

    public static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xC1, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
        [0x80], [0xBF, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80], [0xF0, 0x9F, 0x98], [0xE0, 0x80, 0xAF],
    ];

    /// <summary>Bytes that are valid UTF-8 but hostile to consumers: NUL, a BOM, a lone combining mark, bidi overrides, U+FFFF.</summary>
    public static readonly string[] HostileText = ["\0", "\uFEFF", "\u0301", "\u202E", "\uFFFF", "\u2028", "😀", "a\u0000b", "\t\r\n", "%s%n{0}", "'\"<>&"];

    public static ProtobufInput RandomBytes(Random r)
    {
        var length = r.Next(10) switch
        {
            < 4 => r.Next(0, 33),
            < 8 => r.Next(33, 1025),
            _ => r.Next(1025, 64 * 1024),
        };
        var bytes = r.Bytes(length);
        // Half the time, start like a request (field 1, Len) so the parser goes past the first byte.
        if (length > 2 && r.Next(2) == 0)
        {
            bytes[0] = 0x0A;
        }

        return new ProtobufInput($"{length} random bytes", bytes);
    }

    public static ProtobufInput Truncation(Random r)
    {
        var tree = Sample(r, out var sample);
        var boundaries = new List<(int Offset, string Kind)>();
        Boundaries(tree, 0, 0, boundaries);
        var kinds = boundaries.Select(b => b.Kind).Distinct().ToList();
        var kind = r.Pick(kinds);
        var candidates = boundaries.Where(b => b.Kind == kind).ToList();
        var offset = r.Pick(candidates).Offset;
        var bytes = WireNode.Encode(tree);
        return new ProtobufInput($"{sample} truncated at {offset} of {bytes.Length} ({kind})", bytes[..offset]);
    }

    public static ProtobufInput BitFlips(Random r)
    {
        Sample(r, out var sample, out var bytes);
        var how = r.Next(5);
        string what;
        switch (how)
        {
            case 0 or 1:
                var flips = new[] { 1, 2, 3, 8, 32 }[r.Next(5)];
                for (var i = 0; i < flips; i++)
                {
                    bytes[r.Next(bytes.Length)] ^= (byte)(1 << r.Next(8));
                }

                what = $"{flips} bit flips";
                break;
            case 2:
                var n = r.Next(1, 9);
                for (var i = 0; i < n; i++)
                {
                    bytes[r.Next(bytes.Length)] = (byte)r.Next(256);
                }

                what = $"{n} random bytes overwritten";
                break;
            case 3:
                var at = r.Next(bytes.Length + 1);
                var inserted = r.Bytes(r.Next(1, 16));
                bytes = [.. bytes[..at], .. inserted, .. bytes[at..]];
                what = $"{inserted.Length} bytes inserted at {at}";
                break;
            default:
                var from = r.Next(bytes.Length);
                var count = Math.Min(bytes.Length - from, r.Next(1, 16));
                bytes = [.. bytes[..from], .. bytes[(from + count)..]];
                what = $"{count} bytes deleted at {from}";
                break;
        }

        return new ProtobufInput($"{sample}: {what}", bytes);
    }

    /// <summary>Wrong wire types, wrong field types, bad lengths, overlong varints, unknown fields and groups.</summary>
    public static ProtobufInput WireTypes(Random r)
    {
        var tree = Sample(r, out var sample);
        var nodes = WireNode.Walk(tree).ToList();
        var (node, depth, siblings) = r.Pick(nodes);
        string what;
        switch (r.Next(11))
        {
            case 0:
                var type = (WireType)r.Next(8);
                what = $"{node.Parent}.{node.Field} retyped {node.Type} -> {type}";
                node.Type = type;
                break;
            case 1:
                // The schema's type of another field, with a payload consistent with that type: the framing stays
                // valid and the field has the wrong type.
                var schemaType = OtlpSchema.Fields[node.Parent].FirstOrDefault(f => f.Field == node.Field).Type;
                node.Type = schemaType == WireType.Len ? WireType.Varint : WireType.Len;
                node.Children = null;
                node.Raw = node.Type == WireType.Len ? Encoding.UTF8.GetBytes("wrong type") : WireNode.Varint((ulong)r.NextInt64());
                what = $"{node.Parent}.{node.Field} sent as {node.Type}";
                break;
            case 2:
                var overlong = Enumerable.Repeat((byte)0xFF, r.Next(10, 14)).Append((byte)0x01).ToArray();
                node.Type = WireType.Varint;
                node.Children = null;
                node.Raw = overlong;
                what = $"{node.Parent}.{node.Field} as a {overlong.Length}-byte varint";
                break;
            case 3:
                if (node.Type != WireType.Len)
                {
                    node.Type = WireType.Len;
                    node.Children = null;
                    node.Raw = r.Bytes(r.Next(0, 32));
                }

                var payload = node.Children is null ? node.Raw.Length : WireNode.Encode(node.Children).Length;
                node.LengthOverride = r.Next(6) switch
                {
                    0 => (ulong)payload + 1,
                    1 => payload == 0 ? 1 : (ulong)payload - 1,
                    2 => int.MaxValue,
                    3 => uint.MaxValue,
                    4 => ulong.MaxValue,
                    _ => (ulong)payload + (ulong)r.Next(2, 1_000_000),
                };
                what = $"{node.Parent}.{node.Field} with length {node.LengthOverride} (payload {payload})";
                break;
            case 4:
                var unknown = new WireNode { Field = r.Next(3) switch { 0 => r.Next(17, 1000), 1 => 536_870_911, _ => 1000 }, Type = (WireType)r.Pick(new[] { 0, 1, 2, 5 }), Parent = node.Parent };
                unknown.Raw = unknown.Type switch
                {
                    WireType.Varint => WireNode.Varint((ulong)r.NextInt64()),
                    WireType.Fixed64 => r.Bytes(8),
                    WireType.Fixed32 => r.Bytes(4),
                    _ => r.Bytes(r.Next(0, 64)),
                };
                siblings.Insert(r.Next(siblings.Count + 1), unknown);
                what = $"unknown field {unknown.Field} ({unknown.Type}) in {node.Parent}";
                break;
            case 5:
                var group = r.Next(3);
                var start = new WireNode { Field = r.Next(17, 100), Type = WireType.StartGroup, Parent = node.Parent };
                var end = new WireNode { Field = group == 2 ? start.Field + 1 : start.Field, Type = WireType.EndGroup, Parent = node.Parent };
                var at = r.Next(siblings.Count + 1);
                siblings.Insert(at, group == 1 ? end : start);
                if (group != 1)
                {
                    siblings.Insert(Math.Min(siblings.Count, at + 1 + r.Next(2)), end);
                }

                what = group switch { 0 => "an unknown group", 1 => "an end-group without a start", _ => "a group closed by another field number" } + $" in {node.Parent}";
                break;
            case 6:
                node.TagOverride = r.Next(3) switch
                {
                    0 => [(byte)node.Type], // field number 0
                    1 => [0x8A, 0x80, 0x80, 0x80, 0x80, 0x00], // an overlong tag varint
                    _ => [0xFF, 0xFF, 0xFF, 0xFF, 0x7F], // field number past 2^29-1
                };
                what = $"{node.Parent}.{node.Field} with tag bytes {Convert.ToHexString(node.TagOverride)}";
                break;
            case 7:
                siblings.Insert(siblings.IndexOf(node), Clone(node));
                what = $"{node.Parent}.{node.Field} repeated";
                break;
            case 8:
                siblings.Remove(node);
                what = $"{node.Parent}.{node.Field} removed";
                break;
            case 9:
                node.Type = node.Type is WireType.Fixed64 or WireType.Fixed32 ? node.Type : WireType.Varint;
                node.Children = null;
                node.Raw = node.Type switch
                {
                    WireType.Fixed64 => BitConverter.GetBytes(r.Next(2) == 0 ? ulong.MaxValue : 0UL),
                    WireType.Fixed32 => BitConverter.GetBytes(r.Next(2) == 0 ? uint.MaxValue : 0U),
                    _ => WireNode.Varint(r.Pick(new[] { ulong.MaxValue, (ulong)int.MaxValue, (ulong)uint.MaxValue, 1UL << 63, 7UL, 99UL })),
                };
                what = $"{node.Parent}.{node.Field} set to the extreme {Convert.ToHexString(node.Raw)}";
                break;
            default:
                // IDs of every wrong length.
                var spans = nodes.Where(n => n.Node.Parent is "Span" or "Link" && n.Node.Field is 1 or 2 or 4).ToList();
                var id = spans.Count > 0 ? r.Pick(spans).Node : node;
                id.Type = WireType.Len;
                id.Children = null;
                id.Raw = r.Bytes(r.Pick(new[] { 0, 1, 7, 9, 15, 17, 32, 64, 1000 }));
                what = $"{id.Parent}.{id.Field} (an ID) of {id.Raw.Length} bytes";
                break;
        }

        return new ProtobufInput($"{sample}: {what} (depth {depth})", WireNode.Encode(tree));
    }

    /// <summary>AnyValue arrays and kvlists (and unknown groups) nested from well under to far past protobuf's recursion limit of 100.</summary>
    public static ProtobufInput DeepNesting(Random r, bool full)
    {
        int[] depths = full
            ? [5, 20, 30, 31, 32, 33, 45, 48, 49, 50, 51, 60, 98, 99, 100, 101, 200, 1000, 10_000, 100_000, 1_000_000]
            : [5, 20, 30, 31, 32, 33, 45, 48, 49, 50, 51, 60, 98, 99, 100, 101, 200, 1000, 10_000, 100_000];
        var depth = r.Pick(depths);
        var shape = r.Next(4);
        byte[] anyValue = shape switch
        {
            0 => Nest(depth, [([], 5), ([], 1)], Encoding.UTF8.GetBytes("\u000A\u0004leaf")),
            1 => Nest(depth, [([], 6), ([], 1), (WireNode.LenField(1, "k"u8), 2)], WireNode.LenField(1, "leaf"u8)),
            2 => Nest(depth, [([], 5), ([], 1), ([], 6), ([], 1), (WireNode.LenField(1, "k"u8), 2)], WireNode.LenField(1, "leaf"u8)),
            _ => [.. WireNode.LenField(1, "leaf"u8), .. UnknownGroups(depth)],
        };
        var where = r.Next(5);
        var sample = OtlpSamples.Minimal(r);
        var span = sample.ResourceSpans[0].ScopeSpans[0].Spans[0];
        var placeholder = new KeyValue { Key = "deep", Value = new AnyValue { StringValue = "PLACEHOLDER" } };
        switch (where)
        {
            case 0:
                span.Attributes.Add(placeholder);
                break;
            case 1:
                sample.ResourceSpans[0].Resource.Attributes.Add(placeholder);
                break;
            case 2:
                sample.ResourceSpans[0].ScopeSpans[0].Scope.Attributes.Add(placeholder);
                break;
            case 3:
                span.Events.Add(new Span.Types.Event { Name = "e", TimeUnixNano = OtlpSamples.Now, Attributes = { placeholder } });
                break;
            default:
                span.Links.Add(new Span.Types.Link { TraceId = OtlpSamples.TraceId(r), SpanId = OtlpSamples.SpanId(r), Attributes = { placeholder } });
                break;
        }

        var tree = WireNode.Parse(sample.ToByteArray(), OtlpSchema.Request);
        var target = WireNode.Walk(tree).Select(n => n.Node).First(n => n.Parent == "KeyValue" && n.Field == 2 && n.Children is { Count: 1 } c && c[0].Raw.AsSpan().SequenceEqual("PLACEHOLDER"u8));
        target.Children = null;
        target.Raw = anyValue;
        var shapes = new[] { "AnyValue arrays", "AnyValue kvlists", "arrays and kvlists", "unknown groups" };
        var places = new[] { "a span attribute", "a resource attribute", "a scope attribute", "an event attribute", "a link attribute" };
        return new ProtobufInput($"{shapes[shape]} nested {depth} deep in {places[where]}", WireNode.Encode(tree));
    }

    /// <summary>Values near and over the request and message limits, very many attributes, long keys and names.</summary>
    public static ProtobufInput HugeValues(Random r, bool full)
    {
        var kind = r.Next(10);
        var sample = OtlpSamples.Minimal(r);
        var span = sample.ResourceSpans[0].ScopeSpans[0].Spans[0];
        switch (kind)
        {
            case 0 or 1 or 2:
                // A string attribute whose request is a few bytes under, at, or over the request limit, or near the message limit.
                var target = r.Next(5) switch
                {
                    0 => RequestLimit - r.Next(0, 2),
                    1 => RequestLimit + r.Next(1, 3),
                    2 => MessageLimit + r.Next(-8, 9),
                    3 => r.Next(1, 8) * 1024 * 1024,
                    _ => full ? RequestLimit * 2 : RequestLimit + 1,
                };
                var bytes = SizedRequest(sample, target, out var exact);
                return new ProtobufInput($"a string attribute making the request {bytes.Length} bytes (limit {RequestLimit})", bytes, Valid: exact && bytes.Length <= RequestLimit);
            case 3:
                var count = r.Pick(new[] { 10_000, 100_000, 500_000 });
                for (var i = 0; i < count; i++)
                {
                    span.Attributes.Add(new KeyValue { Key = "k" + i, Value = new AnyValue { IntValue = i } });
                }

                return new ProtobufInput($"{count} attributes on one span", sample.ToByteArray(), Valid: true);
            case 4:
                var keyLength = r.Pick(new[] { 64 * 1024, 1024 * 1024, 8 * 1024 * 1024 });
                span.Attributes.Add(new KeyValue { Key = new string('k', keyLength), Value = new AnyValue { BoolValue = true } });
                return new ProtobufInput($"an attribute key of {keyLength} characters", sample.ToByteArray(), Valid: true);
            case 5:
                var nameLength = r.Pick(new[] { 64 * 1024, 1024 * 1024, 8 * 1024 * 1024 });
                span.Name = new string('n', nameLength);
                span.TraceState = new string('s', nameLength / 4);
                return new ProtobufInput($"a span name of {nameLength} characters", sample.ToByteArray(), Valid: true);
            case 6:
                var values = r.Pick(new[] { 100_000, 1_000_000 });
                var array = new ArrayValue();
                for (var i = 0; i < values; i++)
                {
                    array.Values.Add(new AnyValue { BoolValue = true });
                }

                span.Attributes.Add(new KeyValue { Key = "array", Value = new AnyValue { ArrayValue = array } });
                return new ProtobufInput($"an array attribute of {values} values", sample.ToByteArray(), Valid: true);
            case 7:
                var events = r.Pick(new[] { 10_000, 100_000 });
                for (var i = 0; i < events; i++)
                {
                    span.Events.Add(new Span.Types.Event { TimeUnixNano = OtlpSamples.Now, Name = "e" });
                    span.Links.Add(new Span.Types.Link { TraceId = span.TraceId, SpanId = span.SpanId });
                }

                return new ProtobufInput($"{events} events and links on one span", sample.ToByteArray(), Valid: true);
            case 8:
                var blob = r.Pick(new[] { MessageLimit, 4 * 1024 * 1024, 16 * 1024 * 1024 });
                span.Attributes.Add(new KeyValue { Key = "blob", Value = new AnyValue { BytesValue = ByteString.CopyFrom(r.Bytes(blob)) } });
                return new ProtobufInput($"a bytes attribute of {blob} random bytes", sample.ToByteArray(), Valid: true);
            default:
                // A length prefix that promises far more than is sent, at the top level (field 1 of the request).
                var prefix = new MemoryStream();
                WireNode.WriteVarint(prefix, 0x0A);
                WireNode.WriteVarint(prefix, (ulong)r.Pick(new[] { RequestLimit - 1, int.MaxValue, 1L << 40 }));
                prefix.Write(r.Bytes(r.Next(0, 4096)));
                return new ProtobufInput("a resourceSpans length far beyond the body", prefix.ToArray());
        }
    }

    /// <summary>Very many tiny valid spans in one request, in one scope or each in its own resource or scope.</summary>
    public static ProtobufInput ManySpans(Random r, bool full)
    {
        var count = r.Pick(full ? new[] { 1_000, 10_000, 50_000, 100_000, 250_000 } : [1_000, 5_000, 20_000, 100_000]);
        var layout = r.Next(3);
        var request = new ExportTraceServiceRequest();
        var traceId = OtlpSamples.TraceId(r);
        var spanIds = r.Bytes(8 * count);
        Span Tiny(int i)
        {
            var id = spanIds.AsSpan(i * 8, 8);
            id[0] |= 1;
            return new Span { TraceId = traceId, SpanId = ByteString.CopyFrom(id), Name = "s", StartTimeUnixNano = OtlpSamples.Now, EndTimeUnixNano = OtlpSamples.Now };
        }

        switch (layout)
        {
            case 0:
                var scope = new ScopeSpans();
                for (var i = 0; i < count; i++)
                {
                    scope.Spans.Add(Tiny(i));
                }

                request.ResourceSpans.Add(new ResourceSpans { Resource = new() { Attributes = { OtlpSamples.Attr("service.name", "fuzz-many") } }, ScopeSpans = { scope } });
                break;
            case 1:
                for (var i = 0; i < count; i++)
                {
                    request.ResourceSpans.Add(new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { Tiny(i) } } } });
                }

                break;
            default:
                var resource = new ResourceSpans();
                for (var i = 0; i < count; i++)
                {
                    resource.ScopeSpans.Add(new ScopeSpans { Scope = new() { Name = "s" + (i % 100) }, Spans = { Tiny(i) } });
                }

                request.ResourceSpans.Add(resource);
                break;
        }

        var layouts = new[] { "in one scope", "each in its own resource", "each in its own scope" };
        return new ProtobufInput($"{count} tiny spans {layouts[layout]}", request.ToByteArray(), Valid: count <= SpanLimit);
    }

    /// <summary>Invalid UTF-8 (and hostile valid text) in a string field: names, keys, values, trace state, schema URLs.</summary>
    public static ProtobufInput InvalidUtf8Strings(Random r)
    {
        var tree = Sample(r, out var sample);
        var strings = WireNode.Walk(tree).Select(n => n.Node)
            .Where(n => n.Type == WireType.Len && n.Children is null && OtlpSchema.StringFields.TryGetValue(n.Parent, out var fields) && fields.Contains(n.Field))
            .ToList();
        var count = Math.Min(strings.Count, r.Next(1, 4));
        var changed = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var node = r.Pick(strings);
            var bad = r.Next(4) == 0 ? Encoding.UTF8.GetBytes(r.Pick(HostileText)) : r.Pick(InvalidUtf8);
            var at = r.Next(node.Raw.Length + 1);
            node.Raw = r.Next(3) == 0 ? bad : [.. node.Raw[..at], .. bad, .. node.Raw[at..]];
            changed.Add($"{node.Parent}.{node.Field}+{Convert.ToHexString(bad)}");
        }

        return new ProtobufInput($"{sample}: {string.Join(", ", changed)}", WireNode.Encode(tree));
    }

    /// <summary>One of the generators above, for the gRPC message category.</summary>
    public static ProtobufInput AnyMutation(Random r, bool full) => r.Next(7) switch
    {
        0 => RandomBytes(r),
        1 => Truncation(r),
        2 => BitFlips(r),
        3 => WireTypes(r),
        4 => r.Next(4) == 0 ? DeepNesting(r, full) : WireTypes(r),
        5 => InvalidUtf8Strings(r),
        _ => new ProtobufInput("a valid request", OtlpSamples.Any(r).ToByteArray(), Valid: true),
    };

    /// <summary>The sample, its protobuf bytes, as a tree.</summary>
    public static List<WireNode> Sample(Random r, out string description)
    {
        var request = OtlpSamples.Any(r);
        description = $"a valid request of {SpanCount(request)} spans";
        return WireNode.Parse(request.ToByteArray(), OtlpSchema.Request);
    }

    private static void Sample(Random r, out string description, out byte[] bytes)
    {
        var request = OtlpSamples.Any(r);
        description = $"a valid request of {SpanCount(request)} spans";
        bytes = request.ToByteArray();
    }

    private static int SpanCount(ExportTraceServiceRequest request) => request.ResourceSpans.Sum(x => x.ScopeSpans.Sum(s => s.Spans.Count));

    /// <summary>
    /// A request of exactly <paramref name="target"/> bytes where a string attribute can make it so
    /// (<paramref name="exact"/>), else the nearest size above.
    /// </summary>
    public static byte[] SizedRequest(ExportTraceServiceRequest sample, int target, out bool exact)
    {
        var span = sample.ResourceSpans[0].ScopeSpans[0].Spans[0];
        var attribute = new KeyValue { Key = "huge", Value = new AnyValue { StringValue = string.Empty } };
        span.Attributes.Add(attribute);
        var length = Math.Max(0, target - sample.CalculateSize());
        for (var attempt = 0; attempt < 8; attempt++)
        {
            attribute.Value.StringValue = new string('x', length);
            var size = sample.CalculateSize();
            if (size == target)
            {
                exact = true;
                return sample.ToByteArray();
            }

            length = Math.Max(0, length + (target - size));
        }

        exact = false;
        return sample.ToByteArray();
    }

    private static WireNode Clone(WireNode node) => new()
    {
        Field = node.Field,
        Type = node.Type,
        Parent = node.Parent,
        Raw = node.Raw,
        Message = node.Message,
        Children = node.Children?.Select(Clone).ToList(),
    };

    /// <summary>
    /// Encodes <paramref name="depth"/> levels of the wrappers around <paramref name="inner"/> in linear time: each
    /// wrapper is written as its prefix, then a Len field of the given number holding the next level.
    /// </summary>
    public static byte[] Nest(int depth, (byte[] Prefix, int Field)[] level, byte[] inner)
    {
        var wrappers = depth * level.Length;
        var sizes = new long[wrappers + 1];
        sizes[wrappers] = inner.Length;
        for (var i = wrappers - 1; i >= 0; i--)
        {
            var (prefix, field) = level[i % level.Length];
            sizes[i] = prefix.Length + WireNode.Varint(((ulong)field << 3) | 2).Length + WireNode.Varint((ulong)sizes[i + 1]).Length + sizes[i + 1];
        }

        var output = new MemoryStream((int)sizes[0]);
        for (var i = 0; i < wrappers; i++)
        {
            var (prefix, field) = level[i % level.Length];
            output.Write(prefix);
            WireNode.WriteVarint(output, ((ulong)field << 3) | 2);
            WireNode.WriteVarint(output, (ulong)sizes[i + 1]);
        }

        output.Write(inner);
        return output.ToArray();
    }

    /// <summary>Unknown groups nested <paramref name="depth"/> deep (start-group tags, then as many end-group tags).</summary>
    private static byte[] UnknownGroups(int depth)
    {
        var output = new MemoryStream(depth * 2);
        for (var i = 0; i < depth; i++)
        {
            WireNode.WriteVarint(output, (20UL << 3) | 3);
        }

        for (var i = 0; i < depth; i++)
        {
            WireNode.WriteVarint(output, (20UL << 3) | 4);
        }

        return output.ToArray();
    }

    private static void Boundaries(List<WireNode> fields, int offset, int depth, List<(int, string)> list)
    {
        foreach (var f in fields)
        {
            var tagLength = WireNode.Varint(((ulong)(uint)f.Field << 3) | (ulong)f.Type).Length;
            list.Add((offset, depth == 0 ? "before a top-level field" : "before a nested field"));
            if (tagLength > 1)
            {
                list.Add((offset + 1, "inside a tag"));
            }

            var at = offset + tagLength;
            list.Add((at, "after a tag"));
            switch (f.Type)
            {
                case WireType.Varint when f.Raw.Length > 1:
                    list.Add((at + 1, "inside a varint"));
                    at += f.Raw.Length;
                    break;
                case WireType.Fixed64:
                    list.Add((at + 1 + (offset % 7), "inside a fixed64"));
                    at += 8;
                    break;
                case WireType.Fixed32:
                    list.Add((at + 1 + (offset % 3), "inside a fixed32"));
                    at += 4;
                    break;
                case WireType.Len:
                    var payload = f.Children is null ? f.Raw.Length : WireNode.Encode(f.Children).Length;
                    var lengthLength = WireNode.Varint((ulong)payload).Length;
                    if (lengthLength > 1)
                    {
                        list.Add((at + 1, "inside a length prefix"));
                    }

                    at += lengthLength;
                    list.Add((at, "after a length prefix"));
                    if (f.Children is { } children)
                    {
                        Boundaries(children, at, depth + 1, list);
                    }
                    else if (payload > 1)
                    {
                        list.Add((at + (payload / 2), "inside a string or bytes value"));
                    }

                    at += payload;
                    if (f.Children is not null)
                    {
                        list.Add((at - Math.Min(payload, 1), "one byte before the end of a nested message"));
                    }

                    break;
                default:
                    at += f.Raw.Length;
                    break;
            }

            offset = at;
        }
    }
}
